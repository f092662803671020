"""Phrase-attention matching (HGR / HANet), batched over every (video, caption) pair.

For video parts v_p (p valid) and a phrase t:
    s_p   = cos(v_p, t)                              similarity of part and phrase
    a     = softmax_p(temperature * l2norm_p(max(s_p, 0)))   attention over valid parts
    u     = sum_p a_p v_p                            attended video vector
    score = cos(u, t)
and the pair score is the mean over the caption's real phrases (0 if it has none).

Closed form used here (never builds the (Nv, Nt, Q, D) attended vectors). cos(u, t) does
not change when u is scaled, so the softmax normaliser drops out and the part norms can be
folded into the unnormalised weights:
    f_p   = exp(temperature * n_p + log(|v_p| / max_p' |v_p'|) - temperature)   (0 on invalid parts)
    score = sum_p f_p s_p / sqrt(f^T C f),   C = unit-part Gram matrix (cosines of the parts)
with n = l2norm_p(max(s, 0)). Every f_p <= 1 and the largest is >= exp(-temperature), so
nothing overflows or underflows for the temperatures in use.

Work is organised for the CPU cache: only real phrases are scored (packed list, then a
segment mean per caption), videos are ordered by their number of valid parts and packed so a
block pads only to its own longest video, and each (videos x phrases x parts) block is one
GEMM followed by a handful of passes over an L2-sized tile.
"""
from __future__ import annotations

import torch
from torch import Tensor

EPS = 1e-8
TILE = 1 << 17  # elements of one (videos, parts, phrases) block (512 KiB in fp32)
MAX_SHIFTED_TEMPERATURE = 60.0  # above this, f would underflow: use the explicit softmax


