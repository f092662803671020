"""HANet: Hierarchical Alignment Networks for video-text retrieval.

Wu, Zhao, Zhang, Li, Zhang, Xiao, Ng. ACM MM 2021, arXiv 2107.12059; public code
github.com/Roc-Ng/HANet on top of github.com/cshizhe/hgr_v2t. Own implementation.
Only the parameters of enabled levels (and of the concept branch when enabled) are built.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

from . import scores as S
from .config import ModelConfig, concept_terms
from .embeddings import TextEmbedding, VideoEmbedding
from .inputs import ConceptTargets, TextInput, VideoInput
from .loss import hardest_negative_hinge, masked_bce
from .text_encoder import TextEncoder
from .video_encoder import VideoEncoder


class HANet(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.video = VideoEncoder(cfg)
        self.text = TextEncoder(cfg)

    def encode_video(self, v: VideoInput) -> VideoEmbedding:
        v.check(self.cfg.ft_dim)
        return self.video(v)

    def encode_text(self, t: TextInput) -> TextEmbedding:
        t.check()
        return self.text(t)

    def similarity(self, ve: VideoEmbedding, te: TextEmbedding) -> dict[str, Tensor]:
        """Enabled score terms, each (Nv, Nt)."""
        return S.similarity_terms(self.cfg, ve, te)

    def fuse(self, terms: dict[str, Tensor]) -> Tensor:
        return S.fuse(self.cfg, terms)

    def forward(self, v: VideoInput, t: TextInput, targets: ConceptTargets | None = None) -> dict[str, Tensor]:
        """Training losses for a batch of aligned pairs (row i of v with row i of t), as the
        public ``forward_loss``: ``rank`` = hinge on the mean embedding score; with concept
        terms ``concept_rank`` = hinge on the mean concept score; with the concept branch and
        targets the four masked BCE terms (video / caption x verbs / nouns) and their sum
        ``concept_bce``; ``loss`` = rank + concept_rank_weight * concept_rank
        + concept_bce_weight * concept_bce. Scores are computed in float32 (autocast off).
        """
        cfg = self.cfg
        ve, te = self.encode_video(v), self.encode_text(t)
        with torch.autocast(v.frames.device.type, enabled=False):
            terms = self.similarity(ve.float(), te.float())
            out = {"rank": hardest_negative_hinge(S.embedding_score(cfg, terms), cfg.margin)}
            loss = out["rank"]
            if concept_terms(cfg):
                out["concept_rank"] = hardest_negative_hinge(S.concept_score(cfg, terms), cfg.margin)
                loss = loss + cfg.concept_rank_weight * out["concept_rank"]
            if cfg.concept_branch and targets is not None:
                out["bce_video_verb"] = masked_bce(ve.action_concepts, targets.verbs, targets.verb_mask)
                out["bce_video_noun"] = masked_bce(ve.entity_concepts, targets.nouns, targets.noun_mask)
                out["bce_text_verb"] = masked_bce(te.verb_concepts, targets.verbs, targets.verb_mask)
                out["bce_text_noun"] = masked_bce(te.noun_concepts, targets.nouns, targets.noun_mask)
                out["concept_bce"] = (out["bce_video_verb"] + out["bce_video_noun"] + out["bce_text_verb"]
                                      + out["bce_text_noun"])
                loss = loss + cfg.concept_bce_weight * out["concept_bce"]
        out["loss"] = loss
        return out
