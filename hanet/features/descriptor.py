"""A deterministic, weight-free per-frame descriptor (240-d) for the synthetic benchmark.

The frame is cut into a 4 x 4 grid of cells. Per cell:

* colour (8): fraction of pixels in each of 6 hue bins (saturated, not dark), plus
  "dark" (value < 0.2) and "pale" (saturation < 0.25, e.g. white and grey);
* shape (4): gradient-magnitude-weighted histogram of unsigned edge orientation
  (0, 45, 90, 135 degrees), which tells squares from diamonds, triangles and circles;
* motion (3): temporal energy mean |dI/dt| and the two brightness-constancy flow
  cues -mean(Ix * It), -mean(Iy * It) (their signs give the direction of motion),
  with dI/dt the central difference over neighbouring *given* frames.

Cell position is the feature index, so position is kept too. 16 cells x 15 = 240.
"""

from __future__ import annotations

import numpy as np

GRID = 4
HUE_BINS = 6
ORIENT_BINS = 4


def _cell_ids(h: int, w: int, grid: int) -> np.ndarray:
    """Cell index of every pixel, (H*W,) int64 in [0, grid*grid)."""
    cy = np.minimum(np.arange(h) * grid // h, grid - 1)  # (H,)
    cx = np.minimum(np.arange(w) * grid // w, grid - 1)  # (W,)
    return (cy[:, None] * grid + cx[None, :]).reshape(-1)


def _cell_sum(t: int, cells: int, cell_id: np.ndarray, bins: np.ndarray, weights: np.ndarray, nbins: int) -> np.ndarray:
    """Sum ``weights`` (T, H*W) into (T, cells, nbins) by pixel cell and per-pixel bin (T, H*W)."""
    frame = np.arange(t)[:, None]  # (T, 1)
    flat = ((frame * cells + cell_id[None, :]) * nbins + bins).reshape(-1)  # (T*H*W,)
    return np.bincount(flat, weights=weights.reshape(-1), minlength=t * cells * nbins).reshape(t, cells, nbins)


def _colour(rgb: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) float in [0, 1] -> per-pixel colour bin (T, H, W) in [0, HUE_BINS + 2)."""
    mx, mn = rgb.max(-1), rgb.min(-1)  # (T, H, W)
    chroma = mx - mn
    sat = np.where(mx > 0, chroma / np.maximum(mx, 1e-6), 0.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    safe = np.maximum(chroma, 1e-6)
    hue = np.where(mx == r, ((g - b) / safe) % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4))  # [0, 6)
    hue_bin = np.clip(np.floor(hue + 0.5) % HUE_BINS, 0, HUE_BINS - 1).astype(np.int64)  # bins centred on R,Y,G,C,B,M
    dark, pale = mx < 0.2, (sat < 0.25) & (mx >= 0.2)
    return np.where(dark, HUE_BINS, np.where(pale, HUE_BINS + 1, hue_bin))  # (T, H, W)


def _gradients(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference image gradients of (T, H, W) -> Ix, Iy each (T, H, W)."""
    ix = np.zeros_like(gray)
    iy = np.zeros_like(gray)
    ix[:, :, 1:-1] = (gray[:, :, 2:] - gray[:, :, :-2]) / 2
    iy[:, 1:-1, :] = (gray[:, 2:, :] - gray[:, :-2, :]) / 2
    return ix, iy


class Descriptor:
    """Extractor interface: ``name``, ``settings``, ``dim``, ``__call__(frames) -> (T, dim)``."""

    name = "descriptor"

    def __init__(self, grid: int | str = GRID) -> None:
        self.grid = int(grid)
        self.settings = {"grid": self.grid, "hue_bins": HUE_BINS, "orientation_bins": ORIENT_BINS}
        self.dim = self.grid * self.grid * (HUE_BINS + 2 + ORIENT_BINS + 3)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
            raise ValueError(f"expected uint8 frames (T, H, W, 3) with T >= 1, got {frames.shape}")
        t, h, w, _ = frames.shape
        rgb = frames.astype(np.float32) / 255.0  # (T, H, W, 3)
        gray = rgb @ np.array([0.299, 0.587, 0.114], np.float32)  # (T, H, W)
        cell_id = _cell_ids(h, w, self.grid)  # (H*W,)
        ncell = self.grid * self.grid
        area = np.bincount(cell_id, minlength=ncell).astype(np.float64)[None, :, None]  # (1, C, 1)
        ones = np.ones((t, h * w))

        colour = _cell_sum(t, ncell, cell_id, _colour(rgb).reshape(t, -1), ones, HUE_BINS + 2)  # (T, C, 8)

        ix, iy = _gradients(gray)  # (T, H, W) each
        mag = np.sqrt(ix**2 + iy**2)
        theta = np.arctan2(iy, ix) % np.pi  # unsigned orientation in [0, pi)
        obin = (np.round(theta / (np.pi / ORIENT_BINS)).astype(np.int64) % ORIENT_BINS).reshape(t, -1)
        orient = _cell_sum(t, ncell, cell_id, obin, mag * 4.0, ORIENT_BINS)  # (T, C, 4)

        prev = np.concatenate([gray[:1], gray[:-1]])  # (T, H, W) neighbours, clamped at the ends
        nxt = np.concatenate([gray[1:], gray[-1:]])
        span = np.array([1.0] + [2.0] * (t - 2) + [1.0])[:t] if t > 1 else np.ones(1)
        it = (nxt - prev) / span[:, None, None].astype(np.float32)  # (T, H, W)
        zero = np.zeros((t, h * w), np.int64)
        motion = np.concatenate([_cell_sum(t, ncell, cell_id, zero, w_, 1) for w_ in
                                 (np.abs(it) * 4.0, -ix * it * 40.0, -iy * it * 40.0)], -1)  # (T, C, 3)

        feats = np.concatenate([colour, orient, motion], -1) / area  # (T, C, 15) cell means
        return np.ascontiguousarray(feats.reshape(t, -1), dtype=np.float32)  # (T, dim)
