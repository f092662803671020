"""Phenomenon tags of synthetic captions (hanet/data/phenomena.py) on hand-built clips."""

import json

import numpy as np
import pytest

from hanet.data import phenomena
from hanet.data.synth_language import Mention, captions_with_mentions
from hanet.data.synth_world import Clip, Obj, Segment
from hanet.errors import HanetError

WHOLE = (Segment("left", 0.0, 1.0),)
FIRST_HALF = (Segment("spin", 0.0, 0.5),)
TWO = (Segment("jump", 0.0, 0.4), Segment("grow", 0.4, 1.0))

# a clip with two acting objects and an idle distractor, and its binding twin (actions swapped)
A = Clip("grass", (Obj("circle", "red", "big", 0.2, 0.5, WHOLE), Obj("square", "blue", "small", 0.5, 0.5, FIRST_HALF),
                   Obj("diamond", "green", "small", 0.8, 0.5, ())))
B = Clip("grass", (Obj("circle", "red", "big", 0.2, 0.5, FIRST_HALF), Obj("square", "blue", "small", 0.5, 0.5, WHOLE),
                   Obj("diamond", "green", "small", 0.8, 0.5, ())), twin_of=0)
# one object doing two actions in order
C = Clip("sky", (Obj("triangle", "white", "big", 0.5, 0.5, TWO),))


def test_tags_of_hand_built_clips():
    # A, naming the red circle's whole-clip action: twin, distractor, 3 objects, not partial, no order
    assert phenomena.caption_tags(A, Mention(((0, 0),), False), True) == \
        {"twin": True, "temporal": False, "partial": False, "distractor": True, "objects": 3}
    # naming the blue square's first-half action: partial
    assert phenomena.caption_tags(A, Mention(((1, 0),), False), True)["partial"] is True
    # both objects, ordered in time
    both = phenomena.caption_tags(A, Mention(((0, 0), (1, 0)), True), True)
    assert both["temporal"] and both["partial"]
    # the two-segment action: temporal, and not "partial" (the object has two actions, not one confined one)
    assert phenomena.caption_tags(C, Mention(((0, 0), (0, 1)), True), False) == \
        {"twin": False, "temporal": True, "partial": False, "distractor": False, "objects": 1}


def test_twins_only_within_a_split():
    assert phenomena.twin_partners([A, B, C], ["test", "test", "test"]) == [1, 0, None]
    assert phenomena.twin_partners([A, B, C], ["validate", "test", "test"]) == [None, None, None]


def test_mentions_match_what_the_caption_says():
    rng = np.random.default_rng(0)
    for clip in (A, B, C):
        for cap, m in captions_with_mentions(rng, clip, 40):
            words = cap.replace(",", " ,").split()
            assert m.ordered == ("then" in words or "before" in words), cap
            assert all(not clip.objects[o].distractor for o, _ in m.actions)  # distractors never named
            if clip is C and m.ordered:
                assert m.actions == ((0, 0), (0, 1))
            if clip is A and len(m.actions) == 2:  # two objects: the circle's whole action overlaps, never ordered
                assert not m.ordered and ("while" in words or "and" in words)


def test_replay_of_hanet_synth_matches_its_captions(tmp_path):
    from hanet.data.synthetic import generate

    ann = generate(tmp_path / "raw", seed=3, num_videos=12, captions_per_video=3, num_frames=4, size=32,
                   progress=False)
    tags = phenomena.replay(ann)
    assert list(tags["videos"]) == [f"video{i}" for i in range(12)]
    world = json.loads((tmp_path / "raw" / "world.json").read_text())
    for vid, entry in tags["videos"].items():
        assert [c["caption"] for c in entry["captions"]] == [s["caption"] for s in ann["sentences"]
                                                            if s["video_id"] == vid]
        assert entry["objects"] == len(world[vid]["objects"])
        twin = world[vid]["twin_of"]
        if entry["twin"] is not None:
            other = tags["videos"][entry["twin"]]
            assert other["twin"] == vid and other["split"] == entry["split"]
            assert twin is not None or world[entry["twin"]]["twin_of"] == int(vid[5:])
    ann["sentences"][0]["caption"] += " twice"
    with pytest.raises(HanetError, match="differ from a replay"):
        phenomena.replay(ann, "annotation.json")
    with pytest.raises(HanetError, match="not written by `hanet synth`"):
        phenomena.replay({"info": {}, "videos": [], "sentences": []})
