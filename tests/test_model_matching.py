"""Batched scoring against loop-form oracles and hand-computed cases."""
import math

import torch

from hanet.model.loss import hardest_negative_hinge, masked_bce
from hanet.model.matching import phrase_attention
from hanet.model.scores import soft_jaccard
from oracles import batch, build, fuse_loop, hinge_loop, phrase_attention_loop, rel_err, similarity_loop, soft_jaccard_loop


def test_phrase_attention_matches_loop_oracle_with_padding():
    g = torch.Generator().manual_seed(0)
    parts = torch.randn(5, 7, 12, generator=g)
    part_mask = torch.arange(7)[None, :] < torch.tensor([7, 1, 3, 5, 2])[:, None]
    parts = parts * part_mask[:, :, None]
    phrases = torch.randn(6, 4, 12, generator=g)
    phrase_mask = torch.tensor([[1, 1, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 1], [1, 0, 1, 0]]).bool()
    fast = phrase_attention(parts, part_mask, phrases, phrase_mask, 4.0)
    slow = phrase_attention_loop(parts, part_mask, phrases, phrase_mask, 4.0)
    assert fast.shape == (5, 6) and fast.dtype == torch.float32
    assert rel_err(fast, slow) <= 1e-5
    assert torch.all(fast[:, 2] == 0)  # caption without phrases scores 0, finite
    # unmasked variant (local level)
    fast_all = phrase_attention(parts + 0.1, None, phrases, phrase_mask, 4.0)
    assert rel_err(fast_all, phrase_attention_loop(parts + 0.1, None, phrases, phrase_mask, 4.0)) <= 1e-5


def test_phrase_attention_any_temperature_and_gradient_path_match_oracle():
    g = torch.Generator().manual_seed(4)
    parts = torch.randn(4, 6, 10, generator=g, dtype=torch.float64)
    part_mask = torch.arange(6)[None, :] < torch.tensor([6, 2, 4, 1])[:, None]
    phrases = torch.randn(5, 3, 10, generator=g, dtype=torch.float64)
    phrase_mask = torch.rand(5, 3, generator=g) < 0.7
    for tau in (0.0, 4.0, 100.0):  # exp(100) would overflow without the shift
        slow = phrase_attention_loop(parts, part_mask, phrases, phrase_mask, tau)
        with torch.no_grad():
            assert rel_err(phrase_attention(parts, part_mask, phrases, phrase_mask, tau), slow) <= 1e-10
        leaf = parts.clone().requires_grad_(True)
        graded = phrase_attention(leaf, part_mask, phrases, phrase_mask, tau)
        assert rel_err(graded.detach(), slow) <= 1e-10
        graded.sum().backward()
        assert torch.isfinite(leaf.grad).all() and leaf.grad[1, 2:].abs().max() == 0  # padded frames: no gradient


def test_repeated_parts_match_oracle():
    """HANet's local parts repeat whenever concepts select the same clip; every copy counts."""
    g = torch.Generator().manual_seed(6)
    parts = torch.randn(4, 6, 10, generator=g)
    parts[0, 3] = parts[0, 1]
    parts[0, 5] = parts[0, 1]  # three copies
    parts[1, 2] = parts[1, 0] * 1.5  # same direction, other norm
    parts[3, 5] = parts[3, 0]  # a copy in a masked slot
    part_mask = torch.ones(4, 6, dtype=torch.bool)
    part_mask[3, 5] = False
    phrases = torch.randn(5, 3, 10, generator=g)
    phrase_mask = torch.rand(5, 3, generator=g) < 0.8
    for tau in (0.0, 4.0, 100.0):
        slow = phrase_attention_loop(parts, part_mask, phrases, phrase_mask, tau)
        with torch.no_grad():
            assert rel_err(phrase_attention(parts, part_mask, phrases, phrase_mask, tau), slow) <= 1e-5
        leaf = parts.clone().requires_grad_(True)
        assert rel_err(phrase_attention(leaf, part_mask, phrases, phrase_mask, tau).detach(), slow) <= 1e-5


def test_single_part_reduces_to_cosine():
    v = torch.tensor([[[3.0, 4.0, 0.0]]])  # (1, 1, 3)
    t = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]])  # (1, 2, 3)
    score = phrase_attention(v, None, t, torch.tensor([[True, True]]), 4.0)
    assert math.isclose(float(score), (0.6 + 0.0) / 2, rel_tol=1e-6)


