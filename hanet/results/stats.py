"""Statistics for ablation tables: mean ± std over seeds and a paired bootstrap over queries.

Paired bootstrap (variant minus baseline, over test queries):

* Seeds are paired (same seed value when both variants have it, else by sorted index) and
  the per-query difference is averaged over the paired seeds first. Every metric used here
  (recall@K, and rsum as a sum of recalls) is a mean over queries, so this equals
  "resample the queries once, compute the difference per seed, average over seeds" with the
  same resampled queries for every seed (the test set is the same for every seed).
* Queries are resampled with replacement, B times. For rsum the caption queries
  (text-to-video) and the video queries (video-to-text) are resampled independently.
* CI: the 2.5th and 97.5th percentiles of the B resampled differences.
* p-value: two-sided bootstrap p = min(1, 2 * min(P*(diff <= 0), P*(diff >= 0))), where
  P*(A) = (1 + #replicates with A) / (1 + B), so p is never exactly 0 (smallest 2/(B+1)).
  Two identical runs give p = 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hanet.metrics import RECALL_KS

_CHUNK_ELEMENTS = 1 << 22


def mean_std(values: Any) -> tuple[float, float, int]:
    """Mean, sample standard deviation (ddof=1; NaN for a single value) and count."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        return float("nan"), float("nan"), 0
    std = float(np.std(v, ddof=1)) if v.size > 1 else float("nan")
    return float(np.mean(v)), std, int(v.size)


def recall_points(ranks: Any, ks: tuple[int, ...] = RECALL_KS) -> np.ndarray:
    """Per-query contribution to the sum of recall@K over ``ks``: 100 * #{k: rank <= k}."""
    r = np.asarray(ranks, dtype=np.float64)
    return 100.0 * sum((r <= k).astype(np.float64) for k in ks)


def bootstrap_means(values: Any, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_boot`` resamples (with replacement) of the 1-D ``values``. (B,)"""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("cannot bootstrap an empty sample")
    out = np.empty(n_boot)
    step = max(1, _CHUNK_ELEMENTS // v.size)
    for start in range(0, n_boot, step):  # chunks of replicates, bounded memory
        b = min(step, n_boot - start)
        idx = rng.integers(0, v.size, size=(b, v.size))                  # (b, Q)
        out[start:start + b] = v[idx].mean(axis=1)
    return out


def percentile_ci(samples: Any, level: float = 0.95) -> tuple[float, float]:
    s = np.asarray(samples, dtype=np.float64)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(s, [a, 1.0 - a])
    return float(lo), float(hi)


def bootstrap_p(samples: Any) -> float:
    """Two-sided bootstrap p-value for "difference = 0" (see module docstring)."""
    s = np.asarray(samples, dtype=np.float64)
    b = s.size
    le = (1 + np.count_nonzero(s <= 0)) / (1 + b)
    ge = (1 + np.count_nonzero(s >= 0)) / (1 + b)
    return float(min(1.0, 2.0 * min(le, ge)))


def _summary(observed: float, samples: np.ndarray) -> dict[str, float]:
    lo, hi = percentile_ci(samples)
    return {"diff": float(observed), "lo": lo, "hi": hi, "p": bootstrap_p(samples)}


def paired_bootstrap(
    base_t2v: Any, var_t2v: Any, base_v2t: Any, var_v2t: Any,
    n_boot: int = 2000, seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Paired bootstrap of variant - baseline for t2v R@1 and rsum.

    base_t2v / var_t2v: (S, Qt) ranks of the same caption queries (same order) for S
    paired seeds; base_v2t / var_v2t: (S, Qv) likewise for video queries.
    Returns {"t2v_r1": {"diff", "lo", "hi", "p"}, "rsum": {...}}; diff is the observed
    mean-over-seeds difference, lo/hi the 95% percentile interval.
    """
    bt, vt = np.atleast_2d(base_t2v).astype(float), np.atleast_2d(var_t2v).astype(float)
    bv, vv = np.atleast_2d(base_v2t).astype(float), np.atleast_2d(var_v2t).astype(float)
    if bt.shape != vt.shape or bv.shape != vv.shape or bt.shape[0] != bv.shape[0]:
        raise ValueError(
            f"paired ranks must have equal shapes: t2v {bt.shape} vs {vt.shape}, "
            f"v2t {bv.shape} vs {vv.shape}")
    rng = np.random.default_rng(seed)
    d_r1 = (100.0 * ((vt <= 1).astype(float) - (bt <= 1))).mean(axis=0)    # (Qt,)
    d_t2v = (recall_points(vt) - recall_points(bt)).mean(axis=0)           # (Qt,)
    d_v2t = (recall_points(vv) - recall_points(bv)).mean(axis=0)           # (Qv,)

    # one index draw per replicate for captions, shared by t2v R@1 and the t2v part of rsum
    r1_boot = np.empty(n_boot)
    t2v_boot = np.empty(n_boot)
    q = d_r1.size
    step = max(1, _CHUNK_ELEMENTS // q)
    for start in range(0, n_boot, step):
        b = min(step, n_boot - start)
        idx = rng.integers(0, q, size=(b, q))                               # (b, Qt)
        r1_boot[start:start + b] = d_r1[idx].mean(axis=1)
        t2v_boot[start:start + b] = d_t2v[idx].mean(axis=1)
    rsum_boot = t2v_boot + bootstrap_means(d_v2t, n_boot, rng)            # independent videos
    return {
        "t2v_r1": _summary(d_r1.mean(), r1_boot),
        "rsum": _summary(d_t2v.mean() + d_v2t.mean(), rsum_boot),
    }


def seed_separation(per_seed: dict[str, dict[int, float]]) -> list[dict]:
    """Ordered pairs (a, b) where every seed of ``a`` scores above every seed of ``b``.

    per_seed: {variant: {seed: value}} (higher is better). Each pair also reports the mean
    difference and how many seeds shared by both variants have a > b. The criterion is the
    plain reading of "ahead beyond the seed spread": the two seed ranges do not overlap.
    """
    out = []
    for a, va in per_seed.items():
        for b, vb in per_seed.items():
            if a == b or not va or not vb or min(va.values()) <= max(vb.values()):
                continue
            shared = sorted(set(va) & set(vb))
            diff = float(np.mean(list(va.values())) - np.mean(list(vb.values())))
            out.append({"ahead": a, "behind": b, "mean_diff": diff,
                        "min_ahead": min(va.values()), "max_behind": max(vb.values()),
                        "paired_wins": sum(va[s] > vb[s] for s in shared), "paired_seeds": len(shared)})
    return sorted(out, key=lambda r: -r["mean_diff"])
