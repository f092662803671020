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
    f_p   = exp(temperature * n_p + log(|v_p| / max_p' |v_p'|) - shift)   (0 on invalid parts)
    score = sum_p f_p s_p / sqrt(f^T C f),   C = unit-part Gram matrix (cosines of the parts)
with n = l2norm_p(max(s, 0)) and shift = temperature (every f_p <= 1, the largest >=
exp(-temperature): safe in fp32 up to SHIFT_LIMIT; above it the shift is the exact maximum).

Each side is prepared once (``Parts``: unit parts with valid ones first, log-norm bias and
Gram matrix per video; ``Phrases``: the packed list of real phrases, unit length), so that
evaluation prepares every video and caption once and then only multiplies. Scoring works in
blocks of (videos x parts x phrases) sized for the CPU cache (much larger on a GPU): one GEMM,
then a handful of passes over the block, then a segment sum of phrases into their captions.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from . import native
from .embeddings import TensorBatch

EPS = 1e-8
LOG2E = 1.4426950408889634  # 1 / ln 2
TILE = {"cpu": 1 << 17, "cuda": 1 << 26}  # elements of one (videos, parts, phrases) block
PHRASES_PER_TILE = {"cpu": 512, "cuda": 1 << 16}
SHIFT_LIMIT = 60.0  # temperatures above this shift the logits by their exact maximum


@dataclass
class Parts(TensorBatch):
    """Video side of one term: the parts of every video, prepared once."""
    unit: Tensor     # (Nv, P, D) unit-length parts, valid ones first, 0 elsewhere
    bias: Tensor     # (Nv, P) log(|v_p| / max_p' |v_p'|) on valid parts, -inf elsewhere
    gram: Tensor     # (Nv, P, P) cosines between the parts (0 with an invalid one)
    n_valid: Tensor  # (Nv,) long


class Phrases:
    """Caption side of one term: the real phrases of every caption, packed caption-major.

    Indexing with a slice selects a range of captions (their phrases stay contiguous)."""

    def __init__(self, unit: Tensor, owner: Tensor, offsets: Tensor):
        self.unit = unit        # (R, D) unit-length real phrases
        self.owner = owner      # (R,) caption of each phrase, ascending
        self.offsets = offsets  # (Nt + 1,) caption i owns rows offsets[i]:offsets[i + 1]

    def __len__(self) -> int:
        return self.offsets.numel() - 1

    def __getitem__(self, index: slice) -> "Phrases":
        a, b, step = index.indices(len(self))
        if step != 1:
            raise ValueError("Phrases: only contiguous caption ranges can be selected")
        b = max(a, b)
        lo, hi = int(self.offsets[a]), int(self.offsets[b])
        return Phrases(self.unit[lo:hi], self.owner[lo:hi] - a, self.offsets[a:b + 1] - lo)


def prepare_parts(parts: Tensor, part_mask: Tensor | None) -> Parts:
    """parts (Nv, P, D), part_mask (Nv, P) bool or None (parts that are all zero count as
    invalid either way) -> Parts."""
    D = parts.shape[2]
    norms = parts.norm(dim=-1)  # (Nv, P)
    valid = norms > 0 if part_mask is None else part_mask & (norms > 0)
    order = torch.argsort((~valid).to(torch.uint8), dim=1, stable=True)  # (Nv, P) valid first
    valid, norms = valid.gather(1, order), norms.gather(1, order)
    ordered = parts.gather(1, order[:, :, None].expand(-1, -1, D))  # (Nv, P, D)
    zero = torch.zeros((), dtype=norms.dtype, device=parts.device)
    unit = ordered * torch.where(valid, 1.0 / norms.clamp(min=EPS), zero)[:, :, None]  # (Nv, P, D)
    top = torch.where(valid, norms, zero).amax(1, keepdim=True).clamp(min=EPS)  # (Nv, 1) largest valid norm
    bias = torch.where(valid, torch.log(norms.clamp(min=EPS) / top), torch.full_like(norms, float("-inf")))
    return Parts(unit=unit, bias=bias, gram=unit @ unit.transpose(1, 2), n_valid=valid.sum(1))


def prepare_phrases(phrases: Tensor, phrase_mask: Tensor) -> Phrases:
    """phrases (Nt, Q, D), phrase_mask (Nt, Q) bool -> Phrases (real phrases only)."""
    owner, slot = phrase_mask.nonzero(as_tuple=True)  # (R,) row-major: owners ascend
    ph = phrases[owner, slot]  # (R, D)
    offsets = torch.zeros(phrase_mask.shape[0] + 1, dtype=torch.long, device=phrases.device)
    offsets[1:] = phrase_mask.sum(1).cumsum(0)
    return Phrases(ph / ph.norm(dim=-1, keepdim=True).clamp(min=EPS), owner, offsets)


