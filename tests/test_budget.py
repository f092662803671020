"""The training-budget criterion (hanet/results/budget.py) on hand-computed curves."""
import numpy as np
import pandas as pd
import pytest

from hanet.errors import HanetError
from hanet.results.budget import choose, levelled_off_epoch, markdown, read_logs, smoothed, summarise


def test_trailing_mean_by_hand():
    np.testing.assert_allclose(smoothed(np.array([3.0, 6.0, 9.0, 0.0]), 2), [3.0, 4.5, 7.5, 4.5])
    np.testing.assert_allclose(smoothed(np.array([1.0, 2.0]), 5), [1.0, 1.5])


def test_levelled_off_needs_every_curve():
    rsum = np.array([100, 200, 290, 300, 298, 300.0])  # within 3% of 300 (>= 291) from epoch 4
    concept = np.array([30, 31, 32, 33, 40, 41.0])  # within 3% of 41 (>= 39.77) from epoch 5
    assert levelled_off_epoch({"rsum": rsum}, 0.03, 1) == 4
    assert levelled_off_epoch({"rsum": rsum, "concept": concept}, 0.03, 1) == 5
    # smoothing over 2 epochs: rsum -> [100, 150, 245, 295, 299, 299]; 3% of 299 -> 290.03: epoch 4
    assert levelled_off_epoch({"rsum": rsum}, 0.03, 2) == 4
    assert levelled_off_epoch({"rising": np.arange(1.0, 11.0)}, 0.0, 1) == 10  # never levels: the last epoch
    with pytest.raises(HanetError, match="no curve"):
        levelled_off_epoch({}, 0.03, 1)


def _log(path, rsum, verbs):
    path.mkdir(parents=True)
    pd.DataFrame({"epoch": np.arange(1, len(rsum) + 1), "train_rank": 0.4, "val_rsum": rsum,
                  "val_concept_video_verbs_map": verbs, "val_concept_video_nouns_map": 50.0}) \
        .to_csv(path / "train_log.csv", index=False)


def test_seed_mean_table_and_choice(tmp_path):
    _log(tmp_path / "s0", [100, 280, 300, 300], [30, 35, 40, 40])
    _log(tmp_path / "s1", [120, 300, 300, 320], [30, 37, 40, 40])
    table = summarise(read_logs([tmp_path / "s0", tmp_path / "s1"]))
    np.testing.assert_allclose(table["val_rsum_mean"], [110, 290, 300, 310])
    np.testing.assert_allclose(table["val_rsum_std"], [np.sqrt(200), np.sqrt(200), 0, np.sqrt(200)])
    assert table["n_seeds"].tolist() == [2, 2, 2, 2]
    assert choose(table, 0.03, 1) == 4  # rsum: 3% below 310 is 300.7, first reached at epoch 4
    assert choose(table, 0.05, 1) == 3  # 5%: 294.5, reached at epoch 3 (verbs: 38 <= 40 from epoch 3)
    text = markdown(table, 4, 0.03, 1, "hanet budget ...")
    assert "**4 epochs**" in text and "| validation rsum | 310.0 ± 14.1 | 310.0 (4) |" in text and "seed mean" in text
    with pytest.raises(HanetError, match=r"s9/train_log.csv: not found"):
        read_logs([tmp_path / "s9"])
