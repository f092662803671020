"""`hanet folder`: your own dataset (kind `folder`) from a folder of features, captions and splits.

    hanet folder --src data/my_clip --out resources/my_clip --extractor clip

The folder holds
    features.h5            one HDF5 dataset per video id: float array (num_frames, dim), any extractor,
                           any dim (the same for every video), at least one frame
    captions.json          {"video_id": ["a caption", ...], ...}: raw text, parsed by the suite
    splits/train.txt, splits/val.txt, splits/test.txt   one video id per line, no id in two splits

and becomes the contract files of every other dataset: resources/{dataset}/prepared/captions.json,
prepared/splits/*.txt and resources/{dataset}/features/{extractor}.h5. Every problem (an id without
captions or features, an empty caption, a bad shape, NaN) is one error naming the file and the video.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import h5py
import numpy as np

from hanet.errors import HanetError
from hanet.io import atomic_path, read_json, read_lines, write_json, write_text

SPLITS = ("train", "val", "test")


def read_splits(src: Path) -> dict[str, list[str]]:
    splits = {name: read_lines(src / "splits" / f"{name}.txt") for name in SPLITS}
    seen: dict[str, str] = {}
    for name, ids in splits.items():
        if not ids:
            raise HanetError(f"{src / 'splits' / f'{name}.txt'}: no video ids")
        for vid in ids:
            if vid in seen:
                raise HanetError(f"{src / 'splits'}: video '{vid}' is in both {seen[vid]}.txt and {name}.txt")
            seen[vid] = name
    return splits


def read_captions(src: Path, ids: list[str]) -> dict[str, list[str]]:
    path = src / "captions.json"
    captions = read_json(path)
    if not isinstance(captions, dict):
        raise HanetError(f"{path}: expected {{video_id: [caption, ...]}}")
    out = {}
    for vid in ids:
        caps = captions.get(vid)
        if not caps or not isinstance(caps, list):
            raise HanetError(f"{path}: video '{vid}' (in the splits) has no captions")
        for cap in caps:
            if not isinstance(cap, str) or not cap.strip():
                raise HanetError(f"{path}: video '{vid}' has an empty or non-text caption: {cap!r}")
        out[vid] = caps
    return out


def copy_features(src_h5: Path, out: Path, ids: list[str], extractor: str) -> int:
    """Copy the split videos' features as float32 with the attributes the suite reads; return the dim."""
    if not src_h5.is_file():
        raise HanetError(f"{src_h5}: file not found")
    try:
        h5 = h5py.File(src_h5, "r")
    except OSError as err:
        raise HanetError(f"{src_h5}: not a readable HDF5 file ({err})") from None
    dim = None
    with h5, atomic_path(out) as tmp, h5py.File(tmp, "w") as dst:
        for vid in ids:
            if vid not in h5:
                raise HanetError(f"{src_h5}: no features for video '{vid}' (it is in the splits)")
            arr = np.asarray(h5[vid], dtype=np.float32)  # (T, D)
            if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
                raise HanetError(f"{src_h5}: video '{vid}' has features of shape {arr.shape}, expected (frames>0, dim)")
            if dim is not None and arr.shape[1] != dim:
                raise HanetError(f"{src_h5}: video '{vid}' has dim {arr.shape[1]}, the others {dim}")
            if not np.isfinite(arr).all():
                raise HanetError(f"{src_h5}: video '{vid}' has NaN or inf features")
            dim = arr.shape[1]
            ds = dst.create_dataset(vid, data=arr)
            ds.attrs["frame_indices"] = np.arange(arr.shape[0], dtype=np.int64)
            ds.attrs["num_native_frames"] = int(arr.shape[0])
        dst.attrs["extractor"] = extractor
        dst.attrs["settings"] = json.dumps({"source": str(src_h5)}, sort_keys=True)
        dst.attrs["dim"] = int(dim)
        dst.attrs["failures"] = "[]"
    return int(dim)


def prepare_folder(src: str | Path, out: str | Path, extractor: str, parts=("prepared", "features")) -> dict:
    """Check ``src`` and write prepared/ and/or features/{extractor}.h5 under ``out`` (``parts``)."""
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise HanetError(f"{src}: dataset folder not found")
    splits = read_splits(src)
    ids = [vid for name in SPLITS for vid in splits[name]]
    captions = read_captions(src, ids)
    if "features" in parts:
        dim = copy_features(src / "features.h5", out / "features" / f"{extractor}.h5", ids, extractor)
    else:  # checked all the same, so that a bad folder fails at its first step
        dim = copy_features(src / "features.h5", out / f".check_{extractor}.h5", ids, extractor)
        (out / f".check_{extractor}.h5").unlink()
    if "prepared" in parts:
        for name in SPLITS:
            write_text(out / "prepared" / "splits" / f"{name}.txt", "\n".join(splits[name]) + "\n")
        write_json(out / "prepared" / "captions.json", captions)
    summary = {name: len(splits[name]) for name in SPLITS} | {"dim": dim,
                                                              "captions": sum(map(len, captions.values()))}
    print(f"hanet folder: {src} -> {out}: {summary}")
    return summary


def cli(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="hanet folder", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", required=True, help="the dataset folder (features.h5, captions.json, splits/)")
    p.add_argument("--out", required=True, help="resources/{dataset}")
    p.add_argument("--extractor", required=True, help="name of the features (config features.extractor)")
    p.add_argument("--only", choices=("prepared", "features"), default=None,
                   help="write only prepared/ (captions, splits) or only features/{extractor}.h5 (both checked)")
    a = p.parse_args(argv)
    prepare_folder(a.src, a.out, a.extractor, (a.only,) if a.only else ("prepared", "features"))
