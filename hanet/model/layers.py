"""Small building blocks shared by the video and text encoders.

Padding follows the public readers: a batch is padded to its longest video / caption, and
where the public code lets padded rows into a computation (the SE squeeze, the concept
classifiers' convolution and BatchNorm statistics) so do these blocks.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

MASKED = -1e18  # the public code's fill value for masked attention logits


def sequence_mask(lengths: Tensor, steps: int) -> Tensor:
    """lengths (B,) -> (B, steps) bool, True on the first lengths[b] steps."""
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]


def topk_mean(probs: Tensor, mask: Tensor, divisor: int = 8) -> Tensor:
    """Mean of the k largest values over axis 1 among the valid steps, k = ceil(valid / divisor).

    probs (B, T, C), mask (B, T) bool with at least one True per row -> (B, C). One topk of
    the largest k in the batch (padding at -inf), ranks past each row's own k dropped.
    """
    k = torch.div(mask.sum(1) + divisor - 1, divisor, rounding_mode="floor").clamp(min=1)  # (B,)
    kmax = min(int(k.max()) if k.numel() else 1, probs.shape[1])
    work = probs.masked_fill(~mask[:, :, None], float("-inf"))  # (B, T, C)
    ranked = work.topk(kmax, dim=1).values  # (B, kmax, C)
    keep = torch.arange(kmax, device=probs.device)[None, :] < k[:, None]  # (B, kmax)
    return ranked.masked_fill(~keep[:, :, None], 0.0).sum(1) / k[:, None].to(probs.dtype)


class AttentionPool(nn.Module):
    """Linear(d -> 1) scores, softmax over the valid steps, weighted sum."""

    def __init__(self, dim: int):
        super().__init__()
        self.score = nn.Linear(dim, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:  # x (B, T, D), mask (B, T)
        logits = self.score(x).squeeze(-1).masked_fill(~mask, MASKED)  # (B, T)
        return torch.einsum("bt,btd->bd", torch.softmax(logits, dim=1), x)  # (B, D)


class SqueezeExcite(nn.Module):
    """Channel gating (reduction r, no biases) from the mean over ALL rows of the padded
    batch, padded rows included (public quirk)."""

    def __init__(self, dim: int, reduction: int):
        super().__init__()
        self.down = nn.Linear(dim, dim // reduction, bias=False)
        self.up = nn.Linear(dim // reduction, dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:  # x (B, T, D)
        gate = torch.sigmoid(self.up(torch.relu(self.down(x.mean(1)))))  # (B, D)
        return x * gate[:, None, :]  # (B, T, D)


class ConceptHead(nn.Module):
    """Conv1d over time + BatchNorm + sigmoid: per-step concept probabilities.

    Runs over every row of the padded batch, as the public code does: a kernel-5 convolution
    sees padded rows next to the last valid ones, and train-mode BatchNorm statistics include
    the padded rows. Callers pool over the valid rows only (``topk_mean``).
    """

    def __init__(self, dim: int, num_concepts: int, kernel: int):
        super().__init__()
        self.conv = nn.Conv1d(dim, num_concepts, kernel, padding=kernel // 2)
        self.norm = nn.BatchNorm1d(num_concepts)

    def forward(self, x: Tensor) -> Tensor:  # x (B, T, D) -> (B, T, C)
        return torch.sigmoid(self.norm(self.conv(x.transpose(1, 2)))).transpose(1, 2)
