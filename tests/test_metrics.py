"""Retrieval metrics: hand-computed cases, the tie rule, chance level, a naive oracle."""

import numpy as np
import pytest
import torch

from hanet.metrics import (
    TIE_RULE,
    chance_metrics,
    ranks_of_positives,
    retrieval_metrics,
    rsum_from_ranks,
    summarize,
)


def naive_ranks(scores, positives):
    """Dense loop oracle: the tie rule written out query by query, item by item."""
    out = []
    for s, p in zip(scores, positives):
        best = max(v for v, ok in zip(s, p) if ok)
        higher = sum(1 for v, ok in zip(s, p) if not ok and v > best)
        equal = sum(1 for v, ok in zip(s, p) if not ok and v == best)
        out.append(1 + higher + 0.5 * equal)
    return np.array(out)


def test_hand_computed_ranks_with_ties_and_multiple_positives():
    scores = np.array([
        [0.9, 0.5, 0.5, 0.1, 0.0],   # positive 1 ties with an incorrect item, one above -> 2.5
        [0.3, 0.8, 0.8, 0.9, 0.1],   # positives 0 and 2: best is 0.8; 0.9 above, item 1 ties -> 2.5
        [0.7, 0.7, 0.2, 0.1, 0.0],   # two positives tied at the top: other correct items don't count -> 1
        [0.1, 0.2, 0.3, 0.4, 0.5],   # positive last -> 5
    ])
    pos = np.zeros_like(scores, dtype=bool)
    pos[0, 1] = True
    pos[1, [0, 2]] = True
    pos[2, [0, 1]] = True
    pos[3, 0] = True
    ranks = ranks_of_positives(scores, pos)
    np.testing.assert_array_equal(ranks, [2.5, 2.5, 1.0, 5.0])
    s = summarize(ranks)
    assert s == {"r1": 25.0, "r5": 100.0, "r10": 100.0, "medr": 2.5, "meanr": 2.75}


def test_constant_matrix_is_at_chance_not_perfect():
    n = 7
    ranks = ranks_of_positives(np.ones((n, n)), np.eye(n, dtype=bool))
    np.testing.assert_array_equal(ranks, np.full(n, (n + 1) / 2))
    m = retrieval_metrics(np.zeros((n, n)), np.eye(n, dtype=bool))
    assert m["t2v"]["r1"] == 0.0 and m["v2t"]["r1"] == 0.0
    assert m["t2v"]["meanr"] == chance_metrics(n)["meanr"] == 4.0


def test_vectorised_equals_naive_oracle_on_random_ties():
    rng = np.random.default_rng(0)
    for q, n in [(1, 1), (13, 9), (40, 31)]:
        scores = rng.integers(0, 4, size=(q, n)).astype(np.float32)  # many ties
        pos = rng.random((q, n)) < 0.2
        pos[np.arange(q), rng.integers(0, n, size=q)] = True
        np.testing.assert_array_equal(ranks_of_positives(scores, pos), naive_ranks(scores, pos))


def test_chunking_does_not_change_result(monkeypatch):
    import hanet.metrics as metrics

    rng = np.random.default_rng(1)
    scores = rng.integers(0, 3, size=(50, 8)).astype(np.float64)
    pos = np.eye(50, 8, dtype=bool) | (rng.random((50, 8)) < 0.1)
    pos[:, 0] |= ~pos.any(axis=1)
    whole = ranks_of_positives(scores, pos)
    monkeypatch.setattr(metrics, "_CHUNK_ELEMENTS", 24)  # 3 rows per chunk
    np.testing.assert_array_equal(ranks_of_positives(scores, pos), whole)


def test_retrieval_metrics_directions_and_shared_caption():
    # 3 videos x 4 unique captions; caption 3 describes videos 1 and 2.
    sim = np.array([
        [0.9, 0.1, 0.2, 0.8],
        [0.2, 0.7, 0.1, 0.3],
        [0.3, 0.6, 0.5, 0.4],
    ])
    pos = np.array([
        [1, 0, 0, 0],
        [0, 1, 0, 1],
        [0, 0, 1, 1],
    ], dtype=bool)
    m = retrieval_metrics(sim, pos)
    # t2v (columns): c0 -> v0 best (1); c1 -> v1 0.7 top (1); c2 -> v2 0.5 top (1);
    # c3 -> best positive 0.4 (v2), v0 0.8 above -> 2
    np.testing.assert_array_equal(m["ranks"]["t2v"], [1, 1, 1, 2])
    # v2t (rows): v0 -> c0 top (1); v1 -> best positive 0.7 top (1); v2 -> best positive 0.5, c1 0.6 above -> 2
    np.testing.assert_array_equal(m["ranks"]["v2t"], [1, 1, 2])
    assert m["t2v"]["r1"] == 75.0 and m["v2t"]["r1"] == pytest.approx(200 / 3)
    assert m["rsum"] == pytest.approx(75 + 100 + 100 + 200 / 3 + 100 + 100)
    assert m["rsum"] == pytest.approx(rsum_from_ranks(m["ranks"]["t2v"], m["ranks"]["v2t"]))


def test_accepts_torch_tensors():
    sim = torch.tensor([[0.5, 0.2], [0.1, 0.3]], requires_grad=True)
    pos = torch.eye(2, dtype=torch.bool)
    m = retrieval_metrics(sim, pos)
    assert m["rsum"] == 600.0


def test_bad_input_raises():
    with pytest.raises(ValueError, match="no positive"):
        ranks_of_positives(np.ones((2, 3)), np.array([[1, 0, 0], [0, 0, 0]], dtype=bool))
    with pytest.raises(ValueError, match="NaN"):
        ranks_of_positives(np.array([[np.nan, 1.0]]), np.array([[True, False]]))
    with pytest.raises(ValueError, match="shape"):
        ranks_of_positives(np.ones((2, 3)), np.ones((3, 2), dtype=bool))


def test_chance_metrics_hand_computed():
    assert chance_metrics(4) == {"r1": 25.0, "r5": 100.0, "r10": 100.0, "medr": 2.5, "meanr": 2.5}
    # N=5, P=2: P(rank<=1) = 1 - C(4,2)/C(5,2) = 0.4, P(<=2) = 0.7; mean (N+1)/(P+1) = 2
    c = chance_metrics(5, 2)
    assert c["r1"] == pytest.approx(40.0) and c["medr"] == 2.0 and c["meanr"] == pytest.approx(2.0)
    big = chance_metrics(1000)
    assert big["r1"] == pytest.approx(0.1) and big["r10"] == pytest.approx(1.0)
    assert big["meanr"] == pytest.approx(500.5) and big["medr"] == 500.5
    # mixture of positive counts: mean of per-count means
    assert chance_metrics(5, [1, 2])["meanr"] == pytest.approx((3.0 + 2.0) / 2)


def test_chance_matches_random_scores():
    rng = np.random.default_rng(2)
    q, n = 4000, 20
    pos = np.zeros((q, n), dtype=bool)
    pos[:, :3] = True
    ranks = ranks_of_positives(rng.random((q, n)), pos)
    c = chance_metrics(n, 3)
    assert summarize(ranks)["r1"] == pytest.approx(c["r1"], abs=2.5)
    assert ranks.mean() == pytest.approx(c["meanr"], abs=0.2)


def test_tie_rule_text_is_stated():
    assert "0.5" in TIE_RULE and "strictly higher" in TIE_RULE
