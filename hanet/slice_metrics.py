"""Metrics of the phenomenon slices (synthetic data; tags from hanet/data/phenomena.py).

Twin discrimination: for a caption of video ``a`` whose binding twin ``b`` is in the test
split, does the model score ``a`` above ``b``? Outcome 1 if ``sim[a, q] > sim[b, q]``, 1/2 on
a tie (so a constant score sits at chance, 50%), 0 otherwise. A caption that is also a
caption of the twin (it names only what the twins share) does not discriminate and is left
out (NaN). A caption with several positive videos that have twins averages their outcomes.
The score of a run is the mean over the captions that have an outcome.
"""

from __future__ import annotations

import torch
from torch import Tensor


def twin_pairs(positives: Tensor, twin: Tensor) -> Tensor:
    """(Nv, Nu) bool: caption u is a caption of video v, v has a binding twin in the split, and u
    is not also a caption of that twin (the comparisons that discriminate).

    positives: (Nv, Nu) bool; twin: (Nv,) long, the twin's row or -1.
    """
    positives = positives.bool()
    return positives & (twin >= 0)[:, None] & ~positives[twin.clamp(min=0)]


def twin_outcomes(sim: Tensor, positives: Tensor, twin: Tensor) -> Tensor:
    """(Nu,) float64 outcome per caption query, NaN where it has none.

    sim: (Nv, Nu) scores; positives: (Nv, Nu) bool; twin: (Nv,) long, the twin's row or -1.
    """
    sim = sim.double()
    other = sim[twin.clamp(min=0)]  # (Nv, Nu) each row's twin's scores
    valid = twin_pairs(positives, twin)  # (Nv, Nu)
    win = (sim > other).double() + 0.5 * (sim == other).double()  # (Nv, Nu)
    n = valid.sum(0)  # (Nu,)
    total = (win * valid).sum(0)  # (Nu,)
    return torch.where(n > 0, total / n.clamp(min=1), torch.nan)


def twin_score(outcomes: Tensor) -> tuple[float, int]:
    """(percent of twin comparisons won, number of captions with an outcome)."""
    ok = ~torch.isnan(outcomes)
    n = int(ok.sum())
    return (100.0 * float(outcomes[ok].mean()) if n else float("nan")), n
