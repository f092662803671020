"""Small masked building blocks shared by the video and text encoders."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


def masked_softmax(logits: Tensor, mask: Tensor, dim: int = -1) -> Tensor:
    """Softmax over ``dim`` where ``mask`` is True; masked entries get weight 0."""
    logits = logits.masked_fill(~mask, float("-inf"))
    return torch.softmax(logits, dim=dim).masked_fill(~mask, 0.0)


def topk_mean(probs: Tensor, mask: Tensor, divisor: int = 8) -> Tensor:
    """Mean of the k largest values over axis 1, k = ceil(valid / divisor), per row.

    probs (B, T, C), mask (B, T) bool with at least one True per row -> (B, C). One topk of
    the largest k in the batch (padding at -inf), ranks past each row's own k dropped.
    """
    k = torch.div(mask.sum(1) + divisor - 1, divisor, rounding_mode="floor").clamp(min=1)  # (B,)
    kmax = min(int(k.max()) if k.numel() else 1, probs.shape[1])
    work = probs.masked_fill(~mask[:, :, None], float("-inf"))  # (B, T, C)
    ranked = work.topk(kmax, dim=1).values  # (B, kmax, C)
    keep = torch.arange(kmax, device=probs.device)[None, :] < k[:, None]  # (B, kmax)
    return ranked.masked_fill(~keep[:, :, None], 0.0).sum(1) / k[:, None].to(probs.dtype)


class Dropout(nn.Module):
    """Inverted dropout drawing a uniform mask (rand >= p), much cheaper on the CPU than
    bernoulli_; same distribution as nn.Dropout, identity in eval mode or with p = 0."""

    def __init__(self, p: float):
        super().__init__()
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand_like(x).ge_(self.p).to(x.dtype).mul_(1.0 / (1.0 - self.p))
        return x * keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class AttentionPool(nn.Module):
    """Linear(d -> 1) scores, masked softmax over the sequence, weighted sum."""

    def __init__(self, dim: int):
        super().__init__()
        self.score = nn.Linear(dim, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:  # x (B, T, D), mask (B, T)
        weights = masked_softmax(self.score(x).squeeze(-1), mask, dim=1)  # (B, T)
        return torch.einsum("bt,btd->bd", weights, x)  # (B, D)


class SqueezeExcite(nn.Module):
    """Channel gating from the mean over valid time steps (reduction r)."""

    def __init__(self, dim: int, reduction: int):
        super().__init__()
        self.down = nn.Linear(dim, dim // reduction)
        self.up = nn.Linear(dim // reduction, dim)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:  # x (B, T, D), zero on padding
        squeeze = x.sum(1) / mask.sum(1, keepdim=True).to(x.dtype)  # (B, D)
        gate = torch.sigmoid(self.up(F.relu(self.down(squeeze))))  # (B, D)
        return x * gate[:, None, :]  # (B, T, D)


class MaskedConceptHead(nn.Module):
    """Conv1d over time + BatchNorm (statistics from valid steps only) + sigmoid."""

    def __init__(self, dim: int, num_concepts: int, kernel: int):
        super().__init__()
        self.conv = nn.Conv1d(dim, num_concepts, kernel, padding=kernel // 2)
        self.norm = nn.BatchNorm1d(num_concepts)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:  # x (B, T, D) zero on padding, mask (B, T)
        if self.conv.kernel_size[0] == 1:  # a per-step linear map: only the valid steps are computed
            rows = F.linear(x[mask], self.conv.weight[:, :, 0], self.conv.bias)  # (N_valid, C)
        else:
            rows = self.conv(x.transpose(1, 2)).transpose(1, 2)[mask]  # (N_valid, C)
        normed = self.norm(rows)  # BatchNorm over the (N_valid, C) rows
        out = torch.zeros(*mask.shape, normed.shape[1], dtype=normed.dtype, device=normed.device)
        out[mask] = torch.sigmoid(normed)
        return out  # (B, T, C), 0 on padding
