"""The embedded synthetic benchmark: `hanet synth` and `hanet treebank`.

``generate`` samples a world (:mod:`hanet.data.synth_world`), renders each clip to a
small mp4 (:mod:`hanet.data.synth_render`) and writes captions from a grammar
(:mod:`hanet.data.synth_language`) in MSR-VTT videodatainfo format:

    raw/videos/video{i}.mp4
    raw/annotation.json   {"info", "videos": [{"video_id", "split", "id"}], "sentences": [{"video_id", "caption", "sen_id"}]}
    raw/world.json        {video_id: clip description}  (ground truth, for analysis and figures)

Everything is a function of the seed and the size arguments: the same call writes the
same bytes. Splits are contiguous index ranges (as MSR-VTT's), so binding twins,
which follow their original, almost always share its split.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

import numpy as np

from hanet.argtypes import triple
from hanet.data.synth_language import captions_for, gold_tags
from hanet.data.synth_render import encode_mp4, render
from hanet.data.synth_world import WorldConfig, sample_world
from hanet.errors import HanetError
from hanet.io import atomic_path, read_json, write_json
from hanet.progress import progress as progress_bar

SPLIT_NAMES = ("train", "validate", "test")


def split_counts(num: int, fractions: tuple[float, float, float]) -> tuple[int, int, int]:
    """Videos per split; each split gets at least one video."""
    if len(fractions) != 3 or min(fractions) <= 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise HanetError(f"--split: need three positive fractions summing to 1, got {fractions}")
    if num < 3:
        raise HanetError(f"--num-videos: need at least 3 videos (one per split), got {num}")
    n_val = max(1, int(round(num * fractions[1])))
    n_test = max(1, int(round(num * fractions[2])))
    return num - n_val - n_test, n_val, n_test


def generate(out_dir: str | os.PathLike, seed: int, num_videos: int, captions_per_video: int = 10,
             split: tuple[float, float, float] = (0.7, 0.15, 0.15), num_frames: int = 24, size: int = 64,
             fps: int = 8, world: WorldConfig | None = None, progress: bool = True) -> dict:
    """Write videos, annotation.json and world.json under ``out_dir``; return the annotation."""
    world = world or WorldConfig()
    if captions_per_video < 1 or num_frames < 2 or size < 16:
        raise HanetError("synth: need captions-per-video >= 1, frames >= 2 and size >= 16")
    counts = split_counts(num_videos, split)
    world_rng, text_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    clips = sample_world(world_rng, num_videos, world)
    out = Path(out_dir)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    split_of = np.repeat(np.arange(3), counts)  # (num_videos,) contiguous ranges
    videos, sentences, truth = [], [], {}
    for i, clip in enumerate(progress_bar(clips, desc="synth", unit="video", enabled=progress)):
        vid = f"video{i}"
        with atomic_path(out / "videos" / f"{vid}.mp4") as tmp:
            encode_mp4(render(clip, num_frames, size), tmp, fps=fps)
        videos.append({"video_id": vid, "split": SPLIT_NAMES[split_of[i]], "id": i})
        for cap in captions_for(text_rng, clip, captions_per_video):
            sentences.append({"video_id": vid, "caption": cap, "sen_id": len(sentences)})
        truth[vid] = dataclasses.asdict(clip)
    info = {"generator": "hanet.data.synthetic", "seed": seed, "num_videos": num_videos,
            "captions_per_video": captions_per_video, "split": list(split), "num_frames": num_frames,
            "size": size, "fps": fps, "world": dataclasses.asdict(world)}
    annotation = {"info": info, "videos": videos, "sentences": sentences}
    write_json(out / "world.json", truth, indent=None)
    write_json(out / "annotation.json", annotation, indent=1)
    return annotation


def build_treebank(annotation: dict, split: str = "train", source: str = "annotation") -> dict:
    """Gold (token, tag, lemma) sentences for the captions of one split of a synthetic annotation."""
    from hanet.text.tokenize import tokenize

    wanted = {v["video_id"] for v in annotation["videos"] if v["split"] == split}
    sentences = []
    for s in annotation["sentences"]:
        if s["video_id"] not in wanted:
            continue
        tokens = tokenize(s["caption"])
        try:
            tags, lemmas = gold_tags(tokens)
        except KeyError as err:
            raise HanetError(f"{source}: caption {s['caption']!r} has a word outside the synthetic "
                             f"language ({err}); treebanks exist only for `hanet synth` output") from None
        sentences.append({"caption": s["caption"], "tokens": tokens, "tags": tags, "lemmas": lemmas})
    return {"split": split, "tagset": "penn", "sentences": sentences}


_fractions = triple(float, "train,val,test fractions")


def cli_synth(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet synth", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="raw/ folder to write (videos/, annotation.json, world.json)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-videos", type=int, default=1200)
    p.add_argument("--captions-per-video", type=int, default=10)
    p.add_argument("--split", type=_fractions, default=(0.7, 0.15, 0.15), help="train,val,test fractions")
    p.add_argument("--num-frames", type=int, default=24)
    p.add_argument("--size", type=int, default=64, help="frame width = height in pixels")
    p.add_argument("--fps", type=int, default=8)
    p.add_argument("--max-objects", type=int, default=WorldConfig.max_objects)
    for f in dataclasses.fields(WorldConfig):
        if f.name.startswith("p_"):
            p.add_argument("--" + f.name.replace("_", "-"), type=float, default=f.default)
    p.add_argument("--treebank", help="also write the train-caption treebank here")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    try:
        world = WorldConfig(**{f.name: getattr(a, f.name) for f in dataclasses.fields(WorldConfig)})
    except ValueError as err:
        raise HanetError(f"synth: {err}") from None
    ann = generate(a.out, a.seed, a.num_videos, a.captions_per_video, a.split, a.num_frames, a.size,
                   a.fps, world, progress=not a.no_progress)
    if a.treebank:
        write_json(a.treebank, build_treebank(ann), indent=None)


def cli_treebank(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet treebank",
                                description="write gold POS tags and lemmas of the synthetic TRAIN captions")
    p.add_argument("--annotation", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    write_json(a.out, build_treebank(read_json(a.annotation), source=a.annotation), indent=None)
