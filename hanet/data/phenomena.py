"""Phenomenon tags of the synthetic captions: what fine-grained case each caption exercises.

``hanet phenomena`` replays the synthetic generator from the seed and sizes recorded in
``raw/annotation.json`` (world and captions only, no rendering: milliseconds), checks that
the replay gives exactly the annotation's captions, and writes ``prepared/phenomena.json``:

    {"phenomena": {name: description},
     "videos": {video_id: {"split", "twin": video id or null, "objects", "distractor",
                           "captions": [{"caption", "twin", "temporal", "partial",
                                         "distractor", "objects"}, ...]}}}

captions in ``captions.json`` order. The tags come from the world's ground truth
(:mod:`hanet.data.synth_world`) and from what the grammar chose to say
(:class:`hanet.data.synth_language.Mention`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from hanet.data.synth_language import Mention, captions_with_mentions
from hanet.data.synth_world import Clip, WorldConfig, sample_world
from hanet.errors import HanetError
from hanet.io import read_json, write_json

PHENOMENA = {
    "twin": "the caption's video has a binding twin in its split (same scene and objects, actions "
            "swapped between two objects or one action changed)",
    "temporal": "the caption states a temporal order (\"then\", \"before\")",
    "partial": "the caption names an object whose only action fills part of the clip (first or second half)",
    "distractor": "the clip holds an idle object that no caption mentions",
    "objects": "the number of objects on screen (acting and idle), 1 to 3",
}


def twin_partners(clips: list[Clip], splits: list[str]) -> list[int | None]:
    """For every clip, the index of its binding twin (either direction) when both share a split."""
    out: list[int | None] = [None] * len(clips)
    for i, clip in enumerate(clips):
        j = clip.twin_of
        if j is not None and splits[i] == splits[j]:
            out[i], out[j] = j, i
    return out


def caption_tags(clip: Clip, mention: Mention, has_twin: bool) -> dict:
    """The phenomena one caption exercises (see PHENOMENA)."""
    partial = any(len(clip.objects[o].segments) == 1 and
                  clip.objects[o].segments[s].end - clip.objects[o].segments[s].start < 0.99
                  for o, s in mention.actions)
    return {"twin": bool(has_twin), "temporal": bool(mention.ordered), "partial": bool(partial),
            "distractor": any(o.distractor for o in clip.objects), "objects": len(clip.objects)}


def tag_world(clips: list[Clip], video_ids: list[str], splits: list[str],
              captions: list[list[tuple[str, Mention]]]) -> dict:
    """phenomena.json content for clips with their captions and what each names."""
    partner = twin_partners(clips, splits)
    videos = {}
    for i, (clip, vid) in enumerate(zip(clips, video_ids)):
        videos[vid] = {
            "split": splits[i], "twin": None if partner[i] is None else video_ids[partner[i]],
            "objects": len(clip.objects), "distractor": any(o.distractor for o in clip.objects),
            "captions": [{"caption": c, **caption_tags(clip, m, partner[i] is not None)} for c, m in captions[i]],
        }
    return {"phenomena": PHENOMENA, "videos": videos}


def replay(annotation: dict, source: str = "annotation") -> dict:
    """phenomena.json content for a ``hanet synth`` annotation, by replaying its generator."""
    info = annotation.get("info", {})
    if info.get("generator") != "hanet.data.synthetic":
        raise HanetError(f"{source}: not written by `hanet synth` (info.generator is "
                         f"{info.get('generator')!r}); phenomena exist only for the synthetic data")
    world_rng, text_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(info["seed"]).spawn(2))
    clips = sample_world(world_rng, info["num_videos"], WorldConfig(**info["world"]))
    captions = [captions_with_mentions(text_rng, clip, info["captions_per_video"]) for clip in clips]
    order = sorted(annotation["videos"], key=lambda v: v["id"])
    if [v["id"] for v in order] != list(range(len(clips))):
        raise HanetError(f"{source}: video ids are not 0..{len(clips) - 1}; cannot replay the generator")
    written: dict[str, list[str]] = {}
    for s in annotation["sentences"]:
        written.setdefault(s["video_id"], []).append(s["caption"])
    ids = [v["video_id"] for v in order]
    for vid, caps in zip(ids, captions):
        if written.get(vid, []) != [c for c, _ in caps]:
            raise HanetError(f"{source}: the captions of {vid} differ from a replay of the generator "
                             "(written by another version of hanet synth?); re-run hanet synth")
    return tag_world(clips, ids, [v["split"] for v in order], captions)


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet phenomena", description=__doc__.split("\n\n")[0])
    p.add_argument("--annotation", type=Path, required=True, help="raw/annotation.json written by hanet synth")
    p.add_argument("--out", type=Path, required=True, help="prepared/phenomena.json")
    a = p.parse_args(argv)
    tags = replay(read_json(a.annotation), str(a.annotation))
    write_json(a.out, tags, indent=None)
    caps = [c for v in tags["videos"].values() if v["split"] == "test" for c in v["captions"]]
    counts = {k: sum(bool(c[k]) for c in caps) for k in ("twin", "temporal", "partial", "distractor")}
    print(f"{a.out}: {len(caps)} test captions; " + ", ".join(f"{k} {n}" for k, n in counts.items()))
