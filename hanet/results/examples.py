"""Qualitative figures from examples.json: retrieval examples and concept interpretability.

Frames come from the raw videos listed in ``prepared/videos.json`` (read with
``hanet.data.video.read_frames``); feature rows map to native frames through the HDF5
per-video attribute ``frame_indices``. Datasets without videos (features only, e.g. VATEX)
get the same figures with text tiles instead of frames.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from hanet.errors import HanetError
from hanet.io import read_json

NUM_CAPTIONS = 3
NUM_VIDEOS = 3
TOP_CONCEPTS = 3
CORRECT = "#1a9850"
TWIN = "#d95f02"
WRONG = "#bbbbbb"


class Media:
    """Captions, frames and frame-index maps of a prepared dataset; all optional."""

    def __init__(self, prepared: Path | None = None, features: Path | None = None):
        self.captions: dict[str, list[str]] = {}
        self.videos: dict[str, Path] = {}
        self.features = Path(features) if features else None
        if self.features is not None and not self.features.is_file():
            raise HanetError(f"{self.features}: features file not found")
        if prepared is not None:
            prepared = Path(prepared)
            self.captions = _read_json_dict(prepared / "captions.json", required=True)
            paths = _read_json_dict(prepared / "videos.json", required=False)  # absent: features only
            self.videos = {vid: prepared / p for vid, p in paths.items()}
        self._cache: dict[tuple[str, int], np.ndarray | None] = {}

    def frame_indices(self, vid: str) -> np.ndarray | None:
        if self.features is None:
            return None
        import h5py

        try:
            with h5py.File(self.features, "r") as h5:
                if vid not in h5:
                    return None
                idx = h5[vid].attrs.get("frame_indices")
        except OSError as err:
            raise HanetError(f"{self.features}: unreadable HDF5 ({err})") from None
        return None if idx is None else np.asarray(idx, dtype=np.int64)

    def frame(self, vid: str, native: int | None) -> np.ndarray | None:
        """Frame ``native`` of the video (its middle frame when None), or None without video."""
        path = self.videos.get(vid)
        if path is None or not path.is_file():
            return None
        key = (vid, -1 if native is None else int(native))
        if key not in self._cache:
            from hanet.data import video

            if native is None:
                rows = self.frame_indices(vid)
                if rows is not None and rows.size:
                    native = int(rows[rows.size // 2])
            frames = video.read_frames(path, None if native is None else [int(native)])  # (T, H, W, 3)
            self._cache[key] = frames[len(frames) // 2] if len(frames) else None
        return self._cache[key]

    def peak_frame(self, vid: str, row: int) -> tuple[np.ndarray | None, int | None]:
        """(frame, native index) of feature row ``row``; (None, None) when unknown."""
        rows = self.frame_indices(vid)
        if rows is None or not 0 <= row < rows.size:
            return None, None
        native = int(rows[row])
        return self.frame(vid, native), native


def _read_json_dict(path: Path, required: bool) -> dict:
    if not path.is_file() and not required:
        return {}
    obj = read_json(path)  # HanetError naming the file when missing or malformed
    if not isinstance(obj, dict):
        raise HanetError(f"{path}: expected a JSON object keyed by video id")
    return obj


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _tile(ax: plt.Axes, frame: np.ndarray | None, text: str, edge: str, title: str, title_color="black") -> None:
    """A frame (or a text box when there is no frame) with a coloured border."""
    if frame is not None:
        ax.imshow(frame)
    else:
        ax.set_facecolor("#f4f4f4")
        ax.text(0.5, 0.5, "\n".join(_wrap(t, 24) for t in text.split("\n")), ha="center", va="center",
                fontsize=9.5, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor(edge)
        spine.set_linewidth(4 if edge in (CORRECT, TWIN) else 1)
    ax.set_title(title, fontsize=9.5, color=title_color)


def retrieval_figure(base: dict, other: dict | None, base_name: str, other_name: str | None,
                     media: Media, colors: dict | None = None) -> plt.Figure:
    """For a few test captions: top-5 videos of the baseline (and the ablation), correct marked."""
    by_caption = {e["caption"]: e for e in (other or {}).get("t2v", [])}
    entries = [e for e in base.get("t2v", []) if other is None or e["caption"] in by_caption][:NUM_CAPTIONS]
    shown = [(base_name, base)] + ([(other_name, other)] if other is not None else [])
    if not entries:
        fig, ax = plt.subplots(figsize=(8, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no retrieval examples in examples.json", ha="center", va="center")
        return fig
    row_h = 2.3 if media.videos else 1.5  # text tiles need less height than frames
    fig = plt.figure(figsize=(13, (row_h * len(shown) + 0.8) * len(entries)), layout="constrained")
    subs = np.atleast_1d(fig.subfigures(len(entries), 1, hspace=0.04))
    for sub, entry in zip(subs, entries):
        sub.suptitle(_wrap(f"“{entry['caption']}”", 110), fontsize=12, fontweight="bold")
        axes = np.atleast_2d(sub.subplots(len(shown), 5))
        for row, (name, ex) in zip(axes, shown):
            e = entry if name == base_name else by_caption[entry["caption"]]
            positives = set(e.get("positives", []))
            twin = e.get("twin")
            for k, ax in enumerate(row):
                if k >= len(e.get("top", [])):
                    ax.axis("off")
                    continue
                vid, score = e["top"][k][0], float(e["top"][k][1])
                ok, is_twin = vid in positives, vid == twin
                caps = media.captions.get(vid, [])
                label = f"{vid}\n“{caps[0]}”" if caps else vid
                mark = "✔ " if ok else "twin " if is_twin else ""
                edge = CORRECT if ok else TWIN if is_twin else WRONG
                _tile(ax, media.frame(vid, None), label, edge, f"{mark}#{k + 1} {vid}  ({score:.3f})",
                      edge if edge != WRONG else "black")
            color = (colors or {}).get(name, "black")
            ylabel = name
            if twin:
                ylabel += f"\ncorrect #{e['video_rank']}\ntwin #{e['twin_rank']}"
            row[0].set_ylabel(ylabel, fontsize=11, fontweight="bold", color=color, rotation=90, labelpad=8)
            row[0].yaxis.label.set_visible(True)
    shows = "middle frame" if media.videos else "no video files: id and first caption"
    twins = any("twin" in e for e in entries)
    fig.suptitle(f"Text → video: top-5 retrieved test videos ({shows}; green border = a correct video"
                 + ("; orange = its binding twin; left: the ranks of both" if twins else "") + ")", fontsize=13)
    return fig


def accuracy_line(runs: list, name: str) -> str:
    """The concept accuracy of ``name`` (mean over its seeds, runs of hanet.results.collect) with
    chance, for the concept figure's title; '' when its runs have none."""
    mine = [r for r in runs if r.variant == name and r.concepts]
    if not mine:
        return ""
    mean = {c: float(np.mean([r.concepts[c] for r in mine])) for c in mine[0].concepts}
    ch = mine[0].concept_chance  # chance levels and the k of P@k

    def part(key: str, label: str) -> str:
        col = f"concept_video_{key}"
        return (f"{label} mAP {mean[col + '_map']:.1f} (chance {ch[col + '_map']:.1f}), "
                f"P@{ch['k_' + key]} {mean[col + '_pk']:.1f} (chance {ch[col + '_pk']:.1f})")

    return (f"test concept accuracy of the video vectors, mean of {len(mine)} seed(s): "
            f"{part('verb', 'actions')}; {part('noun', 'entities')}")


