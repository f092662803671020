"""Training losses (public ``ContrastiveLoss`` with max violation, and the concept BCE)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def hardest_negative_hinge(scores: Tensor, margin: float) -> Tensor:
    """scores (B, B) with aligned pairs on the diagonal (rows videos, columns captions).

    loss = mean_i max_{j != i} [margin + s_ij - s_ii]_+    (video -> caption)
         + mean_j max_{i != j} [margin + s_ij - s_jj]_+    (caption -> video)
    """
    positive = scores.diagonal()  # (B,)
    off = ~torch.eye(scores.shape[0], dtype=torch.bool, device=scores.device)  # (B, B)
    v2t = (margin + scores - positive[:, None]).clamp(min=0) * off  # (B, B)
    t2v = (margin + scores - positive[None, :]).clamp(min=0) * off  # (B, B)
    return v2t.max(dim=1).values.mean() + t2v.max(dim=0).values.mean()


def masked_bce(probs: Tensor, targets: Tensor, mask: Tensor) -> Tensor:
    """Public concept BCE: per caption, the binary cross-entropy (log clamped at -100, as
    torch's) summed over the unmasked concepts and divided by their number; then the batch
    mean. probs, targets, mask (B, C). Computed in float32 with autocast off (CUDA autocast
    refuses ``binary_cross_entropy``)."""
    with torch.autocast(probs.device.type, enabled=False):
        bce = F.binary_cross_entropy(probs.float(), targets.float(), reduction="none")  # (B, C)
        return ((bce * mask).sum(1) / mask.sum(1).clamp(min=1.0)).mean()