def phrase_attention_scores(parts: Tensor, part_mask: Tensor | None, phrases: Tensor, phrase_mask: Tensor,
                            temperature: float) -> Tensor:
    """parts (Nv, P, D), part_mask (Nv, P) bool or None (all valid), phrases (Nt, Q, D),
    phrase_mask (Nt, Q) bool -> scores (Nv, Nt)."""
    Nv, P, D = parts.shape
    Nt, Q = phrase_mask.shape
    dtype, device = torch.result_type(parts, phrases), parts.device
    if Nv == 0 or Nt == 0 or P == 0 or Q == 0 or not bool(phrase_mask.any()):
        return torch.zeros(Nv, Nt, dtype=dtype, device=device) + 0 * (parts.sum() + phrases.sum())
    if temperature > MAX_SHIFTED_TEMPERATURE:
        return _explicit(parts, part_mask, phrases, phrase_mask, temperature)
    tau = float(temperature)
    grad = torch.is_grad_enabled() and (parts.requires_grad or phrases.requires_grad)

    # Phrases: the packed list of real ones (row-major, so owners ascend), unit length.
    owner, slot = phrase_mask.nonzero(as_tuple=True)  # (R,)
    ph = phrases[owner, slot]  # (R, D)
    ph_unit = ph / ph.norm(dim=-1, keepdim=True).clamp(min=EPS)
    counts = phrase_mask.sum(1).clamp(min=1).to(dtype)  # (Nt,)

    # Parts: valid ones first within each video, videos by decreasing number of valid parts.
    norms = parts.norm(dim=-1)  # (Nv, P)
    valid = norms > 0 if part_mask is None else part_mask & (norms > 0)  # zero parts get weight 0 anyway
    n_valid = valid.sum(1)  # (Nv,)
    order_v = torch.argsort(n_valid, descending=True, stable=True)  # (Nv,)
    order_p = torch.argsort((~valid[order_v]).to(torch.uint8), dim=1, stable=True)  # (Nv, P)
    valid_s = valid[order_v].gather(1, order_p)  # (Nv, P)
    norms_s = norms[order_v].gather(1, order_p)  # (Nv, P)
    parts_s = parts[order_v].gather(1, order_p[:, :, None].expand(-1, -1, D))  # (Nv, P, D)
    inv = torch.where(valid_s, 1.0 / norms_s.clamp(min=EPS), torch.zeros((), dtype=norms_s.dtype, device=device))
    unit_s = parts_s * inv[:, :, None]  # (Nv, P, D), 0 on invalid parts
    top = norms_s.amax(1, keepdim=True).clamp(min=EPS)  # (Nv, 1)
    bias_s = torch.where(valid_s, torch.log(norms_s.clamp(min=EPS) / top) - tau,
                         torch.full((), float("-inf"), dtype=norms_s.dtype, device=device))  # (Nv, P)
    counts_v = n_valid[order_v].tolist()

    R = ph_unit.shape[0]
    rows = []
    a = 0
    while a < Nv:
        pb = max(int(counts_v[a]), 1)  # longest video of the block (sorted)
        nb = max(1, min(Nv - a, TILE // (pb * min(R, 512))))
        rows.append(_video_block(unit_s[a:a + nb, :pb], bias_s[a:a + nb, :pb], ph_unit, owner, Nt, tau, grad,
                                 max(64, TILE // (nb * pb))))
        a += nb
    sums = torch.cat(rows, 0)  # (Nv, Nt) in sorted video order
    scores = sums / counts[None, :]
    inverse = torch.empty_like(order_v)
    inverse[order_v] = torch.arange(Nv, device=device)
    return scores[inverse]


def _video_block(unit: Tensor, bias: Tensor, ph_unit: Tensor, owner: Tensor, Nt: int, tau: float, grad: bool,
                 rb: int) -> Tensor:
    """unit (n, Pb, D) unit parts (0 invalid), bias (n, Pb), ph_unit (R, D) -> per-caption sums (n, Nt)."""
    n, pb, D = unit.shape
    U = unit.reshape(n * pb, D)
    gram = unit @ unit.transpose(1, 2)  # (n, Pb, Pb) part cosines
    bias = bias[:, :, None]  # (n, Pb, 1)
    R = ph_unit.shape[0]
    out = unit.new_zeros(n, Nt)
    pieces = []
    for r0 in range(0, R, rb):
        T = ph_unit[r0:r0 + rb]  # (r, D)
        r = T.shape[0]
        sims = (U @ T.t()).view(n, pb, r)  # (n, Pb, r) cosines
        if grad:
            pos = sims.clamp(min=0)
            scale = tau * torch.linalg.vecdot(pos, pos, dim=1)[:, None, :].clamp(min=EPS * EPS).rsqrt()  # (n, 1, r)
            f = torch.exp(torch.addcmul(bias, pos, scale))  # (n, Pb, r)
            numer = (f * sims).sum(1)  # (n, r)
            quad = (torch.bmm(gram, f) * f).sum(1)  # (n, r)
            pieces.append(numer / quad.clamp(min=1e-30).sqrt())
        else:
            pos = sims.clamp(min=0)
            scale = torch.linalg.vecdot(pos, pos, dim=1)[:, None, :].sqrt_().clamp_(min=EPS).reciprocal_().mul_(tau)
            f = torch.addcmul(bias, pos, scale, out=pos).exp_()  # (n, Pb, r)
            numer = torch.linalg.vecdot(f, sims, dim=1)  # (n, r)
            gf = torch.bmm(gram, f, out=sims)
            quad = torch.linalg.vecdot(gf, f, dim=1)  # (n, r)
            cos = numer.div_(quad.clamp_(min=1e-30).sqrt_())
            out.index_add_(1, owner[r0:r0 + r], cos)
    if grad:
        out = out.index_add(1, owner, torch.cat(pieces, 1))
    return out


def _explicit(parts: Tensor, part_mask: Tensor | None, phrases: Tensor, phrase_mask: Tensor,
              temperature: float) -> Tensor:
    """Direct form with an explicit softmax (any temperature); builds (Nv, Nt, Q, P) tensors."""
    if part_mask is None:
        part_mask = torch.ones(parts.shape[:2], dtype=torch.bool, device=parts.device)
    norms = parts.norm(dim=-1)  # (Nv, P)
    parts_unit = parts / norms.clamp(min=EPS)[:, :, None]
    phrases_unit = phrases / phrases.norm(dim=-1, keepdim=True).clamp(min=EPS)
    sims = torch.einsum("apd,bqd->abqp", parts_unit, phrases_unit)  # (Nv, Nt, Q, P)
    valid = part_mask[:, None, None, :]
    attn = sims.clamp(min=0).masked_fill(~valid, 0.0)
    attn = attn / attn.norm(dim=-1, keepdim=True).clamp(min=EPS)
    attn = torch.softmax((temperature * attn).masked_fill(~valid, float("-inf")), dim=-1)
    numer = (attn * sims * norms[:, None, None, :]).sum(-1)
    gram = parts @ parts.transpose(1, 2)
    quad = (torch.einsum("abqp,apr->abqr", attn, gram) * attn).sum(-1)
    cos = numer / quad.clamp(min=EPS * EPS).sqrt()
    weights = phrase_mask.to(cos.dtype)
    return (cos * weights[None]).sum(-1) / weights.sum(-1).clamp(min=1.0)[None]
