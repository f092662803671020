"""`hanet extract`: videos of a prepared dataset -> per-frame features in HDF5.

An extractor is found by name in :data:`EXTRACTORS` (``name -> "module:Class"``,
imported lazily so e.g. torch-heavy extractors cost nothing unless used). Interface:
a class with ``name``, ``settings: dict``, ``dim`` and
``__call__(frames: uint8 (T, H, W, 3)) -> float32 (T, dim)``; constructor keyword
arguments come from ``--extractor-arg key=value`` (strings).

Output contract (docs/interfaces.md): one float32 dataset ``(num_frames, dim)`` per video
id, with attrs ``frame_indices`` and ``num_native_frames``; file attrs ``extractor``,
``settings`` (JSON, including the frame sampling), ``dim`` and ``failures`` (JSON list).

Resumable: work goes to ``<out>.partial``; a re-run with the same extractor and settings
keeps the videos already there. The finished file is renamed onto ``<out>`` at the end, or,
with ``--standardize``, written standardised with the train split's statistics
(:mod:`hanet.features.standardize`; file attrs ``feature_mean``, ``feature_std``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
from pathlib import Path

import h5py
import numpy as np

from hanet.data.video import read_sampled
from hanet.errors import HanetError
from hanet.features.standardize import standardize_file
from hanet.io import read_json, read_lines
from hanet.progress import progress as progress_bar

EXTRACTORS: dict[str, str] = {
    "descriptor": "hanet.features.descriptor:Descriptor",
    "resnet152": "hanet.features.resnet:ResNet152Extractor",
}


def get_extractor(name: str, **kwargs):
    """Instantiate a registered extractor by name."""
    if name not in EXTRACTORS:
        raise HanetError(f"unknown extractor {name!r} (known: {', '.join(sorted(EXTRACTORS))})")
    module, cls = EXTRACTORS[name].split(":")
    return getattr(importlib.import_module(module), cls)(**kwargs)


def _open_partial(partial: Path, header: dict) -> h5py.File:
    """Open the in-progress file, starting afresh if it is unreadable or from other settings."""
    if partial.exists():
        try:
            f = h5py.File(partial, "a")
            if all(f.attrs.get(k) == v for k, v in header.items()):
                return f
            f.close()
        except OSError:
            pass
        partial.unlink()
    f = h5py.File(partial, "w")
    f.attrs.update(header)
    return f


def extract_videos(manifest: dict[str, str], base: str | os.PathLike, out: str | os.PathLike, extractor,
                   max_frames: int, stride: int | None = None, allow_failures: bool = False,
                   progress: bool = True, standardize_with: list[str] | None = None) -> list[dict]:
    """Extract features of ``{video_id: path relative to base}`` into ``out``; return the failures.
    With ``standardize_with`` (the train video ids) every dimension is standardised with the
    statistics of those videos' frames."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = dict(extractor.settings, max_frames=max_frames, stride=stride)
    header = {"extractor": extractor.name, "settings": json.dumps(settings, sort_keys=True), "dim": int(extractor.dim)}
    partial = out.with_name(out.name + ".partial")
    failures: list[dict] = []
    with _open_partial(partial, header) as f:
        todo = [v for v in manifest if v not in f]
        for vid in progress_bar(todo, desc=f"extract {extractor.name}", unit="video", enabled=progress):
            path = Path(base) / manifest[vid]
            try:
                frames, indices, num_native = read_sampled(path, max_frames, stride)  # (K, H, W, 3)
            except HanetError as err:
                if not allow_failures:
                    raise HanetError(f"video {vid}: {err} (use --allow-failures to skip such videos)") from None
                failures.append({"video_id": vid, "path": str(path), "error": str(err)})
                continue
            feats = np.asarray(extractor(frames), dtype=np.float32)  # (K, dim)
            if feats.shape != (len(indices), extractor.dim):
                raise HanetError(f"video {vid}: extractor {extractor.name} returned shape {feats.shape}, "
                                 f"expected ({len(indices)}, {extractor.dim})")
            if not np.isfinite(feats).all():
                raise HanetError(f"video {vid} ({path}): extractor {extractor.name} produced NaN/inf features")
            ds = f.create_dataset(vid, data=feats)
            ds.attrs["frame_indices"] = indices.astype(np.int64)
            ds.attrs["num_native_frames"] = int(num_native)
            f.flush()
        f.attrs["failures"] = json.dumps(failures)
    if len(failures) == len(manifest):
        raise HanetError(f"{out}: every video failed to decode (first: {failures[0]['error']})")
    if standardize_with is None:
        os.replace(partial, out)
    else:  # a kill here leaves the complete partial: the re-run extracts nothing and standardises again
        standardize_file(partial, out, standardize_with)
        partial.unlink()
    return failures


def read_features(path: str | os.PathLike, video_id: str) -> tuple[np.ndarray, np.ndarray]:
    """``(features (T, dim) float32, frame_indices (T,))`` of one video."""
    with h5py.File(path, "r") as f:
        if video_id not in f:
            raise HanetError(f"{path}: no features for video {video_id}")
        ds = f[video_id]
        return ds[()].astype(np.float32), np.asarray(ds.attrs["frame_indices"])


def _kv(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    k, v = text.split("=", 1)
    return k.replace("-", "_"), v


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet extract", description=__doc__.split("\n\n")[0])
    p.add_argument("--extractor", required=True, help=f"one of: {', '.join(EXTRACTORS)}")
    p.add_argument("--prepared", required=True, help="prepared/ folder with videos.json")
    p.add_argument("--out", required=True, help="output .h5")
    p.add_argument("--max-frames", type=int, default=20)
    p.add_argument("--stride", type=int, default=None, help="keep every stride-th native frame first (MSR-VTT: 16)")
    p.add_argument("--extractor-arg", type=_kv, action="append", default=[], help="key=value for the extractor")
    p.add_argument("--allow-failures", action="store_true", help="skip undecodable videos (listed in attrs 'failures')")
    p.add_argument("--standardize", action="store_true",
                   help="standardise every dimension with the mean and std of the train split's frames "
                        "(<prepared>/splits/train.txt); for hand-made descriptors, not CNN features")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    manifest_path = Path(a.prepared) / "videos.json"
    manifest = read_json(manifest_path)
    if not isinstance(manifest, dict) or not manifest:
        raise HanetError(f"{manifest_path}: expected a non-empty {{video_id: path}} object")
    train_ids = read_lines(Path(a.prepared) / "splits" / "train.txt") if a.standardize else None
    extractor = get_extractor(a.extractor, **dict(a.extractor_arg))
    failures = extract_videos(manifest, a.prepared, a.out, extractor, a.max_frames, a.stride,
                              a.allow_failures, progress=not a.no_progress, standardize_with=train_ids)
    for fail in failures:
        print(f"skipped {fail['video_id']}: {fail['error']}")
    print(f"{len(manifest) - len(failures)} videos -> {a.out} ({extractor.name}, dim {extractor.dim}"
          f"{', standardised with the train split' if a.standardize else ''})")
