"""The tiny synthetic pipeline end to end (synth -> prepare -> extract -> parse) through the functions."""

import json

import h5py
import numpy as np

from hanet.data.frames_figure import frame_strip_figure


def test_tiny_pipeline_end_to_end(tiny_pipeline):
    prepared = tiny_pipeline["prepared"]
    manifest = json.loads((prepared / "videos.json").read_text())
    splits = {s: (prepared / "splits" / f"{s}.txt").read_text().split() for s in ("train", "val", "test")}
    assert [len(splits[s]) for s in ("train", "val", "test")] == [28, 6, 6]
    with h5py.File(tiny_pipeline["features"], "r") as f:
        assert sorted(f) == sorted(manifest)
        x = np.stack([f[v][()] for v in splits["test"]])  # (6, 8, 240)
        assert x.shape == (6, 8, 240) and np.isfinite(x).all()
        assert len({v.tobytes() for v in x}) == 6  # every video has its own features
    labels = json.loads((tiny_pipeline["text"] / "labels.json").read_text())
    assert sum(len(e["verbs"]) > 0 for caps in labels.values() for e in caps) > 100


def test_frame_strip_figure(tiny_pipeline, tmp_path):
    out = tmp_path / "strip.png"
    frame_strip_figure(tiny_pipeline["prepared"], ["video0", "video1"], out, frames_per_video=4)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
