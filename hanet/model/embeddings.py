"""Encoded videos and captions: dataclasses of tensors that can be moved, sliced and
concatenated, so that evaluation encodes everything once and scores in chunks.

Fields of disabled levels are None. Zero / False is padding everywhere, so ``cat`` pads
every non-batch axis to the largest size (padding never changes a score).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def _pad_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    pad: list[int] = []
    for have, want in zip(reversed(x.shape[1:]), reversed(shape)):
        pad += [0, want - have]
    if not any(pad):
        return x
    if x.dtype == torch.bool:
        return F.pad(x.to(torch.uint8), pad).bool()
    return F.pad(x, pad)


class TensorBatch:
    def _map(self, fn):
        return type(self)(**{f.name: (None if getattr(self, f.name) is None else fn(getattr(self, f.name)))
                             for f in fields(self)})

    def to(self, device):
        return self._map(lambda x: x.to(device))

    def float(self):
        """Floating-point fields as float32 (e.g. after bf16 autocast)."""
        return self._map(lambda x: x.float() if x.is_floating_point() else x)

    def detach(self):
        return self._map(lambda x: x.detach())

    def __getitem__(self, index):
        if isinstance(index, int):
            index = slice(index, index + 1)
        return self._map(lambda x: x[index])

    def __len__(self) -> int:
        for f in fields(self):
            x = getattr(self, f.name)
            if x is not None:
                return len(x)
        return 0

    @classmethod
    def cat(cls, items: list):
        if not items:
            raise ValueError(f"{cls.__name__}.cat: empty list")
        out = {}
        for f in fields(cls):
            parts = [getattr(it, f.name) for it in items]
            if parts[0] is None:
                out[f.name] = None
                continue
            shape = tuple(max(p.shape[d] for p in parts) for d in range(1, parts[0].dim()))
            out[f.name] = torch.cat([_pad_to(p, shape) for p in parts], dim=0)
        return cls(**out)


@dataclass
class VideoEmbedding(TensorBatch):
    event: Optional[Tensor] = None           # (B, D) global event vector
    local_action: Optional[Tensor] = None    # (B, Ka, D) concept-selected action parts (SE output)
    local_entity: Optional[Tensor] = None    # (B, Ke, D) concept-selected entity parts (SE output)
    frame_action: Optional[Tensor] = None    # (B, F, D) action projections before SE (individual level)
    frame_entity: Optional[Tensor] = None    # (B, F, D) entity projections before SE
    frame_mask: Optional[Tensor] = None      # (B, F) bool, valid frames
    action_probs: Optional[Tensor] = None    # (B, F, num_verbs) per-frame action concept probabilities
    entity_probs: Optional[Tensor] = None    # (B, F, num_nouns)
    action_concepts: Optional[Tensor] = None  # (B, num_verbs) video-level, top-k frame mean
    entity_concepts: Optional[Tensor] = None  # (B, num_nouns)


@dataclass
class TextEmbedding(TensorBatch):
    sentence: Optional[Tensor] = None        # (B, D) GCN sentence node = LayerNorm(attention-pooled words)
    node_verb: Optional[Tensor] = None       # (B, NV, D) GCN verb nodes (local)
    node_noun: Optional[Tensor] = None       # (B, NN, D) GCN noun nodes (local)
    phrase_verb: Optional[Tensor] = None     # (B, NV, D) max-pooled word states, before roles (individual)
    phrase_noun: Optional[Tensor] = None     # (B, NN, D)
    verb_mask: Optional[Tensor] = None       # (B, NV) bool, real verb slots (the first n, public rule)
    noun_mask: Optional[Tensor] = None       # (B, NN) bool
    verb_concepts: Optional[Tensor] = None   # (B, num_verbs)
    noun_concepts: Optional[Tensor] = None   # (B, num_nouns)
