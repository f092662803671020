"""Per-level similarity matrices (from videos and captions prepared once), soft Jaccard
concept scores and the fused score."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from . import native
from .config import ModelConfig, concept_terms, embedding_terms
from .embeddings import TensorBatch, TextEmbedding, VideoEmbedding
from .matching import Parts, Phrases, attention_scores, prepare_parts, prepare_phrases


def soft_jaccard(p: Tensor, q: Tensor) -> Tensor:
    """sum_c min(p_c, q_c) / sum_c max(p_c, q_c) for every pair; 0 when both are all zero.

    p (Nv, C), q (Nt, C) non-negative -> (Nv, Nt). With sum max = sum p + sum q - sum min,
    only the sum of minima is formed: under autograd from the L1 distance matrix
    (min = (p + q - |p - q|) / 2), otherwise tile by tile (a few hundred pairs at a time,
    kept in cache), which is several times faster on the CPU than cdist, or for float32 CPU
    inputs by the native kernel (``native.sum_of_minima``).
    """
    total = p.sum(-1)[:, None] + q.sum(-1)[None, :]  # (Nv, Nt)
    if torch.is_grad_enabled() and (p.requires_grad or q.requires_grad):
        l1 = torch.cdist(p[None], q[None], p=1)[0]  # (Nv, Nt)
        return ((total - l1) / (total + l1).clamp(min=1e-8)).clamp(min=0.0)
    smin = native.sum_of_minima(p.contiguous(), q.contiguous()) if native.usable(p, q) else _sum_of_minima(p, q)
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


@dataclass
class VideoSide(TensorBatch):
    """Videos prepared for scoring (once per evaluation); fields of disabled terms are None."""
    event: Optional[Tensor] = None               # (Nv, D) unit event vectors
    local_verb: Optional[Parts] = None           # action clips
    local_noun: Optional[Parts] = None           # entity parts
    individual_verb: Optional[Parts] = None      # action frames
    individual_noun: Optional[Parts] = None      # entity frames
    action_concepts: Optional[Tensor] = None     # (Nv, num_verbs)
    entity_concepts: Optional[Tensor] = None     # (Nv, num_nouns)


@dataclass
class TextSide(TensorBatch):
    """Captions prepared for scoring; slicing selects a range of captions."""
    sentence: Optional[Tensor] = None            # (Nt, D) unit sentence nodes
    local_verb: Optional[Phrases] = None         # GCN verb nodes
    local_noun: Optional[Phrases] = None         # GCN noun nodes
    individual_verb: Optional[Phrases] = None    # pooled verb phrases
    individual_noun: Optional[Phrases] = None    # pooled noun phrases
    verb_concepts: Optional[Tensor] = None       # (Nt, num_verbs)
    noun_concepts: Optional[Tensor] = None       # (Nt, num_nouns)


# phrase-attention term -> (video parts, their mask or None = every nonzero part, caption phrases, phrase mask)
PHRASE_TERMS = {
    "local_verb": ("local_action", None, "node_verb", "verb_mask"),
    "local_noun": ("local_entity", None, "node_noun", "noun_mask"),
    "individual_verb": ("frame_action", "frame_mask", "phrase_verb", "verb_mask"),
    "individual_noun": ("frame_entity", "frame_mask", "phrase_noun", "noun_mask"),
}


def _phrase_terms(cfg: ModelConfig) -> list[str]:
    return [name for name in embedding_terms(cfg) if name in PHRASE_TERMS]


def prepare_video(cfg: ModelConfig, ve: VideoEmbedding) -> VideoSide:
    out = VideoSide()
    if cfg.has("global"):
        out.event = F.normalize(ve.event, dim=-1, eps=1e-8)
    for name in _phrase_terms(cfg):
        parts, mask = PHRASE_TERMS[name][:2]
        setattr(out, name, prepare_parts(getattr(ve, parts), None if mask is None else getattr(ve, mask)))
    if concept_terms(cfg):
        out.action_concepts, out.entity_concepts = ve.action_concepts, ve.entity_concepts
    return out


def prepare_text(cfg: ModelConfig, te: TextEmbedding) -> TextSide:
    out = TextSide()
    if cfg.has("global"):
        out.sentence = F.normalize(te.sentence, dim=-1, eps=1e-8)
    for name in _phrase_terms(cfg):
        phrases, mask = PHRASE_TERMS[name][2:]
        setattr(out, name, prepare_phrases(getattr(te, phrases), getattr(te, mask)))
    if concept_terms(cfg):
        out.verb_concepts, out.noun_concepts = te.verb_concepts, te.noun_concepts
    return out


def prepared_terms(cfg: ModelConfig, vs: VideoSide, ts: TextSide) -> dict[str, Tensor]:
    """Every enabled score term as an (Nv, Nt) matrix, from prepared sides."""
    out: dict[str, Tensor] = {}
    if cfg.has("global"):
        out["global"] = vs.event @ ts.sentence.t()
    for name in _phrase_terms(cfg):  # same field names on both prepared sides
        out[name] = attention_scores(getattr(vs, name), getattr(ts, name), cfg.temperature)
    if concept_terms(cfg):
        out["concept_verb"] = soft_jaccard(vs.action_concepts, ts.verb_concepts)
        out["concept_noun"] = soft_jaccard(vs.entity_concepts, ts.noun_concepts)
    return out


def similarity_terms(cfg: ModelConfig, ve: VideoEmbedding, te: TextEmbedding) -> dict[str, Tensor]:
    """Every enabled score term as an (Nv, Nt) matrix."""
    return prepared_terms(cfg, prepare_video(cfg, ve), prepare_text(cfg, te))


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
