"""Paired bootstrap and seed statistics."""

import numpy as np
import pytest

from fake_runs import random_ranks
from hanet.metrics import rsum_from_ranks, summarize
from hanet.results.stats import (
    bootstrap_means,
    bootstrap_p,
    mean_std,
    paired_bootstrap,
    percentile_ci,
    recall_points,
)


def test_mean_std_ddof1_and_single_value():
    m, s, n = mean_std([1.0, 2.0, 6.0])
    assert (m, n) == (3.0, 3) and s == pytest.approx(np.sqrt(((4 + 1 + 9) / 2)))
    m, s, n = mean_std([5.0])
    assert m == 5.0 and np.isnan(s) and n == 1


def test_recall_points_sum_to_rsum():
    t, v = np.array([1, 3, 7, 20, 2.5]), np.array([1, 1, 11, 4])
    assert recall_points(t).mean() + recall_points(v).mean() == pytest.approx(rsum_from_ranks(t, v))
    np.testing.assert_array_equal(recall_points(t), [300, 200, 100, 0, 200])


def test_bootstrap_means_match_explicit_resamples():
    values = np.array([0.0, 1.0, 5.0, 2.0])
    got = bootstrap_means(values, 7, np.random.default_rng(4))
    idx = np.random.default_rng(4).integers(0, 4, size=(7, 4))
    np.testing.assert_allclose(got, values[idx].mean(axis=1))


def test_p_value_and_ci_hand_cases():
    assert bootstrap_p(np.zeros(99)) == 1.0
    assert bootstrap_p(np.ones(99)) == pytest.approx(2 / 100)        # never exactly 0
    assert bootstrap_p(np.r_[np.ones(50), -np.ones(49)]) == 1.0
    lo, hi = percentile_ci(np.arange(101.0))
    assert (lo, hi) == pytest.approx((2.5, 97.5))


def test_identical_runs_ci_contains_zero():
    rng = np.random.default_rng(0)
    t = np.stack([random_ranks(rng, 50, 200, 2.0) for _ in range(3)])
    v = np.stack([random_ranks(rng, 200, 50, 2.0) for _ in range(3)])
    res = paired_bootstrap(t, t.copy(), v, v.copy(), n_boot=300, seed=1)
    for key in ("t2v_r1", "rsum"):
        assert res[key]["diff"] == 0.0 and res[key]["lo"] <= 0.0 <= res[key]["hi"] and res[key]["p"] == 1.0


def test_clearly_better_variant_excludes_zero_and_observed_diff_is_exact():
    rng = np.random.default_rng(0)
    base_t = np.stack([random_ranks(rng, 50, 300, 0.5) for _ in range(2)])
    base_v = np.stack([random_ranks(rng, 300, 50, 0.5) for _ in range(2)])
    good_t = np.maximum(1, base_t // 4)  # every query ranks better
    good_v = np.maximum(1, base_v // 4)
    res = paired_bootstrap(base_t, good_t, base_v, good_v, n_boot=400, seed=0)
    assert res["t2v_r1"]["lo"] > 0 and res["rsum"]["lo"] > 0 and res["rsum"]["p"] < 0.01
    want_r1 = np.mean([summarize(g)["r1"] - summarize(b)["r1"] for g, b in zip(good_t, base_t)])
    want_rsum = np.mean([rsum_from_ranks(gt, gv) - rsum_from_ranks(bt, bv)
                         for gt, gv, bt, bv in zip(good_t, good_v, base_t, base_v)])
    assert res["t2v_r1"]["diff"] == pytest.approx(want_r1)
    assert res["rsum"]["diff"] == pytest.approx(want_rsum)
    assert res["t2v_r1"]["lo"] <= want_r1 <= res["t2v_r1"]["hi"]


def test_deterministic_and_checks_shapes():
    rng = np.random.default_rng(5)
    a, b = random_ranks(rng, 30, 40, 1.0), random_ranks(rng, 30, 40, 1.5)
    c, d = random_ranks(rng, 40, 30, 1.0), random_ranks(rng, 40, 30, 1.5)
    assert paired_bootstrap(a, b, c, d, 100, 7) == paired_bootstrap(a, b, c, d, 100, 7)
    with pytest.raises(ValueError, match="equal shapes"):
        paired_bootstrap(a, b[:-1], c, d, 10, 0)


def test_seed_separation_lists_only_non_overlapping_ranges():
    from hanet.results.stats import seed_separation

    per_seed = {"full": {0: 210.0, 1: 200.0, 2: 205.0},     # range 200..210
                "global": {0: 190.0, 1: 199.0, 2: 195.0},   # range 190..199: below full entirely
                "local": {0: 180.0, 1: 202.0, 2: 170.0}}    # overlaps both
    rows = seed_separation(per_seed)
    assert [(r["ahead"], r["behind"]) for r in rows] == [("full", "global")]
    (row,) = rows
    assert row["mean_diff"] == pytest.approx(205.0 - 194.666666, abs=1e-4)
    assert (row["min_ahead"], row["max_behind"], row["paired_wins"], row["paired_seeds"]) == (200.0, 199.0, 3, 3)
    assert seed_separation({"a": {0: 1.0}, "b": {0: 1.0}}) == []  # ties are not "ahead"