def attention_scores(parts: Parts, phrases: Phrases, temperature: float) -> Tensor:
    """Prepared parts (Nv videos) and phrases (Nt captions) -> scores (Nv, Nt)."""
    Nv, Nt, R = len(parts), len(phrases), phrases.unit.shape[0]
    dtype, device = torch.result_type(parts.unit, phrases.unit), parts.unit.device
    if Nv == 0 or Nt == 0 or R == 0 or parts.unit.shape[1] == 0:
        return torch.zeros(Nv, Nt, dtype=dtype, device=device) + 0 * (parts.unit.sum() + phrases.unit.sum())
    grad = torch.is_grad_enabled() and (parts.unit.requires_grad or phrases.unit.requires_grad)
    kind = "cuda" if device.type == "cuda" else "cpu"
    per_tile = min(R, PHRASES_PER_TILE[kind])
    n_valid = parts.n_valid.tolist()
    rows, a = [], 0
    while a < Nv:
        cap = max(1, TILE[kind] // (max(n_valid[a], 1) * per_tile))  # videos per block at this length
        nb = _balanced(Nv - a, cap)
        pb = max(max(n_valid[a:a + nb]), 1)  # pad the block only to its longest video
        if pb > max(n_valid[a], 1):  # videos not sorted by length: keep the block within the tile
            nb = max(1, min(nb, TILE[kind] // (pb * per_tile)))
            pb = max(max(n_valid[a:a + nb]), 1)
        rows.append(_video_block(parts.unit[a:a + nb, :pb], parts.bias[a:a + nb, :pb],
                                 parts.gram[a:a + nb, :pb, :pb], phrases, float(temperature), grad,
                                 _balanced(R, max(64, TILE[kind] // (nb * pb)))))
        a += nb
    counts = (phrases.offsets[1:] - phrases.offsets[:-1]).clamp(min=1).to(dtype)  # (Nt,)
    return torch.cat(rows, 0) / counts[None, :]


def _balanced(n: int, cap: int) -> int:
    """Size of equal pieces of at most ``cap`` covering n (no small leftover piece)."""
    pieces = -(-n // cap)
    return -(-n // pieces)


def _video_block(unit: Tensor, bias: Tensor, gram: Tensor, phrases: Phrases, tau: float, grad: bool,
                 rb: int) -> Tensor:
    """unit (n, Pb, D), bias (n, Pb), gram (n, Pb, Pb) -> per-caption sums over phrases (n, Nt)."""
    n, pb, D = unit.shape
    U = unit.reshape(n * pb, D)
    exact_shift = tau > SHIFT_LIMIT
    bias = bias[:, :, None] - (0.0 if exact_shift else tau)  # (n, Pb, 1)
    bias2 = bias * LOG2E  # the same in base 2
    out = unit.new_zeros(n, len(phrases))
    R = phrases.unit.shape[0]
    fused = not grad and native.usable(unit, phrases.unit)
    if fused:  # one C pass per block after the GEMM (hanet/model/native_kernels.c)
        bias2, gram = bias2[:, :, 0].contiguous(), gram.contiguous()
    pieces = []
    for r0 in range(0, R, rb):
        T = phrases.unit[r0:r0 + rb]  # (r, D)
        r = T.shape[0]
        sims = (U @ T.t()).view(n, pb, r)  # (n, Pb, r) cosines
        if fused:
            scores = native.attention_block(sims, bias2, gram, tau * LOG2E, exact_shift)  # (n, r)
            out.index_add_(1, phrases.owner[r0:r0 + r], scores)
        elif grad:
            pos = sims.clamp(min=0)
            scale = tau * torch.linalg.vecdot(pos, pos, dim=1)[:, None, :].clamp(min=EPS * EPS).rsqrt()  # (n, 1, r)
            logits = torch.addcmul(bias, pos, scale)  # (n, Pb, r)
            if exact_shift:
                logits = logits - logits.amax(1, keepdim=True).detach()
            f = torch.exp(logits)
            numer = (f * sims).sum(1)  # (n, r)
            quad = (torch.bmm(gram, f) * f).sum(1)  # (n, r)
            pieces.append(numer / quad.clamp(min=1e-30).sqrt())
        else:
            pos = sims.clamp(min=0)
            scale = torch.linalg.vecdot(pos, pos, dim=1)[:, None, :].sqrt_().clamp_(min=EPS).reciprocal_()
            f = torch.addcmul(bias2, pos, scale.mul_(tau * LOG2E), out=pos)  # (n, Pb, r) logits / ln 2
            if exact_shift:
                f.sub_(f.amax(1, keepdim=True))
            f.exp2_()  # exp2 is faster than exp on the CPU (benchmarks/bench_choices.py)
            numer = torch.linalg.vecdot(f, sims, dim=1)  # (n, r)
            gf = torch.bmm(gram, f, out=sims)
            quad = torch.linalg.vecdot(gf, f, dim=1)  # (n, r)
            out.index_add_(1, phrases.owner[r0:r0 + r], numer.div_(quad.clamp_(min=1e-30).sqrt_()))
    if grad:
        out = out.index_add(1, phrases.owner, torch.cat(pieces, 1))
    return out


def phrase_attention_scores(parts: Tensor, part_mask: Tensor | None, phrases: Tensor, phrase_mask: Tensor,
                            temperature: float) -> Tensor:
    """parts (Nv, P, D), part_mask (Nv, P) bool or None (all valid), phrases (Nt, Q, D),
    phrase_mask (Nt, Q) bool -> scores (Nv, Nt)."""
    return attention_scores(prepare_parts(parts, part_mask), prepare_phrases(phrases, phrase_mask), temperature)
