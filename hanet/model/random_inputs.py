"""Random, well-formed model inputs (for tests, smoke runs and benchmarks)."""
from __future__ import annotations

import torch

from .config import ModelConfig
from .inputs import ConceptTargets, TextInput, VideoInput


def random_video(cfg: ModelConfig, batch: int, gen: torch.Generator, frames: int | None = None,
                 min_frames: int = 1) -> VideoInput:
    """Videos of min_frames..F valid frames (F = frames or cfg.max_frames), zero-padded."""
    F = frames or cfg.max_frames
    lengths = torch.randint(min(min_frames, F), F + 1, (batch,), generator=gen)
    feats = torch.randn(batch, F, cfg.ft_dim, generator=gen).abs()  # ResNet-like, non-negative
    feats = feats * (torch.arange(F)[None, :] < lengths[:, None])[:, :, None]
    return VideoInput(frames=feats, lengths=lengths)


def random_text(cfg: ModelConfig, batch: int, gen: torch.Generator, words: int | None = None,
                min_words: int = 1) -> TextInput:
    """Captions of min_words..L words (L = words or cfg.max_words) with random phrases and graphs."""
    L, NV, NN = words or cfg.max_words, cfg.max_verb_nodes, cfg.max_noun_nodes
    lengths = torch.randint(min(min_words, L), L + 1, (batch,), generator=gen)
    valid = torch.arange(L)[None, :] < lengths[:, None]  # (B, L)
    ids = torch.randint(2, cfg.vocab_size, (batch, L), generator=gen) * valid
    nv = torch.randint(0, NV + 1, (batch,), generator=gen)
    nn_ = torch.randint(0, NN + 1, (batch,), generator=gen)

    def node_masks(count: torch.Tensor, slots: int) -> torch.Tensor:
        pos = (torch.rand(batch, slots, L, generator=gen) < 0.2) & valid[:, None, :]  # (B, S, L)
        first = (torch.rand(batch, slots, generator=gen) * lengths[:, None]).long()  # (B, S)
        pos = pos | torch.nn.functional.one_hot(first, L).bool()
        return pos & (torch.arange(slots)[None, :] < count[:, None])[:, :, None]

    verb_masks, noun_masks = node_masks(nv, NV), node_masks(nn_, NN)
    N = 1 + NV + NN
    verb_real, noun_real = verb_masks.any(-1), noun_masks.any(-1)
    adj = torch.zeros(batch, N, N)  # [target, source]
    adj[:, 1:1 + NV, 0] = verb_real.float()  # root -> verb
    owner = torch.randint(0, max(NV, 1), (batch, NN), generator=gen)  # verb each noun attaches to
    if NV:
        attach = torch.nn.functional.one_hot(owner, NV).float() * noun_real[:, :, None] * verb_real[:, None, :]
        adj[:, 1 + NV:, 1:1 + NV] = attach  # verb -> noun
        adj[:, 1:1 + NV, 1 + NV:] = attach.transpose(1, 2)  # noun -> verb
    adj = adj / adj.sum(-1, keepdim=True).clamp(min=1.0)  # row-normalised, as the public readers
    roles = torch.randint(0, cfg.num_roles, (batch, N - 1), generator=gen)
    return TextInput(words=ids, lengths=lengths, verb_masks=verb_masks, noun_masks=noun_masks,
                     adjacency=adj, roles=roles)


def random_targets(cfg: ModelConfig, batch: int, gen: torch.Generator) -> ConceptTargets:
    verbs = (torch.rand(batch, cfg.num_verbs, generator=gen) < 0.02).float()
    nouns = (torch.rand(batch, cfg.num_nouns, generator=gen) < 0.02).float()
    return ConceptTargets(verbs=verbs, verb_mask=(torch.rand(batch, cfg.num_verbs, generator=gen) < 0.95).float(),
                          nouns=nouns, noun_mask=(torch.rand(batch, cfg.num_nouns, generator=gen) < 0.95).float())
