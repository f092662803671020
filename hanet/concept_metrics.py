"""Concept accuracy: how well predicted concept scores name the concepts of the test captions.

Pure functions on (N, C) tensors: N rows (videos or captions), C concepts (verbs or nouns),
``targets`` 1 where the concept is a label of the row, ``mask`` 0 where the row's label is
unknown (excluded, as in training's masked BCE), 1 elsewhere.

* Average precision per concept (rows ranked by score): the mean over positive rows of
  precision at that row's score, where precision counts every included row scoring at
  least as high (ties form one threshold: the step-function AP of scikit-learn). A
  constant score gives the concept's prevalence, the chance level; never more.
* mAP: the mean AP over concepts with at least one positive row.
* Precision at k (per row): the share of the row's k highest-scoring included concepts
  that are labels; ties at the k-th score are shared in expectation (each tied concept
  counts (k - #higher) / #tied), so a constant score gives chance.

Label rules (``video_targets``, ``caption_targets``) are those of training
(``hanet.train.data._concept_targets``): a caption's labels are the concepts it names, and
its mask excludes the concepts its video's other captions name; a video's labels are the
concepts of all its captions (or the dataset's per-video concept sets).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_CHUNK_ELEMENTS = 1 << 22
TIE_RULE = ("AP: tied scores form one threshold (every tied row counts as retrieved together); "
            "P@k: concepts tied at the k-th score share the remaining slots in expectation")


def average_precision(scores: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
    """AP of every concept (column); NaN for a concept without a positive included row. (C,)"""
    scores = scores.double()
    pos = targets.bool() if mask is None else targets.bool() & mask.bool()
    keep = torch.ones_like(pos) if mask is None else mask.bool()
    out = torch.empty(scores.shape[1], dtype=torch.float64)
    step = max(1, _CHUNK_ELEMENTS // max(1, scores.shape[0]))
    for c0 in range(0, scores.shape[1], step):  # column chunks, bounded memory
        s, p, k = scores[:, c0:c0 + step].T.contiguous(), pos[:, c0:c0 + step].T, keep[:, c0:c0 + step].T  # (c, N)
        all_sorted = torch.where(k, s, -math.inf).sort(dim=1).values.contiguous()  # (c, N) ascending, excluded first
        pos_sorted = torch.where(p, s, -math.inf).sort(dim=1).values.contiguous()  # (c, N)
        n = s.shape[1]
        # rows (all included / positive) scoring >= each positive's score
        n_ge = n - torch.searchsorted(all_sorted, s, side="left")  # (c, N)
        p_ge = n - torch.searchsorted(pos_sorted, s, side="left")  # (c, N)
        precision = torch.where(p, p_ge / n_ge.clamp(min=1), 0.0)  # (c, N)
        n_pos = p.sum(dim=1)  # (c,)
        out[c0:c0 + step] = torch.where(n_pos > 0, precision.sum(dim=1) / n_pos.clamp(min=1), math.nan)
    return out


def mean_ap(scores: Tensor, targets: Tensor, mask: Tensor | None = None) -> float:
    ap = average_precision(scores, targets, mask)
    ap = ap[~ap.isnan()]
    return float(ap.mean()) if ap.numel() else math.nan


def precision_at_k(scores: Tensor, targets: Tensor, k: int, mask: Tensor | None = None) -> Tensor:
    """Per-row precision of the k highest-scoring included concepts, ties shared in expectation. (N,)"""
    scores = scores.double()
    keep = torch.ones_like(scores, dtype=torch.bool) if mask is None else mask.bool()
    pos = (targets.bool() & keep).double()
    s = torch.where(keep, scores, -math.inf)  # (N, C)
    k = max(1, min(int(k), s.shape[1]))
    kth = s.topk(k, dim=1).values[:, -1:]  # (N, 1) the k-th highest score
    above, tied = s > kth, s == kth  # (N, C)
    n_above = above.sum(dim=1)  # (N,)
    share = (k - n_above) / tied.sum(dim=1).clamp(min=1)  # (N,) expected slots per tied concept
    hits = (pos * above).sum(dim=1) + share * (pos * tied).sum(dim=1)
    return hits / k


def chance(targets: Tensor, k: int, mask: Tensor | None = None) -> tuple[float, float]:
    """(mAP, P@k) of a constant score: mean prevalence of the concepts with a positive; mean
    share of label concepts per row."""
    keep = torch.ones_like(targets, dtype=torch.bool) if mask is None else mask.bool()
    pos = (targets.bool() & keep).double()
    n_pos, n_keep = pos.sum(0), keep.double().sum(0)  # (C,)
    has = n_pos > 0
    map_chance = float((n_pos[has] / n_keep[has]).mean()) if has.any() else math.nan
    p_chance = float((pos.sum(1) / keep.double().sum(1).clamp(min=1)).mean())
    return map_chance, p_chance


def summary(scores: Tensor, targets: Tensor, k: int, mask: Tensor | None = None) -> dict[str, float | None]:
    """{"map", "p_at_k", "k", "map_chance", "p_at_k_chance", "rows", "concepts"} in percent (k, rows,
    concepts: counts); mAP is None (JSON null) when no concept has a positive row."""
    k = max(1, min(int(k), scores.shape[1]))
    map_c, p_c = chance(targets, k, mask)
    ap = average_precision(scores, targets, mask)
    ap = ap[~ap.isnan()]
    pct = lambda x: None if math.isnan(x) else 100.0 * x  # noqa: E731
    return {"map": pct(float(ap.mean())) if ap.numel() else None,
            "p_at_k": pct(float(precision_at_k(scores, targets, k, mask).mean())), "k": k,
            "map_chance": pct(map_c), "p_at_k_chance": pct(p_c),
            "rows": int(scores.shape[0]), "concepts": int(ap.numel())}


def video_targets(own: Tensor, mask: Tensor, caption_video: Tensor, num_videos: int) -> Tensor:
    """(Nv, C) a video's concepts from training's per-caption targets: a caption's own labels plus
    the concepts its mask excludes (those its video's other captions name), united per video."""
    per_caption = torch.maximum(own.float(), 1.0 - mask.float())  # (Nc, C) the video's set, per caption
    return torch.zeros(num_videos, own.shape[1]).index_add_(0, caption_video, per_caption).clamp_(max=1.0)


def concept_accuracy(video_scores: dict[str, Tensor], caption_scores: dict[str, Tensor], targets,
                     caption_video: Tensor, ks: dict[str, int]) -> dict:
    """Concept accuracy of one split.

    video_scores: {"verbs": (Nv, Cv), "nouns": (Nv, Cn)} video-level concept probabilities;
    caption_scores: the same per caption (Nc rows, one per caption of the split);
    targets: ``ConceptTargets`` of the split's captions (training's labels and masks);
    ks: {"verbs": top_actions, "nouns": top_entities}, the k the local level picks.
    Returns {"video": {"verbs": summary, "nouns": summary}, "caption": {...}, "tie_rule"}.
    """
    out: dict = {"video": {}, "caption": {}}
    for key in ("verbs", "nouns"):
        own, mask = getattr(targets, key), getattr(targets, key[:-1] + "_mask")
        vt = video_targets(own, mask, caption_video, video_scores[key].shape[0])
        out["video"][key] = summary(video_scores[key].float().cpu(), vt, ks[key])
        out["caption"][key] = summary(caption_scores[key].float().cpu(), own, ks[key], mask)
    out["tie_rule"] = TIE_RULE
    return out
