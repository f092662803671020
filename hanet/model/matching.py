"""Phrase-attention matching (HGR / HANet ``generate_phrase_scores``), for every
(video, caption) pair at once.

For the valid parts v_p of a video and one phrase t (public code, ``attn_fusion = embed``):
    s_p   = cos(v_p, t)
    a     = softmax_p(temperature * l2norm_p(max(s_p, 0)))      over the valid parts
    u     = sum_p a_p v_p
    score = cos(u, t)
and a caption's score is the mean over its real phrases (0 when it has none).

Closed form (exact; never builds the (videos, phrases, dim) attended vectors). cos(u, t)
does not change when u is scaled, so the softmax normaliser drops out and each part's norm
folds into its weight: with unit parts e_p = v_p / |v_p|,
    f_p   = exp(temperature * n_p + log|v_p| - c)       (0 on invalid parts; c any shift)
    u    ~ sum_p f_p e_p,   u . t = sum_p f_p s_p |t|,   |u|^2 = f^T G f
    score = sum_p f_p s_p / sqrt(f^T G f),   G_pq = e_p . e_q  (the video's part Gram matrix)
with n = l2norm_p(max(s, 0)). c is the row maximum of the exponent, so f <= 1. Per pair this
costs one GEMM row over the embedding (the cosines) and O(P^2) for the quadratic form.
``tests/oracles.py`` holds the loop form it is checked against.
"""
from __future__ import annotations

import torch
from torch import Tensor

EPS = 1e-10  # the public l2norm's clamp
BLOCK = 1 << 18  # cosines per block of phrase_attention (1 MiB in float32)


def unit(x: Tensor) -> Tensor:
    return x / x.norm(dim=-1, keepdim=True).clamp(min=EPS)


def phrase_attention(parts: Tensor, part_mask: Tensor | None, phrases: Tensor, phrase_mask: Tensor,
                     temperature: float) -> Tensor:
    """parts (Nv, P, D), part_mask (Nv, P) bool or None (all valid), phrases (Nt, Q, D),
    phrase_mask (Nt, Q) bool -> scores (Nv, Nt). Works under autograd and without.

    The real phrases are scored a block at a time (about BLOCK cosines per block), so that the
    handful of elementwise passes after each block's GEMM run in cache."""
    Nv, P, _ = parts.shape
    Nt = phrases.shape[0]
    valid = torch.ones(Nv, P, dtype=torch.bool, device=parts.device) if part_mask is None else part_mask
    norms = parts.norm(dim=-1)  # (Nv, P)
    e = parts * (valid / norms.clamp(min=EPS))[:, :, None]  # (Nv, P, D) unit parts, 0 where invalid
    gram = e @ e.transpose(1, 2)  # (Nv, P, P)
    bias = torch.log(norms.clamp(min=1e-30)).masked_fill(~valid, float("-inf"))[:, :, None]  # (Nv, P, 1)
    owner, slot = phrase_mask.nonzero(as_tuple=True)  # (R,) the real phrases, caption-major
    t = unit(phrases[owner, slot])  # (R, D)
    flat = e.reshape(Nv * P, -1)  # (Nv*P, D)
    step = max(1, BLOCK // max(1, Nv * P))
    blocks = []
    for r0 in range(0, t.shape[0], step):
        sims = (flat @ t[r0:r0 + step].t()).view(Nv, P, -1)  # (Nv, P, r) cosines, 0 on invalid parts
        pos = sims.clamp(min=0)
        scale = temperature * torch.linalg.vecdot(pos, pos, dim=1).clamp(min=EPS * EPS).rsqrt()  # (Nv, r)
        logits = pos * scale[:, None, :] + bias  # (Nv, P, r) = temperature * l2norm_p(pos) + log|v_p|
        f = torch.exp(logits - logits.amax(1, keepdim=True).detach())  # (Nv, P, r), <= 1
        numer = torch.linalg.vecdot(f, sims, dim=1)  # (Nv, r)
        quad = torch.linalg.vecdot(gram @ f, f, dim=1)  # (Nv, r) = f^T G f
        blocks.append(numer / quad.clamp(min=1e-30).sqrt())
    per_phrase = torch.cat(blocks, 1) if blocks else parts.new_zeros(Nv, 0)  # (Nv, R)
    sums = per_phrase.new_zeros(Nv, Nt).index_add(1, owner, per_phrase)  # (Nv, Nt)
    return sums / phrase_mask.sum(1).clamp(min=1).to(sums.dtype)[None, :]
