"""Retrieval metrics: ranks of the correct items, recall@K, median and mean rank.

Pure functions over a score matrix (numpy arrays or torch tensors), vectorised and
processed in row chunks so that a full MSR-VTT test set (59,800 captions x 2,990 videos)
fits in a few hundred MB.

Tie rule (``TIE_RULE``, copied into every metrics.json): the rank of a query is the
expected 1-based rank of its best-ranked correct item under random tie-breaking,

    rank = 1 + #{incorrect items scoring strictly higher than the best correct item}
             + 0.5 * #{incorrect items scoring exactly the same as it}.

Other correct items never push the rank down. A constant score matrix therefore gets
chance-level ranks ((N + 1) / 2 with one positive among N items) and never R@1 = 100,
unlike a "count strictly higher only" rule (the CLIP4Clip issue #80 failure mode).
"""

from __future__ import annotations

from typing import Any

import numpy as np

TIE_RULE = (
    "rank = 1 + #(incorrect items scoring strictly higher than the best correct item) "
    "+ 0.5 * #(incorrect items scoring exactly equal to it); the expected rank under "
    "random tie-breaking, so a constant score matrix ranks at chance"
)

RECALL_KS = (1, 5, 10)
_CHUNK_ELEMENTS = 1 << 24  # ~16M scores per chunk


