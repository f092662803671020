"""Concept accuracy (hanet/concept_metrics.py) against hand-computed cases."""

import math

import pytest
import torch

from hanet import concept_metrics as cm
from hanet.model.inputs import ConceptTargets


def test_average_precision_by_hand():
    # concept 0: ranking rows 0 (pos), 1 (neg), 2 (pos): AP = (1/1 + 2/3) / 2 = 5/6
    # concept 1: rows 2 (pos) first: AP = 1; concept 2: no positive -> NaN
    scores = torch.tensor([[0.9, 0.1, 0.5], [0.8, 0.2, 0.5], [0.7, 0.3, 0.5]])
    targets = torch.tensor([[1, 0, 0], [0, 0, 0], [1, 1, 0]])
    ap = cm.average_precision(scores, targets)
    assert ap[0].item() == pytest.approx(5 / 6)
    assert ap[1].item() == pytest.approx(1.0)
    assert math.isnan(ap[2].item())
    assert cm.mean_ap(scores, targets) == pytest.approx((5 / 6 + 1) / 2)


def test_average_precision_ties_and_mask():
    # constant scores: AP = prevalence (chance), whatever the row order
    targets = torch.tensor([[1.0], [0.0], [0.0], [1.0]])
    assert cm.average_precision(torch.zeros(4, 1), targets)[0].item() == pytest.approx(0.5)
    # a tie between a positive and a negative at the top: precision 1/2 there
    scores = torch.tensor([[0.9], [0.9], [0.1], [0.0]])
    t = torch.tensor([[1.0], [0.0], [0.0], [1.0]])
    assert cm.average_precision(scores, t)[0].item() == pytest.approx((1 / 2 + 2 / 4) / 2)
    # masking row 1 out removes the tied negative: precisions 1 and 2/3
    mask = torch.tensor([[1.0], [0.0], [1.0], [1.0]])
    assert cm.average_precision(scores, t, mask)[0].item() == pytest.approx((1 + 2 / 3) / 2)
    # a masked-out positive is not a positive
    mask2 = torch.tensor([[0.0], [1.0], [1.0], [1.0]])
    assert cm.average_precision(scores, t, mask2)[0].item() == pytest.approx(1 / 3)


def test_precision_at_k_by_hand():
    scores = torch.tensor([[0.9, 0.8, 0.1, 0.5], [0.1, 0.2, 0.3, 0.4]])
    targets = torch.tensor([[1, 0, 0, 1], [1, 1, 0, 0]])
    # row 0 top-2 = {0, 1}: 1 hit; row 1 top-2 = {3, 2}: 0 hits
    assert cm.precision_at_k(scores, targets, 2).tolist() == pytest.approx([0.5, 0.0])
    # masking concept 1 of row 0 out: top-2 = {0, 3}: 2 hits
    mask = torch.tensor([[1, 0, 1, 1], [1, 1, 1, 1]])
    assert cm.precision_at_k(scores, targets, 2, mask).tolist() == pytest.approx([1.0, 0.0])
    # constant scores: expected share of labels = chance
    assert cm.precision_at_k(torch.zeros(2, 4), targets, 2).tolist() == pytest.approx([0.5, 0.5])
    # a tie at the k-th score: two concepts tied for one slot, one a label -> 1 + 1/2 hits of 2
    s = torch.tensor([[0.9, 0.5, 0.5, 0.1]])
    t = torch.tensor([[1, 1, 0, 0]])
    assert cm.precision_at_k(s, t, 2).tolist() == pytest.approx([0.75])


def test_chance_and_summary():
    targets = torch.tensor([[1, 0, 0, 1], [1, 1, 0, 0]])
    m, p = cm.chance(targets, 2)
    assert m == pytest.approx((2 / 2 + 1 / 2 + 1 / 2) / 3)
    assert p == pytest.approx(0.5)
    out = cm.summary(torch.zeros(2, 4), targets, 2)
    assert out["map"] == pytest.approx(100 * m) and out["p_at_k"] == pytest.approx(50.0)
    assert out["concepts"] == 3 and out["rows"] == 2 and out["k"] == 2


def test_video_targets_follow_training_labels():
    from hanet.train.data import _concept_targets

    # video 0 has captions naming verbs {0} and {1, 2}; video 1 one caption naming {3}
    labels = [{"verbs": [0], "nouns": []}, {"verbs": [1, 2], "nouns": [0]}, {"verbs": [3], "nouns": [1]}]
    cv = torch.tensor([0, 0, 1])
    tg = _concept_targets(labels, cv, 2, 4, 2)
    vt = cm.video_targets(tg.verbs, tg.verb_mask, cv, 2)
    assert vt.tolist() == [[1, 1, 1, 0], [0, 0, 0, 1]]
    # with per-video concept sets (kind release) the video's set is that set
    sets = [{"verbs": [0, 1, 2, 3], "nouns": [0]}, {"verbs": [3], "nouns": [1]}]
    tg2 = _concept_targets(labels, cv, 2, 4, 2, sets)
    assert cm.video_targets(tg2.verbs, tg2.verb_mask, cv, 2).tolist() == [[1, 1, 1, 1], [0, 0, 0, 1]]


def test_concept_accuracy_perfect_and_constant():
    labels = [{"verbs": [0], "nouns": [1]}, {"verbs": [1], "nouns": [1]}, {"verbs": [2], "nouns": [0]}]
    cv = torch.tensor([0, 0, 1])
    from hanet.train.data import _concept_targets

    tg: ConceptTargets = _concept_targets(labels, cv, 2, 3, 2)
    video = {"verbs": torch.tensor([[0.9, 0.8, 0.1], [0.1, 0.2, 0.7]]), "nouns": torch.tensor([[0.1, 0.9], [0.8, 0.2]])}
    caption = {"verbs": tg.verbs.clone(), "nouns": tg.nouns.clone()}
    out = cm.concept_accuracy(video, caption, tg, cv, {"verbs": 1, "nouns": 1})
    for level in ("video", "caption"):
        for key in ("verbs", "nouns"):
            assert out[level][key]["map"] == pytest.approx(100.0)
            assert out[level][key]["p_at_k"] == pytest.approx(100.0)
    flat = {k: torch.zeros_like(v) for k, v in video.items()}
    out0 = cm.concept_accuracy(flat, {k: torch.zeros_like(v) for k, v in caption.items()}, tg, cv,
                               {"verbs": 1, "nouns": 1})
    for level in ("video", "caption"):
        for key in ("verbs", "nouns"):
            s = out0[level][key]
            assert s["map"] == pytest.approx(s["map_chance"]) and s["p_at_k"] == pytest.approx(s["p_at_k_chance"])


def test_summary_without_any_positive_is_null_not_nan():
    out = cm.summary(torch.rand(3, 4), torch.zeros(3, 4), 2)
    assert out["map"] is None and out["map_chance"] is None and out["concepts"] == 0
    assert out["p_at_k"] == 0.0
