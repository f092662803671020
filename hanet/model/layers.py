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

    probs (B, T, C), mask (B, T) bool with at least one True per row -> (B, C).
    """
    k = torch.div(mask.sum(1) + divisor - 1, divisor, rounding_mode="floor").clamp(min=1)  # (B,)
    ranked = probs.masked_fill(~mask[:, :, None], float("-inf")).sort(dim=1, descending=True).values  # (B, T, C)
    keep = torch.arange(probs.shape[1], device=probs.device)[None, :] < k[:, None]  # (B, T)
    ranked = ranked.masked_fill(~keep[:, :, None], 0.0)
    return ranked.sum(1) / k[:, None].to(probs.dtype)  # (B, C)


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
        logits = self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, T, C)
        normed = torch.zeros_like(logits)
        normed[mask] = self.norm(logits[mask])  # BatchNorm over the (N_valid, C) rows
        return torch.sigmoid(normed).masked_fill(~mask[:, :, None], 0.0)  # (B, T, C)
