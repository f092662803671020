"""HANet text encoder: word embeddings, BiGRU (fwd/bwd averaged), attention-pooled
sentence vector, max-pooled verb / noun phrases, role embeddings, one attention-GCN
layer over [sentence, verbs, nouns], and word-level concept classifiers.

Follows Wu et al., ACM MM 2021 / github.com/Roc-Ng/HANet and HGR (github.com/cshizhe/hgr_v2t).
"""
from __future__ import annotations

import math
from contextlib import contextmanager

import torch
import torch.nn as nn
from torch import Tensor

from .config import ModelConfig
from .embeddings import TextEmbedding
from .gru import gru_states, input_table
from .inputs import TextInput
from .layers import AttentionPool, Dropout, MaskedConceptHead, masked_softmax, topk_mean


def phrase_pool(states: Tensor, masks: Tensor) -> Tensor:
    """Max-pool word states under each phrase mask; empty phrases give 0.

    states (B, L, D), masks (B, P, L) bool -> (B, P, D). Only the (phrase, word) pairs in
    the masks are visited: their word rows are gathered and reduced per phrase (amax).
    """
    B, P, L = masks.shape
    D = states.shape[2]
    b, p, w = masks.nonzero(as_tuple=True)  # (nnz,) each
    rows = states[b, w]  # (nnz, D)
    out = torch.zeros(B * P, D, dtype=states.dtype, device=states.device)
    index = (b * P + p)[:, None].expand(-1, D)  # (nnz, D)
    out = out.scatter_reduce(0, index, rows, "amax", include_self=False)  # untouched rows stay 0
    return out.view(B, P, D)


class AttentionGCN(nn.Module):
    """One graph layer: node i attends (scaled dot product) to j where adjacency[i, j] = 1
    or j = i (self loops added), restricted to real nodes; the softmax plays the role of the
    row-normalised adjacency. Residual + dropout + LayerNorm. Query, key and value are
    computed for the real nodes only (a padded node attends to itself with value 0)."""

    def __init__(self, dim: int, dropout: float):
        super().__init__()
        self.query = nn.Linear(dim, dim, bias=False)
        self.key = nn.Linear(dim, dim, bias=False)
        self.value = nn.Linear(dim, dim, bias=False)
        self.dropout = Dropout(dropout)
        self.norm = nn.LayerNorm(dim)

    def forward(self, nodes: Tensor, adjacency: Tensor, real: Tensor) -> Tensor:
        # nodes (B, N, D), adjacency (B, N, N), real (B, N) bool
        eye = torch.eye(nodes.shape[1], dtype=torch.bool, device=nodes.device)
        allowed = ((adjacency > 0) & real[:, None, :] & real[:, :, None]) | eye  # (B, N, N)
        index = real.nonzero(as_tuple=True)  # projections of the real nodes only (padding stays 0)
        rows = nodes[index]  # (n_real, D)

        def project(layer: nn.Linear) -> Tensor:
            projected = layer(rows)  # (n_real, D), bf16 under autocast
            out = projected.new_zeros(nodes.shape)
            out[index] = projected
            return out  # (B, N, D)

        logits = project(self.query) @ project(self.key).transpose(1, 2) / math.sqrt(nodes.shape[2])  # (B, N, N)
        context = masked_softmax(logits, allowed, dim=2) @ project(self.value)  # (B, N, D)
        return self.norm(nodes + self.dropout(context))


class TextEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.vocab_size < 2:
            raise ValueError("model.vocab_size must be set from the vocabulary (>= 2) before building HANet")
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.word_dim, padding_idx=0)
        # Bidirectional GRU as two one-direction modules (their weights, run by gru_states
        # over the valid words only; the backward one reads each caption reversed).
        self.gru_fwd = nn.GRU(cfg.word_dim, cfg.dim, batch_first=True)
        self.gru_bwd = nn.GRU(cfg.word_dim, cfg.dim, batch_first=True)
        self._tables: tuple[Tensor, Tensor] | None = None  # see word_input_tables
        if cfg.has("global"):
            self.sentence_pool = AttentionPool(cfg.dim)
        if cfg.has("global") or cfg.has("local"):
            self.role_embed = nn.Embedding(cfg.num_roles, cfg.dim)
            self.gcn = AttentionGCN(cfg.dim, cfg.gcn_dropout)
        if cfg.concept_branch:
            self.verb_head = MaskedConceptHead(cfg.dim, cfg.num_verbs, kernel=1)
            self.noun_head = MaskedConceptHead(cfg.dim, cfg.num_nouns, kernel=1)

    @contextmanager
    def word_input_tables(self):
        """Within the block, encodings without autograd look up every word's GRU input
        projection in a (vocab, 3D) table per direction, computed once on entry (worth it
        when encoding more words than the vocabulary holds, as a whole evaluation does)."""
        with torch.no_grad():
            self._tables = (input_table(self.gru_fwd, self.embed.weight), input_table(self.gru_bwd, self.embed.weight))
        try:
            yield
        finally:
            self._tables = None

    def word_states(self, t: TextInput) -> Tensor:
        use_tables = self._tables is not None and not torch.is_grad_enabled()
        x = t.words if use_tables else self.embed(t.words)  # word ids (B, L) with tables, else (B, L, W)
        table_fwd, table_bwd = self._tables if use_tables else (None, None)
        fwd = gru_states(self.gru_fwd, x, t.lengths, table=table_fwd)  # (B, L, D), zeros at padding
        bwd = gru_states(self.gru_bwd, x, t.lengths, reverse=True, table=table_bwd)  # (B, L, D)
        return 0.5 * (fwd + bwd)  # (B, L, D)

    def forward(self, t: TextInput) -> TextEmbedding:
        cfg = self.cfg
        mask = t.word_mask()  # (B, L)
        states = self.word_states(t)  # (B, L, D)
        out = TextEmbedding()
        if cfg.concept_branch:
            out.verb_concepts = topk_mean(self.verb_head(states, mask), mask)  # (B, V)
            out.noun_concepts = topk_mean(self.noun_head(states, mask), mask)  # (B, N)
        if not (cfg.needs_phrases or cfg.has("global")):
            return out
        NV = t.verb_masks.shape[1]
        verb_real, noun_real = t.verb_masks.any(-1), t.noun_masks.any(-1)  # (B, NV), (B, NN)
        verbs = phrase_pool(states, t.verb_masks)  # (B, NV, D)
        nouns = phrase_pool(states, t.noun_masks)  # (B, NN, D)
        out.verb_mask, out.noun_mask = verb_real, noun_real
        if cfg.has("individual"):
            out.phrase_verb, out.phrase_noun = verbs, nouns
        if cfg.has("global") or cfg.has("local"):
            root = (self.sentence_pool(states, mask) if cfg.has("global")
                    else states.sum(1) / t.lengths[:, None].to(states.dtype))  # (B, D)
            roles = self.role_embed(t.roles[:, 1:].clamp(0, cfg.num_roles - 1))  # (B, NV+NN, D)
            phrases = torch.cat([verbs, nouns], 1) * roles  # (B, NV+NN, D)
            nodes = torch.cat([root[:, None, :], phrases], 1)  # (B, N, D)
            real = torch.cat([torch.ones_like(verb_real[:, :1]), verb_real, noun_real], 1)  # (B, N)
            nodes = self.gcn(nodes, t.adjacency, real)  # (B, N, D)
            if cfg.has("global"):
                out.sentence = nodes[:, 0]
            if cfg.has("local"):
                out.node_verb, out.node_noun = nodes[:, 1:1 + NV], nodes[:, 1 + NV:]
        return out