def test_soft_jaccard_hand_case_and_blocks(monkeypatch):
    p = torch.tensor([[0.2, 0.5, 1.0], [0.1, 0.0, 0.3]])
    q = torch.tensor([[0.4, 0.5, 0.0], [0.2, 0.5, 1.0], [0.1, 0.1, 0.1]])
    s = soft_jaccard(p, q)
    expected = torch.tensor([[0.7 / 1.9, 1.0, 0.3 / 1.7], [0.1 / 1.2, 0.4 / 1.7, 0.2 / 0.5]])
    assert torch.allclose(s, expected, atol=1e-6)
    g = torch.Generator().manual_seed(3)
    a, b = torch.rand(7, 9, generator=g), torch.rand(5, 9, generator=g)
    whole = soft_jaccard(a, b)
    assert rel_err(whole, soft_jaccard_loop(a, b)) <= 1e-6
    monkeypatch.setattr("hanet.model.scores.JACCARD_TILE", (2, 3))  # uneven tiles at both edges
    assert torch.equal(soft_jaccard(a, b), whole)
    assert soft_jaccard(a[:0], b).shape == (0, 5)


def test_hinge_loss_hand_computed():
    s = torch.tensor([[0.9, 0.5, 0.1], [0.6, 0.4, 0.3], [0.2, 0.8, 0.7]])
    # v2t hardest violations per row: 0, 0.4, 0.3; t2v per column: 0, 0.6, 0
    assert math.isclose(float(hardest_negative_hinge(s, 0.2)), (0.7 + 0.6) / 3, rel_tol=1e-6)
    g = torch.Generator().manual_seed(1)
    r = torch.rand(6, 6, generator=g)
    assert math.isclose(float(hardest_negative_hinge(r, 0.2)), hinge_loop(r, 0.2), rel_tol=1e-6)


def test_masked_bce_hand_case():
    probs = torch.tensor([[0.5, 0.9, 0.2]])
    target = torch.tensor([[1.0, 0.0, 1.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0]])
    expected = (-math.log(0.5) - math.log(0.1)) / 2
    assert math.isclose(float(masked_bce(probs, target, mask)), expected, rel_tol=1e-5)
    # per caption: sum over its unmasked concepts / their number, then the batch mean
    probs2 = torch.tensor([[0.5, 0.9, 0.2], [0.8, 0.5, 0.5]])
    target2 = torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    mask2 = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    second = (-math.log(0.8) - math.log(0.5) - math.log(0.5)) / 3
    assert math.isclose(float(masked_bce(probs2, target2, mask2)), (expected + second) / 2, rel_tol=1e-5)


def test_model_similarity_and_fuse_match_oracle():
    torch.set_num_threads(1)
    cfg, model = build()
    model.eval()
    v, t, _ = batch(cfg, 5)
    with torch.no_grad():
        ve, te = model.encode_video(v), model.encode_text(t)
        terms = model.similarity(ve, te)
        slow = similarity_loop(cfg, ve, te)
        fused = model.fuse(terms)
    assert set(terms) == set(slow) == {"global", "local_verb", "local_noun", "individual_verb", "individual_noun",
                                       "concept_verb", "concept_noun"}
    for name in terms:
        assert rel_err(terms[name], slow[name]) <= 1e-5, name
    assert rel_err(fused, fuse_loop(cfg, slow)) <= 1e-5
    assert torch.isfinite(fused).all()


def test_topk_mean_matches_sorted_oracle_with_ties_and_padding():
    from hanet.model.layers import topk_mean
    g = torch.Generator().manual_seed(6)
    probs = torch.rand(5, 19, 7, generator=g).round(decimals=1)  # many ties
    lengths = torch.tensor([19, 1, 8, 9, 17])
    mask = torch.arange(19)[None, :] < lengths[:, None]
    probs = probs.masked_fill(~mask[:, :, None], 5.0)  # padding must never be picked
    out = topk_mean(probs, mask)
    for b, n in enumerate(lengths.tolist()):
        k = -(-n // 8)  # ceil(n / 8): 3, 1, 1, 2, 3
        expected = probs[b, :n].sort(dim=0, descending=True).values[:k].mean(0)
        assert torch.allclose(out[b], expected, atol=1e-6), b
    leaf = probs.clone().requires_grad_(True)
    topk_mean(leaf, mask).sum().backward()
    assert leaf.grad[~mask].abs().max() == 0 and torch.allclose(leaf.grad.sum((1, 2)), torch.full((5,), 7.0))
