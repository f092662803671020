"""Rasterise a synthetic :class:`~hanet.data.synth_world.Clip` to frames and encode it as mp4.

Rendering is pure numpy (vectorised over frames and pixels; the only loop is over the
at most three objects). Encoding uses PyAV's MPEG-4 Part 2 encoder with one thread and
the bitexact flags on codec and muxer, so the same frames give the same bytes.
"""

from __future__ import annotations

import os

import av
import numpy as np

from hanet.data.synth_world import COLOURS, JUMP, SIZES, TRAVEL, Clip, Obj


def _scene(name: str, size: int) -> np.ndarray:
    """Background (H, W, 3) float32 in [0, 255]; fixed texture per scene."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size  # (H, W) each
    base = {
        "grass": (70, 130, 50), "sky": (140, 190, 235), "night": (20, 20, 50),
        "desert": (205, 175, 120), "room": (150, 150, 150), "ocean": (30, 90, 150),
    }[name]
    img = np.broadcast_to(np.array(base, np.float32), (size, size, 3)).copy()
    if name == "grass":
        img *= (0.85 + 0.15 * np.sin(xx * 60.0))[..., None]
    elif name == "sky":
        img *= (0.8 + 0.3 * yy)[..., None]
    elif name == "night":
        stars = (np.sin(xx * 91.0) * np.sin(yy * 77.0)) > 0.97
        img[stars] = 230.0
    elif name == "desert":
        img *= (0.9 + 0.1 * np.sin(xx * 9.0 + yy * 20.0))[..., None]
    elif name == "room":
        img[yy > 0.7] = (120, 80, 40)
    elif name == "ocean":
        img *= (0.8 + 0.2 * np.sin(yy * 50.0 + 3.0 * np.sin(xx * 12.0)))[..., None]
    return np.clip(img, 0, 255)


def trajectory(obj: Obj, num_frames: int, size: int) -> dict[str, np.ndarray]:
    """Per-frame state of an object: cx, cy (px), angle (rad), scale, visible; each (T,)."""
    t = np.linspace(0.0, 1.0, num_frames, dtype=np.float64)  # (T,)
    cx = np.full(num_frames, obj.x * size)
    cy = np.full(num_frames, obj.y * size)
    angle, scale, visible = np.zeros(num_frames), np.ones(num_frames), np.ones(num_frames, bool)
    px = size / 64.0
    for seg in obj.segments:
        u = np.clip((t - seg.start) / (seg.end - seg.start), 0.0, 1.0)  # (T,) progress
        inside = (t >= seg.start) & (t <= seg.end)
        a = seg.action
        if a in ("left", "right"):
            cx += (1 if a == "right" else -1) * TRAVEL * px * u
        elif a in ("up", "down"):
            cy += (1 if a == "down" else -1) * TRAVEL * px * u
        elif a == "jump":
            cy -= JUMP * px * np.abs(np.sin(2 * np.pi * u))  # two hops
        elif a == "spin":
            angle += 2 * np.pi * u
        elif a == "grow":
            scale *= 1.0 + 0.7 * u
        elif a == "shrink":
            scale *= 1.0 - 0.55 * u
        elif a == "blink":
            visible &= ~(inside & (np.floor(u * 6) % 2 == 1))
    return {"cx": cx, "cy": cy, "angle": angle, "scale": scale, "visible": visible}


def _mask(obj: Obj, st: dict[str, np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Inside mask (T, H, W) of the shape and of its dark orientation mark."""
    grid = np.arange(size, dtype=np.float64) + 0.5
    dx = grid[None, None, :] - st["cx"][:, None, None]  # (T, 1, W)
    dy = grid[None, :, None] - st["cy"][:, None, None]  # (T, H, 1)
    c, s = np.cos(st["angle"])[:, None, None], np.sin(st["angle"])[:, None, None]
    u, v = c * dx + s * dy, -s * dx + c * dy  # (T, H, W) object-frame coordinates
    r = SIZES[obj.size] * size / 64.0 * st["scale"][:, None, None]  # (T, 1, 1)
    if obj.shape == "circle":
        inside = u**2 + v**2 <= r**2
    elif obj.shape == "square":
        inside = np.maximum(np.abs(u), np.abs(v)) <= 0.85 * r
    elif obj.shape == "diamond":
        inside = np.abs(u) + np.abs(v) <= 1.15 * r
    else:  # triangle pointing up in object frame
        inside = (v <= 0.6 * r) & (v >= -r + 1.7 * np.abs(u))
    mark = inside & ((u - 0.45 * r) ** 2 + v**2 <= (0.25 * r) ** 2)  # shows rotation
    vis = st["visible"][:, None, None]
    return inside & vis, mark & vis


def render(clip: Clip, num_frames: int, size: int) -> np.ndarray:
    """Frames (T, H, W, 3) uint8."""
    frames = np.broadcast_to(_scene(clip.scene, size), (num_frames, size, size, 3)).copy()
    for obj in clip.objects:  # later objects drawn on top
        inside, mark = _mask(obj, trajectory(obj, num_frames, size), size)
        colour = np.array(COLOURS[obj.colour], np.float32)
        frames[inside] = colour
        frames[mark] = colour * 0.45
    return np.round(frames).astype(np.uint8)


def encode_mp4(frames: np.ndarray, path: str | os.PathLike, fps: int = 8) -> None:
    """Write (T, H, W, 3) uint8 frames to ``path`` as MPEG-4 in mp4, byte-deterministically."""
    t, h, w, _ = frames.shape
    with av.open(str(path), mode="w", format="mp4", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.thread_count = 1
        stream.codec_context.options = {"flags": "+bitexact"}
        stream.bit_rate = 4_000_000  # near-lossless at 64x64
        stream.gop_size = 8
        for i in range(t):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frames[i]), format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
