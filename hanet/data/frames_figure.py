"""Frame strips of a few videos with their captions (for the report and README)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hanet.data.video import read_sampled  # noqa: E402
from hanet.io import atomic_path, read_json  # noqa: E402


def frame_strip_figure(prepared_dir: str | os.PathLike, video_ids: list[str], out_png: str | os.PathLike,
                       frames_per_video: int = 6, captions_per_video: int = 3) -> None:
    """One row per video: ``frames_per_video`` uniformly sampled frames, captions underneath."""
    prepared = Path(prepared_dir)
    manifest, captions = read_json(prepared / "videos.json"), read_json(prepared / "captions.json")
    n = len(video_ids)
    fig, axes = plt.subplots(n, frames_per_video, figsize=(max(1.6 * frames_per_video, 8.0), 2.6 * n), squeeze=False)
    for row, vid in enumerate(video_ids):
        path = prepared / manifest[vid]
        frames, idx, _ = read_sampled(path, frames_per_video)  # (K, H, W, 3), one decoding pass
        for col, ax in enumerate(axes[row]):
            ax.axis("off")
            if col < len(frames):
                ax.imshow(frames[col], interpolation="nearest")
                ax.set_title(f"frame {idx[col]}", fontsize=7)
        text = "\n".join(textwrap.shorten(c, 95) for c in captions[vid][:captions_per_video])
        axes[row][0].text(0, -0.12, f"{vid}:\n{text}", transform=axes[row][0].transAxes, va="top", fontsize=7.5)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.95, bottom=0.08, wspace=0.05, hspace=0.9)
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def cli(argv: list[str]) -> None:
    import argparse

    from hanet.io import read_lines

    p = argparse.ArgumentParser(prog="hanet frames", description="Frame strips of a few videos with their captions.")
    p.add_argument("--prepared", type=Path, required=True, help="prepared/ folder (videos.json, captions.json, splits/)")
    p.add_argument("--out", type=Path, required=True, help="output PNG")
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--num-videos", type=int, default=4)
    p.add_argument("--frames-per-video", type=int, default=6)
    a = p.parse_args(argv)
    ids = read_lines(a.prepared / "splits" / f"{a.split}.txt")[: a.num_videos]
    frame_strip_figure(a.prepared, ids, a.out, frames_per_video=a.frames_per_video)
    print(f"{len(ids)} videos -> {a.out}")
