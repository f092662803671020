"""Phrase-attention matching (HGR / HANet), batched over every (video, caption) pair.

For video parts v_p (p valid) and a phrase t:
    s_p   = cos(v_p, t)                              similarity of part and phrase
    a     = softmax_p(temperature * l2norm_p(max(s_p, 0)))   attention over valid parts
    u     = sum_p a_p v_p                            attended video vector
    score = cos(u, t) = sum_p a_p s_p |v_p| / sqrt(a^T G a),  G = V V^T (the part Gram matrix)
and the pair score is the mean over the caption's real phrases (0 if it has none).
The closed form never builds the (Nv, Nt, Q, D) tensor of attended vectors.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

EPS = 1e-8


def phrase_attention_scores(parts: Tensor, part_mask: Tensor | None, phrases: Tensor, phrase_mask: Tensor,
                            temperature: float) -> Tensor:
    """parts (Nv, P, D), part_mask (Nv, P) bool or None (all valid), phrases (Nt, Q, D),
    phrase_mask (Nt, Q) bool -> scores (Nv, Nt)."""
    if part_mask is None:
        part_mask = torch.ones(parts.shape[:2], dtype=torch.bool, device=parts.device)
    norms = parts.norm(dim=-1)  # (Nv, P)
    parts_unit = parts / norms.clamp(min=EPS)[:, :, None]  # (Nv, P, D)
    phrases_unit = F.normalize(phrases, dim=-1, eps=EPS)  # (Nt, Q, D)
    sims = torch.einsum("apd,bqd->abqp", parts_unit, phrases_unit)  # (Nv, Nt, Q, P)
    valid = part_mask[:, None, None, :]  # (Nv, 1, 1, P)
    attn = sims.clamp(min=0).masked_fill(~valid, 0.0)
    attn = attn / attn.norm(dim=-1, keepdim=True).clamp(min=EPS)  # l2 over parts
    attn = torch.softmax((temperature * attn).masked_fill(~valid, float("-inf")), dim=-1)  # (Nv, Nt, Q, P)
    numer = (attn * sims * norms[:, None, None, :]).sum(-1)  # (Nv, Nt, Q)  u . t_hat
    gram = parts @ parts.transpose(1, 2)  # (Nv, P, P)
    quad = (torch.einsum("abqp,apr->abqr", attn, gram) * attn).sum(-1)  # (Nv, Nt, Q)  |u|^2
    cos = numer / quad.clamp(min=EPS * EPS).sqrt()  # (Nv, Nt, Q)
    weights = phrase_mask.to(cos.dtype)  # (Nt, Q)
    return (cos * weights[None]).sum(-1) / weights.sum(-1).clamp(min=1.0)[None]  # (Nv, Nt)
