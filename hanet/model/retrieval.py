"""Evaluation scoring: the fused (and optionally per-term) score matrix, block by block.

Every video and caption is encoded once; the matrix is then filled by ``scores.similarity_terms``
(the training code's score terms) on blocks of videos x captions, in float32 with autocast off.
"""
from __future__ import annotations

import torch
from torch import Tensor

from . import scores as S
from .embeddings import TextEmbedding, VideoEmbedding


def score_matrix(model, ve: VideoEmbedding, te: TextEmbedding, video_chunk: int = 256, text_chunk: int = 2048,
                 terms: bool = False) -> Tensor | tuple[Tensor, dict[str, Tensor]]:
    """Fused scores (Nv, Nt) as CPU float32; with ``terms=True`` also {term: (Nv, Nt)}.

    Embeddings may live on any device and come from bf16 autocast; they are scored on the
    model's device in float32.
    """
    if video_chunk < 1 or text_chunk < 1:
        raise ValueError("score_matrix: chunk sizes must be >= 1")
    cfg = model.cfg
    device = next(model.parameters()).device
    nv, nt = len(ve), len(te)
    fused = torch.empty(nv, nt, dtype=torch.float32)
    names = S.embedding_terms(cfg) + S.concept_terms(cfg)
    per_term = {name: torch.empty(nv, nt, dtype=torch.float32) for name in names} if terms else {}
    with torch.no_grad(), torch.autocast(device.type, enabled=False):
        for t0 in range(0, nt, text_chunk):
            captions = te[t0:t0 + text_chunk].to(device).float()
            for v0 in range(0, nv, video_chunk):
                block = S.similarity_terms(cfg, ve[v0:v0 + video_chunk].to(device).float(), captions)
                rows, cols = slice(v0, v0 + video_chunk), slice(t0, t0 + text_chunk)
                fused[rows, cols] = S.fuse(cfg, block).cpu()
                for name in per_term:
                    per_term[name][rows, cols] = block[name].cpu()
    return (fused, per_term) if terms else fused
