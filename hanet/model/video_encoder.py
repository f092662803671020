"""HANet video encoder: event (global), action and entity streams (individual / local),
per-frame concept classifiers and concept-guided clip selection.

Follows Wu et al., ACM MM 2021 and github.com/Roc-Ng/HANet (own code).
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

from .config import ModelConfig
from .embeddings import VideoEmbedding
from .inputs import VideoInput
from .layers import AttentionPool, Dropout, MaskedConceptHead, SqueezeExcite, topk_mean


def window_means(x: Tensor, mask: Tensor, half: int) -> Tensor:
    """Mean of x over valid frames within +-half of every frame: (B, F, D) -> (B, F, D)."""
    steps = torch.arange(x.shape[1], device=x.device)
    band = ((steps[:, None] - steps[None, :]).abs() <= half).to(x.dtype)  # (F, F)
    weights = band[None] * mask[:, None, :].to(x.dtype)  # (B, F, F)
    weights = weights / weights.sum(-1, keepdim=True).clamp(min=1.0)
    return weights @ x  # (B, F, D)


def uniform_centres(lengths: Tensor, parts: int) -> Tensor:
    """Frame index at the centre of each of ``parts`` equal segments of every video: (B, parts)."""
    k = torch.arange(parts, device=lengths.device, dtype=torch.float32)
    centres = torch.round((k[None, :] + 0.5) * lengths[:, None].float() / parts - 0.5)
    return centres.clamp(min=0).long()


def gather_rows(x: Tensor, index: Tensor) -> Tensor:
    """x (B, F, D), index (B, K) -> (B, K, D)."""
    return x.gather(1, index[:, :, None].expand(-1, -1, x.shape[2]))


class VideoEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.dropout = Dropout(cfg.dropout)
        if cfg.has("global"):
            self.event_proj = nn.Linear(cfg.ft_dim, cfg.dim)
            self.event_pool = AttentionPool(cfg.dim)
        if cfg.needs_parts:
            self.action_proj = nn.Linear(cfg.ft_dim, cfg.dim)
            self.entity_proj = nn.Linear(cfg.ft_dim, cfg.dim)
            self.action_se = SqueezeExcite(cfg.dim, cfg.se_reduction)
            self.entity_se = SqueezeExcite(cfg.dim, cfg.se_reduction)
        if cfg.concept_branch:
            self.action_head = MaskedConceptHead(cfg.dim, cfg.num_verbs, kernel=5)
            self.entity_head = MaskedConceptHead(cfg.dim, cfg.num_nouns, kernel=1)

    def _stream(self, proj: nn.Linear, se: SqueezeExcite, frames: Tensor, mask: Tensor) -> Tensor:
        x = self.dropout(proj(frames)) * mask[:, :, None]  # (B, F, D), zero on padding
        return se(x, mask)

    def forward(self, v: VideoInput) -> VideoEmbedding:
        cfg = self.cfg
        mask = v.mask()  # (B, F)
        out = VideoEmbedding()
        if cfg.has("global"):
            events = self.dropout(self.event_proj(v.frames))  # (B, F, D)
            out.event = self.event_pool(events, mask)  # (B, D)
        if not cfg.needs_parts:
            return out
        action = self._stream(self.action_proj, self.action_se, v.frames, mask)  # (B, F, D)
        entity = self._stream(self.entity_proj, self.entity_se, v.frames, mask)  # (B, F, D)
        if cfg.concept_branch:
            out.action_probs = self.action_head(action, mask)  # (B, F, V)
            out.entity_probs = self.entity_head(entity, mask)  # (B, F, N)
            out.action_concepts = topk_mean(out.action_probs, mask)  # (B, V)
            out.entity_concepts = topk_mean(out.entity_probs, mask)  # (B, N)
        if cfg.has("individual"):
            out.frame_action, out.frame_entity, out.frame_mask = action, entity, mask
        if cfg.has("local"):
            out.local_action, out.local_entity = self._local_parts(action, entity, mask, v.lengths, out)
        return out

    def _local_parts(self, action: Tensor, entity: Tensor, mask: Tensor, lengths: Tensor,
                     emb: VideoEmbedding) -> tuple[Tensor, Tensor]:
        cfg = self.cfg
        action_clips = window_means(action, mask, cfg.action_window)  # (B, F, D)
        if not cfg.concept_branch:  # fixed uniform windows (documented in ModelConfig)
            entity_clips = window_means(entity, mask, cfg.entity_frames // 2)  # (B, F, D)
            return (gather_rows(action_clips, uniform_centres(lengths, cfg.top_actions)),
                    gather_rows(entity_clips, uniform_centres(lengths, cfg.top_entities)))
        # Actions: top concepts of the video, each at the frame where it peaks.
        ka = min(cfg.top_actions, cfg.num_verbs)
        top_a = emb.action_concepts.topk(ka, dim=1).indices  # (B, Ka)
        probs_a = emb.action_probs.masked_fill(~mask[:, :, None], -1.0)  # (B, F, V)
        peak = probs_a.gather(2, top_a[:, None, :].expand(-1, probs_a.shape[1], -1)).argmax(1)  # (B, Ka)
        local_action = gather_rows(action_clips, peak)  # (B, Ka, D)
        # Entities: top concepts, each the mean of its best frames.
        ke = min(cfg.top_entities, cfg.num_nouns)
        top_e = emb.entity_concepts.topk(ke, dim=1).indices  # (B, Ke)
        probs_e = emb.entity_probs.masked_fill(~mask[:, :, None], -1.0)  # (B, F, N)
        per_concept = probs_e.gather(2, top_e[:, None, :].expand(-1, probs_e.shape[1], -1))  # (B, F, Ke)
        nf = min(cfg.entity_frames, probs_e.shape[1])
        best = per_concept.topk(nf, dim=1).indices.transpose(1, 2)  # (B, Ke, nf)
        pick = torch.zeros(best.shape[0], ke, probs_e.shape[1], device=action.device, dtype=action.dtype)
        pick.scatter_(2, best, 1.0)  # (B, Ke, F)
        pick = pick * mask[:, None, :].to(pick.dtype)  # videos shorter than nf: valid frames only
        pick = pick / pick.sum(-1, keepdim=True).clamp(min=1.0)
        local_entity = pick @ entity  # (B, Ke, D)
        return local_action, local_entity
