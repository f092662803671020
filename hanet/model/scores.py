"""Per-level similarity matrices, soft Jaccard concept scores and the fused score."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .config import ModelConfig, concept_terms, embedding_terms
from .embeddings import TextEmbedding, VideoEmbedding
from .matching import phrase_attention_scores


def cosine_matrix(a: Tensor, b: Tensor) -> Tensor:
    """a (Nv, D), b (Nt, D) -> (Nv, Nt)."""
    return F.normalize(a, dim=-1, eps=1e-8) @ F.normalize(b, dim=-1, eps=1e-8).t()


def soft_jaccard(p: Tensor, q: Tensor) -> Tensor:
    """sum_c min(p_c, q_c) / sum_c max(p_c, q_c) for every pair; 0 when both are all zero.

    p (Nv, C), q (Nt, C) non-negative -> (Nv, Nt). With sum max = sum p + sum q - sum min,
    only the sum of minima is formed: under autograd from the L1 distance matrix
    (min = (p + q - |p - q|) / 2), otherwise tile by tile (a few hundred pairs at a time,
    kept in cache), which is several times faster on the CPU than cdist.
    """
    total = p.sum(-1)[:, None] + q.sum(-1)[None, :]  # (Nv, Nt)
    if torch.is_grad_enabled() and (p.requires_grad or q.requires_grad):
        l1 = torch.cdist(p[None], q[None], p=1)[0]  # (Nv, Nt)
        return ((total - l1) / (total + l1).clamp(min=1e-8)).clamp(min=0.0)
    smin = _sum_of_minima(p, q)
    return (smin / (total - smin).clamp(min=0.5e-8)).clamp(min=0.0)


def _sum_of_minima(p: Tensor, q: Tensor, tile: int = 32) -> Tensor:
    """sum_c min(p_ic, q_jc): (Nv, C), (Nt, C) -> (Nv, Nt), in (tile x tile x C) blocks."""
    nv, nt, C = p.shape[0], q.shape[0], p.shape[1]
    out = p.new_empty(nv, nt)
    if nv == 0 or nt == 0:
        return out
    buf = p.new_empty(min(tile, nv), min(tile, nt), C)
    for i in range(0, nv, tile):
        pi = p[i:i + tile, None, :]
        for j in range(0, nt, tile):
            qj = q[None, j:j + tile, :]
            b = buf[:pi.shape[0], :qj.shape[1]]
            torch.sum(torch.minimum(pi, qj, out=b), -1, out=out[i:i + tile, j:j + tile])
    return out


def similarity_terms(cfg: ModelConfig, ve: VideoEmbedding, te: TextEmbedding) -> dict[str, Tensor]:
    """Every enabled score term as an (Nv, Nt) matrix."""
    out: dict[str, Tensor] = {}
    tau = cfg.temperature
    if cfg.has("global"):
        out["global"] = cosine_matrix(ve.event, te.sentence)
    if cfg.has("local"):
        out["local_verb"] = phrase_attention_scores(ve.local_action, None, te.node_verb, te.verb_mask, tau)
        out["local_noun"] = phrase_attention_scores(ve.local_entity, None, te.node_noun, te.noun_mask, tau)
    if cfg.has("individual"):
        out["individual_verb"] = phrase_attention_scores(ve.frame_action, ve.frame_mask, te.phrase_verb,
                                                         te.verb_mask, tau)
        out["individual_noun"] = phrase_attention_scores(ve.frame_entity, ve.frame_mask, te.phrase_noun,
                                                         te.noun_mask, tau)
    if concept_terms(cfg):
        out["concept_verb"] = soft_jaccard(ve.action_concepts, te.verb_concepts)
        out["concept_noun"] = soft_jaccard(ve.entity_concepts, te.noun_concepts)
    return out


def embedding_score(cfg: ModelConfig, terms: dict[str, Tensor]) -> Tensor:
    return torch.stack([terms[k] for k in embedding_terms(cfg)]).mean(0)


def concept_score(cfg: ModelConfig, terms: dict[str, Tensor]) -> Tensor:
    return torch.stack([terms[k] for k in concept_terms(cfg)]).mean(0)


def fuse(cfg: ModelConfig, terms: dict[str, Tensor]) -> Tensor:
    """0.5 * mean(embedding terms) + 0.5 * mean(concept terms) with concepts on, else the
    mean of the embedding terms."""
    emb = embedding_score(cfg, terms)
    if not concept_terms(cfg):
        return emb
    return 0.5 * emb + 0.5 * concept_score(cfg, terms)
