"""Twin discrimination (hanet/slice_metrics.py) against a naive loop; twin-aware example picks."""

import math

import torch

from hanet.slice_metrics import twin_outcomes, twin_score
from hanet.train.evaluate import example_queries, twin_rows


def naive_outcomes(sim, positives, twin):
    nv, nu = sim.shape
    out = []
    for q in range(nu):
        wins = []
        for a in range(nv):
            b = int(twin[a])
            if not positives[a, q] or b < 0 or positives[b, q]:
                continue
            wins.append(1.0 if sim[a, q] > sim[b, q] else 0.5 if sim[a, q] == sim[b, q] else 0.0)
        out.append(sum(wins) / len(wins) if wins else math.nan)
    return out


def test_twin_outcomes_equal_a_naive_loop():
    g = torch.Generator().manual_seed(0)
    for trial in range(20):
        nv, nu = 7, 15
        sim = torch.randint(0, 4, (nv, nu), generator=g).float()  # many ties
        positives = torch.zeros(nv, nu, dtype=torch.bool)
        positives[torch.randint(0, nv, (nu,), generator=g), torch.arange(nu)] = True
        positives[torch.randint(0, nv, (3,), generator=g), torch.randint(0, nu, (3,), generator=g)] = True
        twin = torch.full((nv,), -1)
        twin[0], twin[1], twin[3], twin[4] = 1, 0, 4, 3
        got = twin_outcomes(sim, positives, twin).tolist()
        want = naive_outcomes(sim, positives, twin)
        assert all((math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-12 for a, b in zip(got, want)), trial


def test_twin_score_by_hand_and_chance():
    sim = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.8, 0.5], [0.0, 0.0, 0.0]])
    positives = torch.tensor([[1, 0, 1], [0, 1, 1], [0, 0, 0]], dtype=torch.bool)
    twin = torch.tensor([1, 0, -1])
    out = twin_outcomes(sim, positives, twin)
    # caption 0 (video 0): 0.9 > 0.2 -> 1; caption 1 (video 1): 0.8 > 0.1 -> 1; caption 2 belongs to both: none
    assert out[:2].tolist() == [1.0, 1.0] and math.isnan(out[2])
    assert twin_score(out) == (100.0, 2)
    flat = twin_outcomes(torch.zeros(3, 3), positives, twin)
    assert twin_score(flat) == (50.0, 2)


def test_twin_rows_and_example_queries_pick_twin_captions():
    phen = {"videos": {"v0": {"twin": "v1"}, "v1": {"twin": "v0"}, "v2": {"twin": None}, "v3": {"twin": "v9"}}}
    rows = twin_rows(phen, ["v0", "v1", "v2", "v3"])
    assert rows.tolist() == [1, 0, -1, -1]  # v9 is not in the split
    positives = torch.zeros(4, 6, dtype=torch.bool)
    positives[[0, 1, 2, 2, 3, 0], [0, 1, 2, 3, 4, 5]] = True
    positives[1, 5] = True  # caption 5 belongs to both twins: not a fine-grained case
    assert example_queries(positives, 3, rows) == [0, 1]
    assert example_queries(positives, 3) == [0, 2, 5]
    assert example_queries(positives, 3, torch.full((4,), -1)) == [0, 2, 5]