def concepts_figure(ex: dict, name: str, media: Media, accuracy: str = "") -> plt.Figure:
    """For a few test videos: top action and entity concepts with the frame where each peaks;
    ``accuracy`` (``accuracy_line``) goes under the title."""
    entries = [e for e in ex.get("concepts", []) if e.get("actions") or e.get("entities")][:NUM_VIDEOS]
    if not entries:
        fig, ax = plt.subplots(figsize=(8, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, f"no concept predictions in examples.json of {name}\n"
                "(the variant has no concept branch)", ha="center", va="center")
        return fig
    fig = plt.figure(figsize=(11, 6.2 * len(entries)), layout="constrained")
    subs = np.atleast_1d(fig.subfigures(len(entries), 1, hspace=0.05))
    for sub, entry in zip(subs, entries):
        vid = entry["video_id"]
        caps = media.captions.get(vid, [])[:3]
        text = f"video {vid}" + ("".join(f"\n• {_wrap(c, 95)}" for c in caps) if caps else "")
        sub.suptitle(text, fontsize=11, ha="left", x=0.02, multialignment="left")
        axes = sub.subplots(2, TOP_CONCEPTS)
        for row, key, label in zip(axes, ("actions", "entities"), ("actions", "entities")):
            items = entry.get(key, [])[:TOP_CONCEPTS]
            for k, ax in enumerate(row):
                if k >= len(items):
                    ax.axis("off")
                    continue
                concept, prob, peak_row = items[k][0], float(items[k][1]), int(items[k][2])
                frame, native = media.peak_frame(vid, peak_row)
                where = f"frame {native}" if native is not None else f"feature row {peak_row}"
                _tile(ax, frame, f"{concept}\n(p = {prob:.2f})", WRONG,
                      f"{concept}   p={prob:.2f}   @ {where}")
            row[0].set_ylabel(f"top {label}", fontsize=12, fontweight="bold")
    fig.suptitle(f"Predicted concepts of `{name}` on test videos (frame = where each concept peaks)"
                 + (f"\n{accuracy}" if accuracy else ""), fontsize=13)
    return fig
