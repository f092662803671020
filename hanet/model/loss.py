"""Training losses: bidirectional hinge ranking loss with the hardest in-batch negative
(VSE++ max violation), and the masked concept binary cross-entropy."""
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
    """Binary cross-entropy of probabilities, summed over unmasked entries and divided by
    the mask total (0 when the mask is empty). probs, targets, mask (B, C)."""
    bce = F.binary_cross_entropy(probs.clamp(1e-6, 1 - 1e-6), targets, reduction="none")  # (B, C)
    return (bce * mask).sum() / mask.sum().clamp(min=1.0)
