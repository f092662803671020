"""hanet plots on fake run folders: every PNG is written, frames come from read_frames."""

import json

import h5py
import numpy as np
import pytest
from matplotlib import image as mpimg

from fake_runs import make_run, random_ranks
from hanet.errors import HanetError
from hanet.results.plots import cli, plots

VIDEOS = [f"video{i}" for i in range(8)]


def fake_examples(offset: int) -> dict:
    t2v = [{"caption": f"a person number {q} jumps over a red ball in the park",
            "positives": [VIDEOS[q]],
            "top": [[VIDEOS[(q + offset + k) % 8], round(0.9 - 0.1 * k, 3)] for k in range(5)]}
           for q in range(4)]
    concepts = [{"video_id": VIDEOS[v],
                 "actions": [["jump", 0.91, 2], ["run", 0.55, 5], ["throw", 0.3, 0]],
                 "entities": [["ball", 0.88, 1], ["person", 0.8, 3], ["dog", 0.2, 7]]} for v in (0, 3)]
    return {"t2v": t2v, "concepts": concepts}


@pytest.fixture
def dataset(tmp_path):
    rng = np.random.default_rng(0)
    runs = tmp_path / "results"
    for variant, skill, offset in (("full", 3.0, 0), ("global_only", 1.0, 2), ("no_local", 2.0, 1)):
        for seed in (0, 1):
            make_run(runs, variant, seed, random_ranks(rng, 8, 40, skill), random_ranks(rng, 40, 8, skill),
                     val_rsum=list(np.cumsum(rng.random(5) * 20 * skill)), examples=fake_examples(offset))
    prepared = tmp_path / "prepared"
    (prepared / "videos").mkdir(parents=True)
    for v in VIDEOS:
        (prepared / "videos" / f"{v}.mp4").write_bytes(b"fake")
    (prepared / "videos.json").write_text(json.dumps({v: f"videos/{v}.mp4" for v in VIDEOS}))
    (prepared / "captions.json").write_text(json.dumps({v: [f"caption one of {v}", f"caption two of {v}"]
                                                        for v in VIDEOS}))
    features = tmp_path / "descriptor.h5"
    with h5py.File(features, "w") as h5:
        for v in VIDEOS:
            h5.create_dataset(v, data=np.zeros((8, 4), np.float32)).attrs["frame_indices"] = np.arange(8) * 3
    return runs, prepared, features


def test_all_figures_written_with_frames(dataset, tmp_path, monkeypatch):
    runs, prepared, features = dataset
    calls = []

    def fake_read_frames(path, indices=None):
        calls.append((str(path), None if indices is None else list(indices)))
        n = 1 if indices is not None else 24
        return np.full((n, 24, 32, 3), 40 * len(calls) % 255, dtype=np.uint8)

    monkeypatch.setattr("hanet.data.video.read_frames", fake_read_frames)
    out = tmp_path / "plots"
    cli(["--runs", str(runs), "--out", str(out), "--compare", "global_only",
         "--prepared", str(prepared), "--features", str(features)])
    for name in ("recall", "val_curve", "rank_dist", "retrieval_examples", "concepts"):
        img = mpimg.imread(out / f"{name}.png")
        assert img.shape[0] > 200 and img.shape[1] > 400, name
    # middle frame of video0: row 4 of frame_indices 0,3,..,21 -> native 12;
    # concept 'jump' of video0 peaks at feature row 2 -> native frame 6
    assert (str(prepared / "videos" / "video0.mp4"), [12]) in calls
    assert (str(prepared / "videos" / "video0.mp4"), [6]) in calls


def test_features_only_dataset_draws_text_tiles(dataset, tmp_path, monkeypatch):
    runs, prepared, _ = dataset
    (prepared / "videos.json").unlink()

    def must_not_decode(*_a, **_k):
        raise AssertionError("no videos: nothing to decode")

    monkeypatch.setattr("hanet.data.video.read_frames", must_not_decode)
    written = plots(runs, tmp_path / "p", variants=["full", "no_local"], prepared=prepared)
    assert [p.name for p in written] == ["recall.png", "val_curve.png", "rank_dist.png",
                                         "retrieval_examples.png", "concepts.png"]
    assert all(p.stat().st_size > 10_000 for p in written)


def test_bad_inputs_named(dataset, tmp_path):
    runs, prepared, _ = dataset
    with pytest.raises(HanetError, match="'nope' has no runs"):
        plots(runs, tmp_path / "p", compare="nope")
    (runs / "no_local" / "seed1" / "train_log.csv").write_text("epoch,loss\n1,0.5\n")
    with pytest.raises(HanetError, match=r"seed1.train_log.csv: missing column\(s\) val_rsum"):
        plots(runs, tmp_path / "p")
    (prepared / "captions.json").unlink()
    with pytest.raises(HanetError, match="captions.json: file not found"):
        plots(runs, tmp_path / "p", variants=["full"], prepared=prepared)


def test_concept_accuracy_line_names_the_numbers_and_chance(tmp_path):
    from fake_runs import concept_block, make_run
    from hanet.results import collect
    from hanet.results.examples import accuracy_line

    root = tmp_path / "runs"
    for seed in (0, 1):
        make_run(root, "full", seed, [1, 2], [1, 2], concepts=concept_block(20.0 + 10 * seed, chance=6.25))
    make_run(root, "global_only", 0, [1, 2], [1, 2])
    runs = [collect.load_run(root, v, s) for v, s in collect.discover(root)]
    line = accuracy_line(runs, "full")
    assert "mean of 2 seed(s)" in line
    assert "actions mAP 25.0 (chance 6.2), P@4 35.0 (chance 6.2)" in line
    assert "entities mAP 26.0" in line and "P@6 36.0" in line
    assert accuracy_line(runs, "global_only") == ""


def test_retrieval_figure_marks_the_correct_video_and_its_twin():
    from matplotlib.colors import to_hex

    from hanet.results.examples import CORRECT, TWIN, Media, retrieval_figure

    entry = {"caption": "a red ball jumps while a blue box spins", "positives": ["video3"],
             "top": [["video4", 0.9], ["video3", 0.8], ["video1", 0.2]],
             "video": "video3", "video_rank": 2, "twin": "video4", "twin_rank": 1}
    fig = retrieval_figure({"t2v": [entry]}, None, "full", None, Media())
    tiles = {ax.get_title(): to_hex(ax.spines["top"].get_edgecolor()) for ax in fig.axes if ax.get_title()}
    assert tiles["twin #1 video4  (0.900)"] == TWIN
    assert tiles["✔ #2 video3  (0.800)"] == CORRECT
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["full\ncorrect #2\ntwin #1"]
    assert "binding twin" in fig.get_suptitle()
