"""VATEX for HANet (`hanet vatex`): English captions, the HGR split, I3D features -> contract files.

Inputs (see docs/real-data.md for URLs):
- ``vatex_training_v1.0.json`` / ``vatex_validation_v1.0.json``: lists of
  ``{"videoID", "enCap": [10 captions], "chCap": [10 captions]}``; only ``enCap`` is used.
- the HGR split lists ``train_list.txt`` / ``val_list.txt`` / ``test_list.txt`` (25,991 / 1,500 /
  1,500 ids; val and test are the two halves of the official validation set), verified against
  pinned SHA-256 digests;
- the official I3D zip ``trainval.zip``: one ``<videoID>.npy`` per video, shape ``(1, T, 1024)``.

Outputs under ``--out``: ``prepared/splits/{train,val,test}.txt``, ``prepared/captions.json``
and ``features/i3d.h5`` (one float32 ``(frames, 1024)`` dataset per video, at most 30 rows sampled
uniformly; ``frame_indices`` are row indices into the original I3D sequence and
``num_native_frames`` its length). The zip is read one member at a time.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import h5py
import numpy as np

from hanet.data.video import sample_indices
from hanet.errors import HanetError
from hanet.io import atomic_path, read_json, write_json, write_text
from hanet.progress import progress as progress_bar

SPLITS = ("train", "val", "test")
EXPECTED_COUNTS = (25_991, 1_500, 1_500)
SPLIT_SHA256 = {
    "train": "4434a6863540f638cd5c62b7497f9ac13ea5ab84da72b7928e507ee0c5f46f22",
    "val": "223d6d6b0b8c88f093ac1942e1165ae6d21a982362252ba574059e1a27083066",
    "test": "652fd9bbfe53d53935b292b0e4127bc8e41cae6846b3c9faa4f502d96f160a42",
}
SPLIT_URL = "https://raw.githubusercontent.com/CryhanFang/CLIP2Video/main/data/vatex_data/{split}_list.txt"
MAX_FRAMES = 30
I3D_DIM = 1024


def read_split_lists(folder: str | os.PathLike, digests: dict[str, str | None],
                     expect_counts: tuple[int, int, int] | None) -> dict[str, list[str]]:
    """Read ``{split}_list.txt`` from ``folder``, checking digests (None: unchecked) and counts."""
    folder = Path(folder)
    lists = {}
    for split in SPLITS:
        path = folder / f"{split}_list.txt"
        if not path.is_file():
            raise HanetError(f"{path}: VATEX split list not found (download {SPLIT_URL.format(split=split)})")
        data = path.read_bytes()
        want = digests.get(split)
        got = hashlib.sha256(data).hexdigest()
        if want is not None and got != want:
            raise HanetError(f"{path}: SHA-256 mismatch: expected {want}, got {got} "
                             "(not the HGR/CLIP2Video split list)")
        ids = [ln.strip() for ln in data.decode("utf-8").splitlines() if ln.strip()]
        if len(set(ids)) != len(ids):
            raise HanetError(f"{path}: repeated video ids")
        lists[split] = ids
    counts = tuple(len(lists[s]) for s in SPLITS)
    if expect_counts is not None and counts != tuple(expect_counts):
        raise HanetError(f"{folder}: split sizes train/val/test are {counts}, expected {tuple(expect_counts)}")
    seen: dict[str, str] = {}
    for split in SPLITS:
        for vid in lists[split]:
            if vid in seen:
                raise HanetError(f"{folder}: video {vid} is in both {seen[vid]} and {split} lists")
            seen[vid] = split
    return lists


def read_captions(paths: list[str | os.PathLike]) -> dict[str, list[str]]:
    """English captions ``{videoID: enCap}`` from the official JSON files."""
    captions: dict[str, list[str]] = {}
    for path in paths:
        data = read_json(path)
        if not isinstance(data, list):
            raise HanetError(f"{path}: expected a JSON list of {{videoID, enCap, chCap}} objects")
        for i, item in enumerate(data):
            if not isinstance(item, dict) or "videoID" not in item or "enCap" not in item:
                raise HanetError(f"{path}: entry {i} has no videoID/enCap")
            caps = [c.strip() for c in item["enCap"] if isinstance(c, str)]
            if not caps or any(not c for c in caps):
                raise HanetError(f"{path}: video {item['videoID']} has an empty English caption")
            captions[item["videoID"]] = caps
    return captions


def _member_index(zf: zipfile.ZipFile) -> dict[str, str]:
    """videoID -> member name, for every ``*.npy`` in the zip, whatever its folder."""
    index = {}
    for name in zf.namelist():
        if name.endswith(".npy"):
            index[Path(name).stem] = name
    return index


def write_i3d_h5(zip_path: str | os.PathLike, ids: list[str], out: str | os.PathLike,
                 max_frames: int = MAX_FRAMES, progress: bool = True) -> None:
    """Stream ``<id>.npy`` members of ``zip_path`` into the features HDF5 contract."""
    zip_path = Path(zip_path)
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as err:
        raise HanetError(f"{zip_path}: not a readable zip archive ({err})") from None
    with zf, atomic_path(out) as tmp, h5py.File(tmp, "w") as h5:
        index = _member_index(zf)
        h5.attrs["extractor"] = "i3d"
        h5.attrs["settings"] = json.dumps({
            "source": "official VATEX I3D features (trainval.zip), Kinetics-600 I3D, 1024-d",
            "sampling": f"hanet.data.video.sample_indices(T, {max_frames}): all rows, or {max_frames} at round(linspace(0, T-1))",
            "frame_indices": "row indices into the original I3D feature sequence",
        })
        h5.attrs["dim"] = I3D_DIM
        for vid in progress_bar(ids, desc="i3d.h5", unit="video", enabled=progress):
            member = index[vid]
            try:
                arr = np.load(io.BytesIO(zf.read(member)), allow_pickle=False)
            except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
                raise HanetError(f"{zip_path}: member {member} is not a readable .npy ({err})") from None
            if arr.ndim == 3 and arr.shape[0] == 1:
                arr = arr[0]  # (1, T, 1024) -> (T, 1024)
            if arr.ndim != 2 or arr.shape[1] != I3D_DIM or arr.shape[0] == 0:
                raise HanetError(f"{zip_path}: member {member} has shape {arr.shape}, expected (1, T, {I3D_DIM})")
            if not np.isfinite(arr).all():
                raise HanetError(f"{zip_path}: member {member} contains NaN or infinite values")
            rows = sample_indices(arr.shape[0], max_frames)  # (<=max_frames,) evenly spaced rows
            ds = h5.create_dataset(vid, data=arr[rows].astype(np.float32))  # (<=30, 1024)
            ds.attrs["frame_indices"] = rows
            ds.attrs["num_native_frames"] = arr.shape[0]


def prepare_vatex(caption_files: list[str | os.PathLike], split_dir: str | os.PathLike,
                  features_zip: str | os.PathLike | None, out: str | os.PathLike,
                  digests: dict[str, str | None] | None = None,
                  expect_counts: tuple[int, int, int] | None = EXPECTED_COUNTS,
                  allow_missing: bool = False, max_frames: int = MAX_FRAMES,
                  progress: bool = True) -> dict[str, int]:
    """Write prepared/ and features/i3d.h5 under ``out``; return the final split sizes.

    Videos of a split without captions or features stop the run with their ids listed, unless
    ``allow_missing``: then they are dropped and listed in ``prepared/missing.txt``.
    """
    out = Path(out)
    lists = read_split_lists(split_dir, SPLIT_SHA256 if digests is None else digests, expect_counts)
    captions = read_captions(caption_files)
    available = set(captions)
    index: dict[str, str] = {}
    if features_zip is not None:
        try:
            with zipfile.ZipFile(features_zip) as zf:
                index = _member_index(zf)
        except (zipfile.BadZipFile, OSError) as err:
            raise HanetError(f"{features_zip}: not a readable zip archive ({err})") from None
        available &= set(index)
    missing = {s: [v for v in lists[s] if v not in available] for s in SPLITS}
    reasons = []
    for split in SPLITS:
        for vid in missing[split]:
            lacks = [what for what, ok in (("captions", vid in captions),
                                           ("features", features_zip is None or vid in index)) if not ok]
            reasons.append(f"{split}\t{vid}\tno {' and no '.join(lacks)}")
    if reasons and not allow_missing:
        shown = "; ".join(r.replace("\t", " ") for r in reasons[:5])
        raise HanetError(f"{len(reasons)} split videos lack captions or features in {caption_files} / "
                         f"{features_zip} (e.g. {shown}); rerun with --allow-missing to drop and list them")
    keep = {s: [v for v in lists[s] if v in available] for s in SPLITS}
    if features_zip is not None:
        write_i3d_h5(features_zip, [v for s in SPLITS for v in keep[s]], out / "features" / "i3d.h5",
                     max_frames=max_frames, progress=progress)
    prepared = out / "prepared"
    for split in SPLITS:
        write_text(prepared / "splits" / f"{split}.txt", "".join(v + "\n" for v in keep[split]))
    write_json(prepared / "captions.json", {v: captions[v] for s in SPLITS for v in keep[s]})
    write_text(prepared / "missing.txt", "".join(r + "\n" for r in reasons))
    return {s: len(keep[s]) for s in SPLITS}


def _digest_overrides(items: list[str]) -> dict[str, str | None]:
    digests: dict[str, str | None] = dict(SPLIT_SHA256)
    for item in items:
        split, _, value = item.partition("=")
        if split not in SPLITS or not value:
            raise HanetError(f"--split-sha256 expects SPLIT=HEX (or SPLIT=none) with SPLIT in {SPLITS}, got {item!r}")
        digests[split] = None if value.lower() == "none" else value.lower()
    return digests


def cli(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="hanet vatex", description=__doc__.split("\n")[0])
    parser.add_argument("--train-json", required=True, help="vatex_training_v1.0.json")
    parser.add_argument("--val-json", required=True, help="vatex_validation_v1.0.json")
    parser.add_argument("--split-lists", required=True, help="folder with {train,val,test}_list.txt")
    parser.add_argument("--features-zip", help="official I3D trainval.zip (omit: captions and splits only)")
    parser.add_argument("--out", required=True, help="dataset folder, e.g. resources/vatex")
    parser.add_argument("--max-frames", type=int, default=MAX_FRAMES)
    parser.add_argument("--split-sha256", action="append", default=[], metavar="SPLIT=HEX",
                        help="override a pinned split-list digest ('none' skips the check)")
    parser.add_argument("--expect-counts", default=",".join(map(str, EXPECTED_COUNTS)),
                        help="train,val,test list sizes ('none' skips the check)")
    parser.add_argument("--allow-missing", action="store_true",
                        help="drop split videos without captions/features, listed in prepared/missing.txt")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    counts = None
    if args.expect_counts.lower() != "none":
        try:
            counts = tuple(int(x) for x in args.expect_counts.split(","))
        except ValueError:
            raise HanetError(f"--expect-counts must be three integers, got {args.expect_counts!r}") from None
        if len(counts) != 3:
            raise HanetError(f"--expect-counts must be three integers, got {args.expect_counts!r}")
    sizes = prepare_vatex([args.train_json, args.val_json], args.split_lists, args.features_zip, args.out,
                          digests=_digest_overrides(args.split_sha256), expect_counts=counts,
                          allow_missing=args.allow_missing, max_frames=args.max_frames,
                          progress=not args.no_progress)
    print(f"{args.out}: " + ", ".join(f"{s} {n}" for s, n in sizes.items()))
