"""`hanet prepare`: an MSR-VTT videodatainfo annotation -> ``prepared/``.

Input ``{"videos": [{"video_id", "split"}], "sentences": [{"video_id", "caption", ...}]}``
with splits ``train`` / ``validate`` / ``test``. Output (docs/interfaces.md):

    prepared/splits/{train,val,test}.txt   one video id per line (annotation order)
    prepared/captions.json                 {video_id: [caption, ...]} (annotation order)
    prepared/videos.json                   {video_id: path relative to prepared/} (with --videos-dir)

Real MSR-VTT reuses :func:`prepare_annotation` with its own parsed annotation.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from hanet.argtypes import triple
from hanet.errors import HanetError
from hanet.io import read_json, write_json, write_text

SPLIT_FILES = {"train": "train", "validate": "val", "val": "val", "test": "test"}
SPLITS = ("train", "val", "test")


def _check(cond: bool, source: str, message: str) -> None:
    if not cond:
        raise HanetError(f"{source}: {message}")


def splits_and_captions(annotation: dict, source: str = "annotation") -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Validated ``({train,val,test}: [video ids]), {video_id: [captions]}`` from an annotation dict."""
    _check(isinstance(annotation, dict) and isinstance(annotation.get("videos"), list)
           and isinstance(annotation.get("sentences"), list), source,
           'expected {"videos": [...], "sentences": [...]} (MSR-VTT videodatainfo format)')
    splits: dict[str, list[str]] = {s: [] for s in SPLITS}
    seen: dict[str, str] = {}
    for v in annotation["videos"]:
        _check(isinstance(v, dict) and "video_id" in v and "split" in v, source, f"video entry without video_id/split: {v!r}")
        vid, split = str(v["video_id"]), v["split"]
        _check(split in SPLIT_FILES, source, f"video {vid}: unknown split {split!r} (expected train/validate/test)")
        name = SPLIT_FILES[split]
        _check(vid not in seen, source, f"video {vid} listed twice (splits {seen.get(vid)} and {name}); splits must be disjoint")
        seen[vid] = name
        splits[name].append(vid)
    for name in SPLITS:
        _check(bool(splits[name]), source, f"split {name} is empty")
    captions: dict[str, list[str]] = {vid: [] for vid in seen}
    for s in annotation["sentences"]:
        _check(isinstance(s, dict) and "video_id" in s and "caption" in s, source, f"sentence without video_id/caption: {s!r}")
        vid, cap = str(s["video_id"]), s["caption"]
        _check(vid in captions, source, f"caption for unknown video {vid}")
        _check(isinstance(cap, str) and cap.strip() != "", source, f"video {vid}: empty caption (sen_id {s.get('sen_id')})")
        captions[vid].append(cap.strip())
    empty = [vid for vid, caps in captions.items() if not caps]
    _check(not empty, source, f"video {empty[:1][0] if empty else ''} has no captions ({len(empty)} videos without captions)")
    return splits, captions


def check_counts(splits: dict[str, list[str]], expect: tuple[int, int, int] | None, source: str) -> None:
    if expect is None:
        return
    got = tuple(len(splits[s]) for s in SPLITS)
    _check(got == tuple(expect), source, f"split sizes train/val/test = {got}, expected {tuple(expect)}")


def prepare_annotation(annotation: dict, out_dir: str | os.PathLike, videos_dir: str | os.PathLike | None = None,
                       expect_counts: tuple[int, int, int] | None = None, video_ext: str = ".mp4",
                       source: str = "annotation") -> dict[str, list[str]]:
    """Validate ``annotation`` and write prepared/ files; return the splits."""
    splits, captions = splits_and_captions(annotation, source)
    check_counts(splits, expect_counts, source)
    out = Path(out_dir)
    if videos_dir is not None:
        vdir = Path(videos_dir)
        manifest = {}
        for vid in captions:
            path = vdir / f"{vid}{video_ext}"
            _check(path.is_file(), str(vdir), f"video file for {vid} not found ({path.name})")
            manifest[vid] = os.path.relpath(path.resolve(), out.resolve())
        write_json(out / "videos.json", manifest, indent=1)
    for name in SPLITS:
        write_text(out / "splits" / f"{name}.txt", "\n".join(splits[name]) + "\n")
    write_json(out / "captions.json", captions, indent=1)
    return splits


_counts = triple(int, "train,val,test counts")


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet prepare", description=__doc__.split("\n\n")[0])
    p.add_argument("--annotation", required=True, help="MSR-VTT videodatainfo-format JSON")
    p.add_argument("--videos-dir", help="folder with {video_id}.mp4 (writes videos.json)")
    p.add_argument("--out", required=True, help="prepared/ folder")
    p.add_argument("--expect-counts", type=_counts, help="train,val,test video counts, e.g. 6513,497,2990")
    a = p.parse_args(argv)
    splits = prepare_annotation(read_json(a.annotation), a.out, a.videos_dir, a.expect_counts, source=a.annotation)
    print("prepared " + ", ".join(f"{k}: {len(v)}" for k, v in splits.items()) + f" videos -> {a.out}")
