"""Score terms, each written once and used by training, validation and test alike.

public name   term             video side                          caption side
sent          global           attention-pooled event vector       GCN sentence node      (cosine)
verb / noun   local_*          concept-selected action / entity    GCN verb / noun nodes  (phrase attention)
ind_verb/noun individual_*     action / entity frames (pre-SE)     pooled phrases         (phrase attention, valid frames)
concept_*     concept_*        video concept vector                caption concept vector (soft Jaccard)

Fused score: 0.5 * mean(embedding terms) + 0.5 * mean(concept terms), or the mean of the
embedding terms when no concept term is enabled.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .config import ModelConfig, concept_terms, embedding_terms
from .embeddings import TextEmbedding, VideoEmbedding
from .matching import phrase_attention, unit

# phrase-attention term -> (video parts, their mask or None = all valid, caption phrases, phrase mask)
PHRASE_TERMS = {
    "local_verb": ("local_action", None, "node_verb", "verb_mask"),
    "local_noun": ("local_entity", None, "node_noun", "noun_mask"),
    "individual_verb": ("frame_action", "frame_mask", "phrase_verb", "verb_mask"),
    "individual_noun": ("frame_entity", "frame_mask", "phrase_noun", "noun_mask"),
}
JACCARD_TILE = (32, 64)  # videos x captions per block of soft_jaccard's minima (kept in cache)


def soft_jaccard(p: Tensor, q: Tensor) -> Tensor:
    """sum_c min(p_c, q_c) / sum_c max(p_c, q_c) for every pair (public ``jaccard_sim``).

    p (Nv, C), q (Nt, C) non-negative -> (Nv, Nt). The union is sum p + sum q - sum min;
    the minima are summed tile by tile, which keeps each (a, b, C) block in cache."""
    a, b = JACCARD_TILE
    nv, nt = p.shape[0], q.shape[0]
    if nv == 0 or nt == 0:
        return p.new_zeros(nv, nt)
    total = p.sum(-1)[:, None] + q.sum(-1)[None, :]  # (Nv, Nt)
    smin = torch.cat([torch.cat([torch.minimum(p[i:i + a, None, :], q[None, j:j + b, :]).sum(-1)
                                 for j in range(0, nt, b)], 1) for i in range(0, nv, a)], 0)  # (Nv, Nt)
    return smin / (total - smin)


def similarity_terms(cfg: ModelConfig, ve: VideoEmbedding, te: TextEmbedding) -> dict[str, Tensor]:
    """Every enabled score term as an (Nv, Nt) matrix."""
    out: dict[str, Tensor] = {}
    for name in embedding_terms(cfg):
        if name == "global":
            out[name] = unit(ve.event) @ unit(te.sentence).t()
            continue
        parts, part_mask, phrases, phrase_mask = PHRASE_TERMS[name]
        out[name] = phrase_attention(getattr(ve, parts), None if part_mask is None else getattr(ve, part_mask),
                                     getattr(te, phrases), getattr(te, phrase_mask), cfg.temperature)
    if concept_terms(cfg):
        out["concept_verb"] = soft_jaccard(ve.action_concepts, te.verb_concepts)
        out["concept_noun"] = soft_jaccard(ve.entity_concepts, te.noun_concepts)
    return out


def embedding_score(cfg: ModelConfig, terms: dict[str, Tensor]) -> Tensor:
    return torch.stack([terms[k] for k in embedding_terms(cfg)]).mean(0)


def concept_score(cfg: ModelConfig, terms: dict[str, Tensor]) -> Tensor:
    return torch.stack([terms[k] for k in concept_terms(cfg)]).mean(0)


def fuse(cfg: ModelConfig, terms: dict[str, Tensor]) -> Tensor:
    """0.5 * mean(embedding terms) + 0.5 * mean(concept terms) with concept terms, else the
    mean of the embedding terms."""
    emb = embedding_score(cfg, terms)
    if not concept_terms(cfg):
        return emb
    return 0.5 * emb + 0.5 * concept_score(cfg, terms)
