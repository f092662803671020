"""Decode videos with PyAV and sample frames uniformly (shared by every dataset with raw videos).

The MSR-VTT recipe used by HGR and HANet: keep every 16th native frame, then at most 20
of those, picked uniformly (``sample_indices(n, 20, stride=16)``).
"""

from __future__ import annotations

import os

import av
import numpy as np

from hanet.errors import HanetError


def sample_indices(num_native: int, max_frames: int, stride: int | None = None) -> np.ndarray:
    """Native frame indices to keep, increasing, int64 ``(K,)`` with ``1 <= K <= max_frames``.

    Every ``stride``-th native frame (0, stride, 2*stride, ...; all frames when ``stride`` is
    None), then, if more than ``max_frames`` remain, ``max_frames`` of them at
    ``round(linspace(0, len - 1, max_frames))`` positions.
    """
    if num_native < 1:
        raise HanetError("sample_indices: video has no frames")
    if max_frames < 1 or (stride is not None and stride < 1):
        raise HanetError(f"sample_indices: max_frames and stride must be >= 1 (got {max_frames}, {stride})")
    candidates = np.arange(0, num_native, stride or 1, dtype=np.int64)  # (C,)
    if len(candidates) <= max_frames:
        return candidates
    pick = np.round(np.linspace(0, len(candidates) - 1, max_frames)).astype(np.int64)  # (max_frames,)
    return candidates[pick]


def read_all_frames(path: str | os.PathLike) -> np.ndarray:
    """All decoded frames of the first video stream, uint8 ``(T, H, W, 3)`` RGB."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise HanetError(f"{path}: no video stream")
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    except (av.FFmpegError, OSError, ValueError) as err:
        raise HanetError(f"{path}: cannot decode video ({err})") from None
    if not frames:
        raise HanetError(f"{path}: video has no frames")
    return np.stack(frames)  # (T, H, W, 3)


def read_frames(path: str | os.PathLike, indices: np.ndarray | list[int] | None = None) -> np.ndarray:
    """Decoded frames at the given native indices (all frames when None), uint8 ``(K, H, W, 3)``.

    Decodes sequentially and keeps only the wanted frames, so memory stays at ``K`` frames.
    """
    if indices is None:
        return read_all_frames(path)
    wanted = np.asarray(indices, dtype=np.int64)
    keep = set(wanted.tolist())
    got: dict[int, np.ndarray] = {}
    last = int(wanted.max()) if len(wanted) else -1
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise HanetError(f"{path}: no video stream")
            for i, frame in enumerate(container.decode(video=0)):
                if i in keep:
                    got[i] = frame.to_ndarray(format="rgb24")
                if i >= last:
                    break
    except (av.FFmpegError, OSError, ValueError) as err:
        raise HanetError(f"{path}: cannot decode video ({err})") from None
    missing = [i for i in wanted.tolist() if i not in got]
    if missing:
        raise HanetError(f"{path}: video has {len(got) and max(got) + 1} decodable frames, "
                         f"frame {missing[0]} requested")
    return np.stack([got[i] for i in wanted.tolist()])  # (K, H, W, 3)


def count_frames(path: str | os.PathLike) -> int:
    """Number of decodable frames (decodes the stream; container frame counts are unreliable)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise HanetError(f"{path}: no video stream")
            n = sum(1 for _ in container.decode(video=0))
    except (av.FFmpegError, OSError, ValueError) as err:
        raise HanetError(f"{path}: cannot decode video ({err})") from None
    if n == 0:
        raise HanetError(f"{path}: video has no frames")
    return n


def read_sampled(path: str | os.PathLike, max_frames: int, stride: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    """One decoding pass: ``(frames (K, H, W, 3) uint8, native indices (K,), num_native)``.

    Keeps only every ``stride``-th frame while decoding (memory ~ num_native / stride
    frames), then applies :func:`sample_indices` once the native length is known.
    """
    step = stride or 1
    kept: list[np.ndarray] = []
    n = 0
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise HanetError(f"{path}: no video stream")
            for n, frame in enumerate(container.decode(video=0), start=1):
                if (n - 1) % step == 0:
                    kept.append(frame.to_ndarray(format="rgb24"))
    except (av.FFmpegError, OSError, ValueError) as err:
        raise HanetError(f"{path}: cannot decode video ({err})") from None
    if n == 0:
        raise HanetError(f"{path}: video has no frames")
    indices = sample_indices(n, max_frames, stride)  # (K,) subset of 0, step, 2*step, ...
    frames = np.stack(kept)[indices // step]  # (K, H, W, 3)
    return frames, indices, n
