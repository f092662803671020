"""hanet slices on hand-made run folders: per-slice recall, paired differences, twin table."""

import json

import numpy as np
import pandas as pd
import pytest

from fake_runs import make_run
from hanet.errors import HanetError
from hanet.results.slices import cli, slices


def tags(twin, temporal, partial, distractor, objects):
    return {"twin": twin, "temporal": temporal, "partial": partial, "distractor": distractor, "objects": objects}


# four test captions "caption 0..3" of two test videos (twins); one train video's caption ignored
PHENOMENA = {"phenomena": {"twin": "t", "temporal": "o", "partial": "p", "distractor": "d", "objects": "n"},
             "videos": {
                 "video0": {"split": "test", "captions": [{"caption": "caption 0", **tags(True, True, False, True, 3)},
                                                          {"caption": "caption 1", **tags(True, False, True, True, 3)}]},
                 "video1": {"split": "test", "captions": [{"caption": "caption 2", **tags(True, False, False, False, 2)},
                                                          {"caption": "caption 3", **tags(False, False, False, False, 1)}]},
                 "video9": {"split": "train", "captions": [{"caption": "caption 0", **tags(False, False, False, False, 1)}]},
             }}


def add_twin(folder, outcomes):
    with np.load(folder / "ranks.npz") as npz:
        arrays = dict(npz)
    np.savez(folder / "ranks.npz", **arrays, t2v_twin=np.array(outcomes, dtype=float))


@pytest.fixture
def setup(tmp_path):
    root = tmp_path / "synth"
    # full: R@1 hits on captions 0, 1 (seed 0) and 0, 2 (seed 1); no_local: caption 3 only (both seeds)
    add_twin(make_run(root, "full", 0, [1, 1, 3, 4], [1, 1]), [1.0, 1.0, 0.5, np.nan])
    add_twin(make_run(root, "full", 1, [1, 6, 1, 2], [1, 1]), [1.0, 0.0, 1.0, np.nan])
    add_twin(make_run(root, "no_local", 0, [2, 2, 7, 1], [1, 1]), [0.0, 0.0, 0.5, np.nan])
    add_twin(make_run(root, "no_local", 1, [2, 2, 7, 1], [1, 1]), [0.0, 0.0, 0.5, np.nan])
    phen = tmp_path / "phenomena.json"
    phen.write_text(json.dumps(PHENOMENA))
    return root, phen


def test_slice_recalls_and_paired_differences_by_hand(setup, tmp_path):
    root, phen = setup
    out = tmp_path / "out"
    sl, tw = slices(root, phen, out, n_boot=200)
    sl = sl.set_index(["slice", "variant"])
    # all: full seeds R@1 = 50, 50; R@5: seed0 ranks 1,1,3,4 -> 100, seed1 1,6,1,2 -> 75
    assert sl.loc[("all", "full"), "r1_mean"] == 50.0 and sl.loc[("all", "full"), "r1_std"] == 0.0
    assert sl.loc[("all", "full"), "r5_mean"] == 87.5
    # twin slice = captions 0, 1, 2: full seeds 2/3 and 2/3; no_local 0
    assert sl.loc[("twin", "full"), "r1_mean"] == pytest.approx(200 / 3)
    assert sl.loc[("twin", "full"), "captions"] == 3
    assert sl.loc[("twin", "no_local"), "d_r1"] == pytest.approx(-200 / 3)
    # temporal slice = caption 0: full 100, no_local 0; a single caption: the interval is the point
    assert sl.loc[("temporal", "no_local"), "d_r1"] == -100.0
    assert sl.loc[("temporal", "no_local"), "d_r1_lo"] == -100.0 == sl.loc[("temporal", "no_local"), "d_r1_hi"]
    # plain = caption 3 (the train video's tags for "caption 0" are ignored); objects
    assert sl.loc[("plain", "no_local"), "r1_mean"] == 100.0 and sl.loc[("plain", "full"), "r1_mean"] == 0.0
    assert sl.loc[("1 object", "full"), "captions"] == 1 and sl.loc[("3 objects", "full"), "captions"] == 2
    assert np.isnan(sl.loc[("all", "full")].get("d_r1", np.nan))
    tw = tw.set_index("variant")
    # full: seed0 (1 + 1 + .5) / 3, seed1 (1 + 0 + 1) / 3 -> mean 75; no_local 1/6
    assert tw.loc["full", "twin_mean"] == pytest.approx(75.0)
    assert tw.loc["full", "captions"] == 3
    assert tw.loc["no_local", "twin_mean"] == pytest.approx(100 / 6)
    assert tw.loc["no_local", "d_twin"] == pytest.approx(100 / 6 - 75.0)
    md = (out / "slices.md").read_text()
    assert "## Binding-twin discrimination" in md and "| twin | 3 |" in md
    assert (out / "plots" / "slices.png").stat().st_size > 0
    assert list(pd.read_csv(out / "slices.csv")["slice"].unique())[:2] == ["all", "twin"]


def test_untagged_caption_is_an_error(setup, tmp_path):
    root, phen = setup
    bad = json.loads(phen.read_text())
    bad["videos"]["video1"]["captions"].pop()
    phen.write_text(json.dumps(bad))
    with pytest.raises(HanetError, match="'caption 3' has no phenomenon tags"):
        cli(["--runs", str(root), "--phenomena", str(phen), "--out", str(tmp_path / "o"), "--bootstrap", "20"])
