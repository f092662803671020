"""Batched model inputs (already padded tensors) and concept targets.

Row i of a VideoInput and row i of a TextInput form an aligned pair in training.
Conventions follow the public readers' batches: zero padding, ``lengths`` >= 1, the
first n phrase slots of a caption real (n = its number of non-empty phrase masks),
``adjacency[b, target, source]`` over the nodes [root, verbs..., nouns...] (row-normalised in
the public batches; only its non-zero pattern matters to the attention GCN), ``roles``
per phrase slot (verbs then nouns, indices into ``hanet.text.roles.ROLES``).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import torch
from torch import Tensor


class _ToDevice:
    def to(self, device):
        return type(self)(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


def _check(cond: bool, what: str, msg: str) -> None:
    if not cond:
        raise ValueError(f"{what}: {msg}")


@dataclass
class VideoInput(_ToDevice):
    frames: Tensor   # (B, F, ft_dim) float, zero-padded
    lengths: Tensor  # (B,) long, 1 <= length <= F

    def check(self, ft_dim: int) -> None:
        _check(self.frames.dim() == 3 and self.frames.shape[2] == ft_dim, "VideoInput.frames",
               f"expected (B, F, {ft_dim}), got {tuple(self.frames.shape)}")
        _check(self.lengths.shape == self.frames.shape[:1], "VideoInput.lengths",
               f"expected ({self.frames.shape[0]},), got {tuple(self.lengths.shape)}")
        _check(bool((self.lengths >= 1).all()) and bool((self.lengths <= self.frames.shape[1]).all()),
               "VideoInput.lengths", "every video needs 1 <= length <= number of frame rows")

    def mask(self) -> Tensor:
        steps = torch.arange(self.frames.shape[1], device=self.frames.device)
        return steps[None, :] < self.lengths[:, None]  # (B, F) bool


@dataclass
class TextInput(_ToDevice):
    words: Tensor       # (B, L) long, 0 = pad
    lengths: Tensor     # (B,) long >= 1
    verb_masks: Tensor  # (B, NV, L) bool
    noun_masks: Tensor  # (B, NN, L) bool
    adjacency: Tensor   # (B, 1+NV+NN, 1+NV+NN) float, [target, source] over [root, verbs, nouns]
    roles: Tensor       # (B, NV+NN) long, role of each phrase slot

    def check(self) -> None:
        B, L = self.words.shape
        NV, NN = self.verb_masks.shape[1], self.noun_masks.shape[1]
        N = 1 + NV + NN
        _check(self.lengths.shape == (B,), "TextInput.lengths", f"expected ({B},), got {tuple(self.lengths.shape)}")
        _check(bool((self.lengths >= 1).all()) and bool((self.lengths <= L).all()),
               "TextInput.lengths", "every caption needs 1 <= length <= number of word columns")
        _check(self.verb_masks.shape == (B, NV, L), "TextInput.verb_masks", f"expected (B, NV, {L})")
        _check(self.noun_masks.shape == (B, NN, L), "TextInput.noun_masks", f"expected (B, NN, {L})")
        _check(self.adjacency.shape == (B, N, N), "TextInput.adjacency",
               f"expected ({B}, {N}, {N}), got {tuple(self.adjacency.shape)}")
        _check(self.roles.shape == (B, N - 1), "TextInput.roles",
               f"expected ({B}, {N - 1}), got {tuple(self.roles.shape)}")

    def word_mask(self) -> Tensor:
        steps = torch.arange(self.words.shape[1], device=self.words.device)
        return steps[None, :] < self.lengths[:, None]  # (B, L) bool


@dataclass
class ConceptTargets(_ToDevice):
    verbs: Tensor      # (B, num_verbs) float 0/1
    verb_mask: Tensor  # (B, num_verbs) float 0/1 (0 = ignored in the loss)
    nouns: Tensor      # (B, num_nouns)
    noun_mask: Tensor  # (B, num_nouns)
