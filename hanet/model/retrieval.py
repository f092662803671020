"""Evaluation scoring: fused (and optionally per-term) score matrices, chunk by chunk."""
from __future__ import annotations

import torch
from torch import Tensor

from .embeddings import TextEmbedding, VideoEmbedding


@torch.no_grad()
def score_matrix(model, ve: VideoEmbedding, te: TextEmbedding, video_chunk: int = 256, text_chunk: int = 2048,
                 terms: bool = False) -> Tensor | tuple[Tensor, dict[str, Tensor]]:
    """Fused scores (Nv, Nt) as CPU float32; with ``terms=True`` also {term: (Nv, Nt)}.

    Embeddings may live on any device; each chunk is scored on the model's device.
    """
    if video_chunk < 1 or text_chunk < 1:
        raise ValueError("score_matrix: chunk sizes must be >= 1")
    device = next(model.parameters()).device
    nv, nt = len(ve), len(te)
    fused = torch.empty(nv, nt, dtype=torch.float32)
    per_term: dict[str, Tensor] = {}
    text_chunks = [(b, te[b:b + text_chunk].to(device)) for b in range(0, nt, text_chunk)]
    for a in range(0, nv, video_chunk):
        v_part = ve[a:a + video_chunk].to(device)
        for b, t_part in text_chunks:
            chunk_terms = model.similarity(v_part, t_part)
            block = model.fuse(chunk_terms)  # (nv_chunk, nt_chunk)
            fused[a:a + block.shape[0], b:b + block.shape[1]] = block.float().cpu()
            if terms:
                for name, mat in chunk_terms.items():
                    if name not in per_term:
                        per_term[name] = torch.empty(nv, nt, dtype=torch.float32)
                    per_term[name][a:a + mat.shape[0], b:b + mat.shape[1]] = mat.float().cpu()
    return (fused, per_term) if terms else fused
