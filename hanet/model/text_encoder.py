"""HANet text encoder, as the public implementation computes it.

words -> embedding -> dropout -> BiGRU (packed; the two directions averaged) -> word states
word states -> attention pool -> sentence vector (the graph's root node)
word states -> concept classifiers (Conv1d k=1 + BatchNorm + sigmoid) -> top-k mean -> concepts
word states -> max-pool under each phrase mask -> verb / noun phrases  (individual level)
phrases x role embeddings, with the root -> attention GCN -> nodes     (local level; root: global)
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .config import ModelConfig
from .embeddings import TextEmbedding
from .gcn import AttentionGCN
from .inputs import TextInput
from .layers import AttentionPool, ConceptHead, sequence_mask, topk_mean


def phrase_pool(states: Tensor, masks: Tensor) -> Tensor:
    """Max-pool word states under each phrase mask; empty phrases give 0 (the public code
    gives -1e10 there; those slots are masked out of every score either way).

    states (B, L, D), masks (B, P, L) bool -> (B, P, D). Only the (phrase, word) pairs in
    the masks are visited: their word rows are gathered and reduced per phrase (amax).
    """
    B, P, L = masks.shape
    D = states.shape[2]
    b, p, w = masks.nonzero(as_tuple=True)  # (nnz,) each
    index = (b * P + p)[:, None].expand(-1, D)  # (nnz, D)
    out = states.new_zeros(B * P, D)
    return out.scatter_reduce(0, index, states[b, w], "amax", include_self=False).view(B, P, D)


def phrase_slots(masks: Tensor) -> Tensor:
    """Public rule: a caption's first n phrase slots are real, n = its number of non-empty
    phrase masks. masks (B, P, L) -> (B, P) bool."""
    return sequence_mask(masks.any(-1).sum(1), masks.shape[1])


class TextEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.vocab_size < 2:
            raise ValueError("model.vocab_size must be set from the vocabulary (>= 2) before building HANet")
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.word_dim)
        self.dropout = nn.Dropout(cfg.word_dropout)
        self.gru = nn.GRU(cfg.word_dim, cfg.dim, batch_first=True, bidirectional=True)
        if cfg.has("global") or cfg.has("local"):
            self.sentence_pool = AttentionPool(cfg.dim)
            self.gcn = AttentionGCN(cfg.dim, cfg.gcn_dropout, edges=cfg.has("local"))
        if cfg.has("local"):
            self.role_embed = nn.Embedding(cfg.num_roles, cfg.dim)
        if cfg.concept_branch:
            self.verb_head = ConceptHead(cfg.dim, cfg.num_verbs, kernel=1)
            self.noun_head = ConceptHead(cfg.dim, cfg.num_nouns, kernel=1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Public initialisation: embeddings uniform in +-1/sqrt(word_dim), GRU weights
        orthogonal, GRU biases 0."""
        bound = self.cfg.word_dim ** -0.5
        nn.init.uniform_(self.embed.weight, -bound, bound)
        for name, p in self.gru.named_parameters():
            nn.init.orthogonal_(p) if name.startswith("weight") else nn.init.zeros_(p)

    def word_states(self, t: TextInput) -> Tensor:
        """(B, L) word ids -> (B, L, D) states, 0 on padding."""
        x = self.dropout(self.embed(t.words))  # (B, L, W)
        packed = pack_padded_sequence(x, t.lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True, total_length=t.words.shape[1])
        fwd, bwd = out.chunk(2, dim=2)  # (B, L, D) each
        return (fwd + bwd) / 2

    def forward(self, t: TextInput) -> TextEmbedding:
        cfg = self.cfg
        mask = t.word_mask()  # (B, L)
        states = self.word_states(t)  # (B, L, D)
        out = TextEmbedding()
        if cfg.concept_branch:
            out.verb_concepts = topk_mean(self.verb_head(states), mask)  # (B, V)
            out.noun_concepts = topk_mean(self.noun_head(states), mask)  # (B, N)
        if cfg.needs_parts:
            verbs = phrase_pool(states, t.verb_masks)  # (B, NV, D)
            nouns = phrase_pool(states, t.noun_masks)  # (B, NN, D)
            out.verb_mask, out.noun_mask = phrase_slots(t.verb_masks), phrase_slots(t.noun_masks)
        if cfg.has("individual"):
            out.phrase_verb, out.phrase_noun = verbs, nouns
        if not (cfg.has("global") or cfg.has("local")):
            return out
        root = self.sentence_pool(states, mask)[:, None, :]  # (B, 1, D)
        if not cfg.has("local"):
            out.sentence = self.gcn(root)[:, 0]  # the root has no incoming edges: LayerNorm only
            return out
        NV = verbs.shape[1]
        roles = self.role_embed(t.roles)  # (B, NV+NN, D)
        nodes = torch.cat([root, torch.cat([verbs, nouns], 1) * roles], 1)  # (B, 1+NV+NN, D)
        nodes = self.gcn(nodes, t.adjacency)  # (B, 1+NV+NN, D)
        out.node_verb, out.node_noun = nodes[:, 1:1 + NV], nodes[:, 1 + NV:]
        if cfg.has("global"):
            out.sentence = nodes[:, 0]
        return out
