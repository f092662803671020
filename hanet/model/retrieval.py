"""Evaluation scoring: fused (and optionally per-term) score matrices, block by block.

Every video is prepared for scoring once (unit vectors, packed parts, Gram matrices), and
every chunk of captions once; the matrix is then filled block by block. Videos are ordered
by their number of valid frames, so that a block pads only to its own longest video.

On the CPU with several threads, the video blocks of a caption chunk are scored by
single-threaded workers (``parallel.map_pieces``), so results do not depend on the thread
count.
"""
from __future__ import annotations

from functools import partial

import torch
from torch import Tensor

from . import scores as S
from .embeddings import TextEmbedding, VideoEmbedding
from .parallel import cpu_workers, map_pieces


def _blocks(n: int, chunk: int, pieces: int) -> list[tuple[int, int]]:
    """Split range(n) into blocks of at most ``chunk``, and into at least ``pieces`` when n allows."""
    size = max(1, min(chunk, -(-n // pieces)))
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def score_matrix(model, ve: VideoEmbedding, te: TextEmbedding, video_chunk: int = 256, text_chunk: int = 2048,
                 terms: bool = False) -> Tensor | tuple[Tensor, dict[str, Tensor]]:
    """Fused scores (Nv, Nt) as CPU float32; with ``terms=True`` also {term: (Nv, Nt)}.

    Embeddings may live on any device and come from bf16 autocast; they are scored on the
    model's device in float32, with autocast off.
    """
    if video_chunk < 1 or text_chunk < 1:
        raise ValueError("score_matrix: chunk sizes must be >= 1")
    device = next(model.parameters()).device
    with torch.no_grad(), torch.autocast(device.type, enabled=False):
        return _score_matrix(model.cfg, device, ve.float(), te.float(), video_chunk, text_chunk, terms)


def _score_matrix(cfg, device, ve: VideoEmbedding, te: TextEmbedding, video_chunk: int, text_chunk: int,
                  terms: bool):
    nv, nt = len(ve), len(te)
    fused = torch.empty(nv, nt, dtype=torch.float32)
    names = S.embedding_terms(cfg) + S.concept_terms(cfg)
    per_term = {name: torch.empty(nv, nt, dtype=torch.float32) for name in names} if terms else {}
    if nv == 0 or nt == 0:
        return (fused, per_term) if terms else fused

    # videos with the most valid frames first (blocks then pad little); rows go back at the end
    order = (torch.argsort(ve.frame_mask.sum(1), descending=True, stable=True) if ve.frame_mask is not None
             else torch.arange(nv))
    videos = S.prepare_video(cfg, ve[order].to(device))
    workers = cpu_workers(device, nv)
    # enough video blocks to keep every worker busy (about 4 per worker)
    video_blocks = _blocks(nv, video_chunk, 4 * workers if workers > 1 else 1)

    def run(captions: S.TextSide, cols: slice, block: tuple[int, int]) -> None:
        v0, v1 = block
        chunk_terms = S.prepared_terms(cfg, videos[v0:v1], captions)
        rows = order[v0:v1]
        fused[rows, cols] = S.fuse(cfg, chunk_terms).float().cpu()
        for name in per_term:
            per_term[name][rows, cols] = chunk_terms[name].float().cpu()

    for b, e in _blocks(nt, text_chunk, 1):
        map_pieces(partial(run, S.prepare_text(cfg, te[b:e].to(device)), slice(b, e)), video_blocks, workers)
    return (fused, per_term) if terms else fused

