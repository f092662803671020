"""HANet video encoder: event (global), action and entity streams, per-frame concept
classifiers and concept-selected local parts, as the public implementation computes them.

Streams (each a Linear(ft_dim -> dim) projection with dropout, over every padded row):
    event  -> attention pool over valid frames                        -> global level
    action -> concept classifier (Conv1d k=5), individual-level frames -> SE -> local action parts
    entity -> concept classifier (Conv1d k=1), individual-level frames -> SE -> local entity parts
The classifiers and the individual level see the projections BEFORE the SE block; the SE
output feeds only the local parts (public placement).
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

from .config import ModelConfig
from .embeddings import VideoEmbedding
from .inputs import VideoInput
from .layers import AttentionPool, ConceptHead, SqueezeExcite, topk_mean


def gather_rows(x: Tensor, index: Tensor) -> Tensor:
    """x (B, F, D), index (B, K) -> (B, K, D)."""
    return x.gather(1, index[:, :, None].expand(-1, -1, x.shape[2]))


def concept_peaks(probs: Tensor, concepts: Tensor, mask: Tensor) -> Tensor:
    """Per-frame probabilities of the chosen concepts, padding at -inf.

    probs (B, F, C), concepts (B, K) long, mask (B, F) -> (B, F, K)."""
    chosen = probs.gather(2, concepts[:, None, :].expand(-1, probs.shape[1], -1))  # (B, F, K)
    return chosen.masked_fill(~mask[:, :, None], float("-inf"))


def action_parts(se_out: Tensor, per_frame: Tensor, lengths: Tensor, window: int) -> Tensor:
    """Public rule: if every peak of the video lies in [window, len - 1 - window], each part is
    the mean of the SE output over peak +- window; otherwise each part is its peak frame.

    se_out (B, F, D), per_frame (B, F, K) -> (B, K, D)."""
    peak = per_frame.argmax(1)  # (B, K)
    single = gather_rows(se_out, peak)  # (B, K, D)
    if window == 0:
        return single
    inside = (peak.amin(1) >= window) & (peak.amax(1) + window < lengths)  # (B,)
    offsets = torch.arange(-window, window + 1, device=peak.device)  # (W,)
    idx = (peak[:, :, None] + offsets).clamp(0, se_out.shape[1] - 1)  # (B, K, W)
    windows = gather_rows(se_out, idx.flatten(1)).view(*idx.shape, -1).mean(2)  # (B, K, D)
    return torch.where(inside[:, None, None], windows, single)


def entity_parts(se_out: Tensor, per_frame: Tensor, lengths: Tensor, frames: int) -> Tensor:
    """Public rule: the mean of the SE output at the concept's ``frames`` best frames when the
    video has at least that many frames, else at its peak frame.

    se_out (B, F, D), per_frame (B, F, K) -> (B, K, D)."""
    single = gather_rows(se_out, per_frame.argmax(1))  # (B, K, D)
    if frames > per_frame.shape[1]:  # every video of the batch is shorter
        return single
    best = per_frame.topk(frames, dim=1).indices.transpose(1, 2)  # (B, K, frames)
    mean = gather_rows(se_out, best.flatten(1)).view(*best.shape, -1).mean(2)  # (B, K, D)
    return torch.where((lengths >= frames)[:, None, None], mean, single)


def uniform_parts(x: Tensor, mask: Tensor, lengths: Tensor, parts: int, half: int) -> Tensor:
    """Fallback without concepts: the mean of the valid frames within +-half of the centre of
    each of ``parts`` equal segments. x (B, F, D) -> (B, parts, D)."""
    k = torch.arange(parts, device=x.device, dtype=torch.float32)
    centres = torch.round((k[None, :] + 0.5) * lengths[:, None].float() / parts - 0.5).clamp(min=0)  # (B, K)
    steps = torch.arange(x.shape[1], device=x.device, dtype=torch.float32)
    weights = ((steps[None, None, :] - centres[:, :, None]).abs() <= half) & mask[:, None, :]  # (B, K, F)
    weights = weights.to(x.dtype)
    return (weights / weights.sum(-1, keepdim=True).clamp(min=1.0)) @ x  # (B, K, D)


class VideoEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.dropout = nn.Dropout(cfg.dropout)
        if cfg.has("global"):
            self.event_proj = nn.Linear(cfg.ft_dim, cfg.dim)
            self.event_pool = AttentionPool(cfg.dim)
        if cfg.needs_parts:
            self.action_proj = nn.Linear(cfg.ft_dim, cfg.dim)
            self.entity_proj = nn.Linear(cfg.ft_dim, cfg.dim)
        if cfg.has("local"):
            self.action_se = SqueezeExcite(cfg.dim, cfg.se_reduction)
            self.entity_se = SqueezeExcite(cfg.dim, cfg.se_reduction)
        if cfg.concept_branch:
            self.action_head = ConceptHead(cfg.dim, cfg.num_verbs, kernel=5)
            self.entity_head = ConceptHead(cfg.dim, cfg.num_nouns, kernel=1)

    def forward(self, v: VideoInput) -> VideoEmbedding:
        cfg = self.cfg
        mask = v.mask()  # (B, F)
        out = VideoEmbedding()
        if cfg.has("global"):
            out.event = self.event_pool(self.dropout(self.event_proj(v.frames)), mask)  # (B, D)
        if not cfg.needs_parts:
            return out
        action = self.dropout(self.action_proj(v.frames))  # (B, F, D), padded rows = bias
        entity = self.dropout(self.entity_proj(v.frames))  # (B, F, D)
        if cfg.concept_branch:
            out.action_probs = self.action_head(action)  # (B, F, V)
            out.entity_probs = self.entity_head(entity)  # (B, F, N)
            out.action_concepts = topk_mean(out.action_probs, mask)  # (B, V)
            out.entity_concepts = topk_mean(out.entity_probs, mask)  # (B, N)
        if cfg.has("individual"):
            out.frame_action, out.frame_entity, out.frame_mask = action, entity, mask
        if cfg.has("local"):
            out.local_action, out.local_entity = self._local_parts(
                self.action_se(action), self.entity_se(entity), mask, v.lengths, out)
        return out

    def _local_parts(self, action: Tensor, entity: Tensor, mask: Tensor, lengths: Tensor,
                     emb: VideoEmbedding) -> tuple[Tensor, Tensor]:
        """SE outputs (B, F, D) -> action parts (B, Ka, D), entity parts (B, Ke, D)."""
        cfg = self.cfg
        if not cfg.concept_branch:  # the project's fallback (documented in ModelConfig)
            return (uniform_parts(action, mask, lengths, cfg.top_actions, cfg.action_window),
                    uniform_parts(entity, mask, lengths, cfg.top_entities, cfg.entity_frames // 2))
        top_a = emb.action_concepts.topk(min(cfg.top_actions, cfg.num_verbs), dim=1).indices  # (B, Ka)
        top_e = emb.entity_concepts.topk(min(cfg.top_entities, cfg.num_nouns), dim=1).indices  # (B, Ke)
        return (action_parts(action, concept_peaks(emb.action_probs, top_a, mask), lengths, cfg.action_window),
                entity_parts(entity, concept_peaks(emb.entity_probs, top_e, mask), lengths, cfg.entity_frames))
