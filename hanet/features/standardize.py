"""Per-dimension standardisation of a features file with its train split's statistics.

A hand-made descriptor (like the synthetic benchmark's) mixes cues of very different scales:
the shape and motion cues that the captions talk about vary an order of magnitude less from
frame to frame than the background colour fractions. A linear projection then hears mostly the
background, and HANet's hardest-negative loss stays near ``2 * margin`` for many epochs before
it finds the quiet cues. ``hanet extract --standardize`` writes ``(x - mean) / std`` per feature dimension,
with ``mean`` and ``std`` taken over every frame of the train split's videos only (so no test
statistic enters), and records both in the file attrs ``feature_mean`` / ``feature_std``.
CNN features (ResNet, I3D) are used raw, as in the public code.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from hanet.errors import HanetError
from hanet.io import atomic_path

MIN_STD = 1e-6  # a dimension that never varies on train frames is centred, not scaled


def train_statistics(f: h5py.File, train_ids: list[str], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (population) per dimension over all frames of the train videos in ``f``,
    each (D,) float64; a dimension with std below MIN_STD gets std 1."""
    present = [v for v in train_ids if v in f]
    if not present:
        raise HanetError(f"{name}: none of the {len(train_ids)} train videos has features; cannot standardise")
    total = count = total_sq = 0.0
    for vid in present:
        x = f[vid][()].astype(np.float64)  # (T, D)
        total = total + x.sum(0)
        total_sq = total_sq + (x * x).sum(0)
        count += x.shape[0]
    mean = total / count  # (D,)
    std = np.sqrt(np.maximum(total_sq / count - mean * mean, 0.0))  # (D,)
    return mean, np.where(std < MIN_STD, 1.0, std)


def standardize_file(src: str | Path, dst: str | Path, train_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Write ``dst`` (atomically): every dataset of ``src`` standardised with the train split's
    statistics, attrs kept, plus file attrs ``standardized``, ``feature_mean`` and ``feature_std``."""
    with h5py.File(src, "r") as f:
        mean, std = train_statistics(f, train_ids, str(src))
        with atomic_path(dst) as tmp, h5py.File(tmp, "w") as out:
            out.attrs.update(dict(f.attrs))
            out.attrs["standardized"] = f"per dimension, with the mean and std of the {len(train_ids)} train videos' frames"
            out.attrs["feature_mean"] = mean.astype(np.float32)
            out.attrs["feature_std"] = std.astype(np.float32)
            for vid in f:
                ds = out.create_dataset(vid, data=((f[vid][()] - mean) / std).astype(np.float32))  # (T, D)
                ds.attrs.update(dict(f[vid].attrs))
    return mean, std
