"""The authors' release read as the public readers read it: the batches the project builds from a
miniature release (``annotation/`` of a parity fixture) through ``hanet release`` and its own loader
(``hanet.train.data.load_split``) equal the public readers' batches (``batches.npz``), field by field.

Fixture directories come from ``HANET_PARITY_FIXTURES`` (tests/parity_fixtures.py; default: the copy in
tests/fixtures/public_parity/), as in tests/test_public_parity.py. The miniature release is flat (one
``features.hdf5``, no val names), so each file is named through the release's path overrides, as a user
whose copy is laid out differently would; val reuses the test names.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hanet.data.release import LAYOUTS, convert_release
from hanet.errors import HanetError
from hanet.model.config import ModelConfig
from hanet.train.data import TextResources, load_split, take, trim_frames, trim_words
from parity_fixtures import fixture_dirs

FIXTURES = fixture_dirs()

FLAT = {
    "word2int": "word2int.json", "int2word": "int2word.npy", "ref_captions": "ref_captions.json",
    "role_graphs": "sent2rolegraph.augment.json", "trn_names": "trn_names.npy", "val_names": "tst_names.npy",
    "tst_names": "tst_names.npy", "trn_ft": "features.hdf5", "val_ft": "features.hdf5", "tst_ft": "features.hdf5",
    **{f"{k}_gt{a}": f"{k}_gt{a}.json" for k in ("verb", "noun") for a in ("", "_all")},
}
assert set(FLAT) == set(LAYOUTS["msrvtt"])


@pytest.fixture(params=FIXTURES, ids=lambda p: p.name, scope="module")
def built(request, tmp_path_factory):
    """(public batches, the project's test split, train split, model config) for one fixture."""
    d = request.param
    public = json.loads((d / "model.json").read_text())
    batches = np.load(d / "batches.npz")
    out = tmp_path_factory.mktemp("release")
    nv, nn = batches["train.verb_concept_label"].shape[1], batches["train.noun_concept_label"].shape[1]
    convert_release("msrvtt", d / "annotation", out, "release", public["max_frames_in_video"], nv, nn,
                    overrides=FLAT, lock=out / "release.lock.json", name="mini")
    cfg = ModelConfig(max_frames=public["max_frames_in_video"], max_words=public["max_words_in_sent"],
                      max_verb_nodes=public["num_verbs"], max_noun_nodes=public["num_nouns"],
                      num_verbs=nv, num_nouns=nn)
    features = out / "features" / "release.h5"
    text = TextResources.load(out / "text")
    return (batches, load_split(out, features, "test", cfg, text), load_split(out, features, "train", cfg, text),
            out)


def public_text(batches, prefix):
    return {k: batches[f"{prefix}.{k}"] for k in ("sent_ids", "sent_lens", "verb_masks", "noun_masks",
                                                  "node_roles", "rel_edges")}


def ours_text(texts):
    return {"sent_ids": texts.words, "sent_lens": texts.lengths, "verb_masks": texts.verb_masks,
            "noun_masks": texts.noun_masks, "node_roles": texts.roles, "rel_edges": texts.adjacency}


def assert_fields_equal(ours: dict, public: dict, where: str) -> None:
    for key, want in public.items():
        got = ours[key].numpy() if isinstance(ours[key], torch.Tensor) else np.asarray(ours[key])
        assert got.shape == want.shape, f"{where}.{key}: shape {got.shape}, public {want.shape}"
        assert np.array_equal(got.astype(want.dtype), want), f"{where}.{key} differs from the public reader's"


def test_eval_videos_equal_the_public_batch(built):
    batches, test, _, _ = built
    videos = trim_frames(test.videos)  # one evaluation batch, padded to its longest video
    assert_fields_equal({"attn_fts": videos.frames, "attn_lens": videos.lengths},
                        {k: batches[f"eval_video.{k}"] for k in ("attn_fts", "attn_lens")}, "eval_video")


def test_eval_captions_equal_the_public_batch(built):
    batches, test, _, _ = built
    sentences = [str(s) for s in batches["eval_text.sentences"]]  # the public reader's set order
    assert sorted(sentences) == sorted(test.unique_captions)
    order = torch.tensor([test.unique_captions.index(s) for s in sentences])
    texts = trim_words(take(take(test.texts, test.unique), order))
    assert_fields_equal(ours_text(texts), public_text(batches, "eval_text"), "eval_text")


def test_training_pairs_equal_the_public_batch(built):
    batches, _, train, _ = built
    # public pair order: videos in trn_names order, then caption index: the loader's caption order
    n = len(batches["train.sent_lens"])
    idx = torch.arange(n)
    texts = trim_words(take(train.texts, idx))
    videos = trim_frames(take(train.videos, train.caption_video[idx]))
    targets = take(train.targets, idx)
    ours = ours_text(texts) | {"attn_fts": videos.frames, "attn_lens": videos.lengths,
                               "verb_concept_label": targets.verbs, "noun_concept_label": targets.nouns,
                               "verb_concept_mask": targets.verb_mask, "noun_concept_mask": targets.noun_mask}
    public = public_text(batches, "train") | {k: batches[f"train.{k}"] for k in (
        "attn_fts", "attn_lens", "verb_concept_label", "noun_concept_label", "verb_concept_mask",
        "noun_concept_mask")}
    assert_fields_equal(ours, public, "train")
    # the fixture exercises what it should: a concept of another caption masked, an unknown word
    assert (targets.verb_mask == 0).any() and (texts.words == 2).any()


def test_release_files_are_pinned_and_verified(built, tmp_path):
    _, _, _, out = built
    lock = json.loads((out / "release.lock.json").read_text())
    assert set(lock["mini"]) == set(FLAT) - {"int2word"}  # every present file, by its key
    bad = dict(lock)
    bad["mini"] = {**lock["mini"], "ref_captions": "0" * 64}
    (tmp_path / "lock.json").write_text(json.dumps(bad))
    d = FIXTURES[0] / "annotation"
    with pytest.raises(HanetError, match="ref_captions.json: sha256 .* differs from 0{64} pinned"):
        convert_release("msrvtt", d, tmp_path / "out", "release", 12, 512, 1024, FLAT, tmp_path / "lock.json", "mini")
    assert not (tmp_path / "out").exists()


def test_missing_release_lists_every_file(tmp_path):
    (tmp_path / "MSRVTT-HGR" / "annotation" / "RET").mkdir(parents=True)
    (tmp_path / "MSRVTT-HGR" / "annotation" / "RET" / "word2int.json").write_text("{}")
    with pytest.raises(HanetError) as err:
        convert_release("msrvtt", tmp_path / "MSRVTT-HGR", tmp_path / "out", "resnet152", 20)
    text = str(err.value)
    assert "12 file(s) missing" in text and "github.com/Roc-Ng/HANet" in text
    for rel in ("annotation/verb_gt_all.json", "public_split/val_names.npy",
                "ordered_feature/SA/resnet152.pth/tst_ft.hdf5", "annotation/RET/sent2rolegraph.augment.json"):
        assert str(tmp_path / "MSRVTT-HGR" / rel) in text
    assert "word2int.json" not in text and "int2word" not in text