def _as_numpy(x: Any) -> np.ndarray:
    """numpy view of an array-like or a (possibly GPU, possibly grad-tracking) torch tensor."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def ranks_of_positives(scores: Any, positives: Any) -> np.ndarray:
    """1-based rank of the best-ranked correct item of each query, under ``TIE_RULE``.

    scores: (Q, N) float, higher means more similar. positives: (Q, N) bool, True where the
    item is a correct answer for the query (several per query allowed).
    Returns a float64 array (Q,); values are multiples of 0.5.
    Raises ValueError on shape mismatch, NaN scores, or a query without any positive.
    """
    s = _as_numpy(scores)
    p = _as_numpy(positives)
    if s.ndim != 2 or s.shape != p.shape:
        raise ValueError(f"scores {s.shape} and positives {p.shape} must be equal 2-D shapes")
    if p.dtype != np.bool_:
        raise ValueError(f"positives must be a boolean matrix, got dtype {p.dtype}")
    if s.dtype == np.float16 or not np.issubdtype(s.dtype, np.floating):
        s = s.astype(np.float32)
    if np.isnan(s).any():
        raise ValueError(f"scores contain {int(np.isnan(s).sum())} NaN value(s)")
    has_pos = p.any(axis=1)
    if not has_pos.all():
        bad = np.flatnonzero(~has_pos)
        raise ValueError(f"{bad.size} query(ies) have no positive item (first: row {bad[0]})")

    q, n = s.shape
    out = np.empty(q, dtype=np.float64)
    step = max(1, _CHUNK_ELEMENTS // max(n, 1))
    for start in range(0, q, step):  # loop over chunks of queries, not over queries
        sc, pc = s[start:start + step], p[start:start + step]           # (C, N)
        best = np.where(pc, sc, -np.inf).max(axis=1, keepdims=True)      # (C, 1)
        neg = ~pc
        higher = np.count_nonzero((sc > best) & neg, axis=1)             # (C,)
        equal = np.count_nonzero((sc == best) & neg, axis=1)             # (C,)
        out[start:start + step] = 1.0 + higher + 0.5 * equal
    return out


def summarize(ranks: Any) -> dict[str, float]:
    """Recall@1/5/10 in percent (share of queries with rank <= K), median and mean rank."""
    r = _as_numpy(ranks).astype(np.float64).ravel()
    if r.size == 0:
        raise ValueError("no ranks to summarize")
    if np.isnan(r).any() or (r < 1).any():
        raise ValueError("ranks must be >= 1 and not NaN")
    out = {f"r{k}": float(100.0 * np.mean(r <= k)) for k in RECALL_KS}
    out["medr"] = float(np.median(r))
    out["meanr"] = float(np.mean(r))
    return out


def retrieval_metrics(sim: Any, positives: Any) -> dict[str, Any]:
    """Both retrieval directions from one video x caption similarity matrix.

    sim: (Nv, Nt) scores between test videos (rows) and unique test captions (columns).
    positives: (Nv, Nt) bool, True where the caption describes the video (a caption shared
    by several videos has several positives). Text-to-video queries are the captions
    (columns), video-to-text queries are the videos (rows).
    Returns {"t2v": summary, "v2t": summary, "rsum": sum of the six recalls,
             "ranks": {"t2v": (Nt,), "v2t": (Nv,)}}.
    """
    s = _as_numpy(sim)
    p = _as_numpy(positives)
    if s.ndim != 2 or s.shape != p.shape:
        raise ValueError(f"sim {s.shape} and positives {p.shape} must be equal 2-D shapes")
    t2v = ranks_of_positives(s.T, p.T)  # (Nt,)
    v2t = ranks_of_positives(s, p)      # (Nv,)
    out: dict[str, Any] = {"t2v": summarize(t2v), "v2t": summarize(v2t)}
    out["rsum"] = float(sum(out[d][f"r{k}"] for d in ("t2v", "v2t") for k in RECALL_KS))
    out["ranks"] = {"t2v": t2v, "v2t": v2t}
    return out


def rsum_from_ranks(t2v_ranks: Any, v2t_ranks: Any) -> float:
    """Sum of R@1/5/10 (percent) over both directions, from per-query ranks."""
    a, b = summarize(t2v_ranks), summarize(v2t_ranks)
    return float(sum(a[f"r{k}"] + b[f"r{k}"] for k in RECALL_KS))


def chance_cdf(num_items: int, positives_per_query: Any = 1) -> np.ndarray:
    """P(best correct item within the top k), k = 1..N, under uniformly random scores.

    With P correct items among N: P(rank <= k) = 1 - C(N-k, P) / C(N, P). An array of
    per-query positive counts gives the mixture over queries. Returns (N,) float64.
    """
    n = int(num_items)
    pos = np.atleast_1d(np.asarray(positives_per_query, dtype=np.int64))
    if n < 1 or pos.size == 0 or (pos < 1).any() or (pos > n).any():
        raise ValueError(f"need num_items >= 1 and 1 <= positives <= num_items (got N={n})")
    counts, weights = np.unique(pos, return_counts=True)
    k = np.arange(1, n + 1, dtype=np.float64)                            # (N,)
    cdf = np.zeros(n)
    for p, w in zip(counts, weights):  # loop over distinct positive counts (a handful)
        i = np.arange(p, dtype=np.float64)                               # (P,)
        # C(N-k, P) / C(N, P) = prod_i (N-k-i) / (N-i), zero once N-k < P
        ratio = np.clip((n - k[:, None] - i) / (n - i), 0.0, None)       # (N, P)
        cdf += w * (1.0 - ratio.prod(axis=1))
    return cdf / pos.size


def chance_metrics(num_items: int, positives_per_query: Any = 1) -> dict[str, float]:
    """Expected R@1/5/10 (percent), median and mean rank of random scores over N items.

    positives_per_query: an int, or one count per query (e.g. captions per video for
    video-to-text). The median is the distribution's median, the midpoint of k and k+1 when
    the CDF equals exactly 0.5 at k (as numpy's median of an even sample would give).
    """
    cdf = chance_cdf(num_items, positives_per_query)
    n = cdf.size
    out = {f"r{k}": float(100.0 * cdf[min(k, n) - 1]) for k in RECALL_KS}
    k = int(np.searchsorted(cdf, 0.5 - 1e-12)) + 1  # first k with cdf >= 0.5
    out["medr"] = float(k + 0.5) if k < n and abs(cdf[k - 1] - 0.5) < 1e-12 else float(k)
    survival = np.concatenate([[1.0], 1.0 - cdf[:-1]])  # P(rank > k-1), k = 1..N
    out["meanr"] = float(survival.sum())
    return out
