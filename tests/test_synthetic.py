import hashlib
import json

import numpy as np
import pytest

from hanet.data.synth_language import AMBIGUOUS, LEXICON, captions_for, gold_tags
from hanet.data.synth_world import WorldConfig, sample_world
from hanet.data.synthetic import build_treebank, generate, split_counts
from hanet.errors import HanetError
from hanet.text.tokenize import tokenize


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_different_seed_differs(tmp_path):
    kw = dict(num_videos=5, captions_per_video=3, num_frames=8, progress=False)
    generate(tmp_path / "a", seed=3, **kw)
    generate(tmp_path / "b", seed=3, **kw)
    generate(tmp_path / "c", seed=4, **kw)
    a, b, c = (_digest(tmp_path / n) for n in "abc")
    assert set(a) >= {"annotation.json", "world.json", "videos/video0.mp4", "videos/video4.mp4"}
    assert a == b
    assert a["annotation.json"] != c["annotation.json"]
    assert a["videos/video0.mp4"] != c["videos/video0.mp4"]


def test_annotation_format_and_splits(tiny_raw):
    ann = json.loads((tiny_raw / "annotation.json").read_text())
    assert [v["split"] for v in ann["videos"]].count("train") == 28
    assert {v["split"] for v in ann["videos"]} == {"train", "validate", "test"}
    assert len(ann["sentences"]) == 40 * 4
    assert [s["sen_id"] for s in ann["sentences"]] == list(range(160))
    assert all(s["caption"].strip() for s in ann["sentences"])


def test_split_counts_errors():
    assert split_counts(100, (0.7, 0.15, 0.15)) == (70, 15, 15)
    assert split_counts(3, (0.8, 0.1, 0.1)) == (1, 1, 1)
    with pytest.raises(HanetError, match="sum"):
        split_counts(10, (0.5, 0.5, 0.5))
    with pytest.raises(HanetError, match="at least 3"):
        split_counts(2, (0.7, 0.15, 0.15))


def test_captions_tokenize_to_known_words_with_gold_tags():
    rng = np.random.default_rng(0)
    clips = sample_world(rng, 50, WorldConfig())
    for clip in clips:
        for cap in captions_for(rng, clip, 5):
            tags, lemmas = gold_tags(tokenize(cap))  # KeyError if the tokenizer splits differently
            assert len(tags) == len(lemmas) > 2


def test_world_phenomena_present():
    clips = sample_world(np.random.default_rng(1), 300, WorldConfig())
    assert sum(c.twin_of is not None for c in clips) > 30
    assert sum(any(o.distractor for o in c.objects) for c in clips) > 30
    assert sum(any(len(o.segments) == 2 for o in c.objects) for c in clips) > 30
    twin = next(c for c in clips if c.twin_of is not None)
    orig = clips[twin.twin_of]
    key = lambda c: sorted((o.shape, o.colour, o.size) for o in c.objects)
    assert key(twin) == key(orig) and twin.scene == orig.scene
    assert [o.segments for o in twin.objects] != [o.segments for o in orig.objects]
    with pytest.raises(ValueError):
        WorldConfig(p_twin=1.5)


def test_treebank_has_train_captions_only(tiny_raw):
    ann = json.loads((tiny_raw / "annotation.json").read_text())
    tb = build_treebank(ann)
    train = {v["video_id"] for v in ann["videos"] if v["split"] == "train"}
    assert len(tb["sentences"]) == sum(s["video_id"] in train for s in ann["sentences"])
    s = tb["sentences"][0]
    assert gold_tags(s["tokens"])[0] == s["tags"]
    assert all(LEXICON[w][0] == t for w, t in zip(s["tokens"], s["tags"]) if w not in AMBIGUOUS)


def test_ambiguous_words_tagged_by_context():
    def tagged(caption):
        toks = tokenize(caption)
        return dict(zip(toks, gold_tags(toks)[0]))

    assert tagged("a red ball moves to the left")["left"] == "NN"
    assert tagged("a red ball moves left , then it turns round")["left"] == "RB"
    assert tagged("the box is sliding right at first")["right"] == "RB"
    t = tagged("a small round red ball spins round")
    assert t["round"] == "RP" and gold_tags(tokenize("a round ball"))[0][1] == "JJ"
    assert tagged("the cube makes a quick jump")["jump"] == "NN"
    assert tagged("the cube does a spin")["spin"] == "NN"
    t = tagged("the cube starts to jump")
    assert t["jump"] == "VB" and t["to"] == "TO" and t["starts"] == "VBZ"
    assert gold_tags(tokenize("a gem gives a flash"))[1][-1] == "flash"


def test_ambiguity_knob():
    clips = sample_world(np.random.default_rng(2), 200, WorldConfig())
    caps = {}
    for amb in (0.0, 0.3):
        rng = np.random.default_rng(3)
        caps[amb] = [c for clip in clips for c in captions_for(rng, clip, 5, ambiguity=amb)]
    pairs = {amb: {(w, t) for c in cs for w, t in zip(tokenize(c), gold_tags(tokenize(c))[0]) if w in AMBIGUOUS}
             for amb, cs in caps.items()}
    forms = lambda ps: {w for w, _ in ps if sum(v == w for v, _ in ps) > 1}
    assert forms(pairs[0.0]) == set()  # the unambiguous language: one tag per word form
    assert {"left", "right", "round", "jump", "spin"} <= forms(pairs[0.3])
    with pytest.raises(ValueError):
        captions_for(np.random.default_rng(0), clips[0], 1, ambiguity=1.5)


def test_treebank_rejects_non_synthetic_words():
    ann = {"videos": [{"video_id": "v", "split": "train"}], "sentences": [{"video_id": "v", "caption": "a man cooks"}]}
    with pytest.raises(HanetError, match="synthetic language"):
        build_treebank(ann)
