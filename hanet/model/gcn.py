"""The text role graph's attention GCN layer (one layer, as in the public HANet).

Nodes are [sentence, verbs..., nouns...]; ``rel[b, target, source] > 0`` where ``target``
attends to ``source`` (the public readers' ``rel_edges``: root -> verb, verb <-> noun, no
self loops). A target attends (scaled dot product of Linear(d, d/2) query and key, with
biases) only to its sources; a node without incoming edges (the sentence root) gets no
context, so its output is LayerNorm(node). Residual, dropout on the context, LayerNorm.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
from torch import Tensor

from .layers import MASKED


class AttentionGCN(nn.Module):
    def __init__(self, dim: int, dropout: float, edges: bool = True):
        """``edges=False`` builds only the LayerNorm: what the layer computes for a node
        without incoming edges (the sentence node, all the global level needs)."""
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        if edges:
            self.query = nn.Linear(dim, dim // 2)
            self.key = nn.Linear(dim, dim // 2)
            self.context = nn.Linear(dim, dim, bias=False)
            self.dropout = nn.Dropout(dropout)

    def forward(self, nodes: Tensor, rel: Tensor | None = None) -> Tensor:
        """nodes (B, N, D), rel (B, N, N) -> (B, N, D)."""
        if not hasattr(self, "query"):
            return self.norm(nodes)
        edge = rel > 0  # (B, N, N) [target, source]
        logits = self.query(nodes) @ self.key(nodes).transpose(1, 2) / math.sqrt(self.query.out_features)
        weights = torch.softmax(logits.masked_fill(~edge, MASKED), dim=2).masked_fill(~edge, 0.0)  # (B, N, N)
        return self.norm(nodes + self.dropout(self.context(weights @ nodes)))
