"""Evaluation scoring: fused (and optionally per-term) score matrices, block by block.

Every video is prepared for scoring once (unit vectors, packed parts, Gram matrices), and
every chunk of captions once; the matrix is then filled block by block. Videos are ordered
by their number of valid frames, so that a block pads only to its own longest video.

On the CPU with several intra-op threads, the video blocks of a caption chunk are scored by
that many worker threads, each running single-threaded kernels: one parallel region per
block instead of one per (small, cache-sized) operation, which avoids thousands of thread
barriers and keeps throughput when the cores are shared with other processes. Every block is
computed by the same code either way, so results do not depend on the thread count.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import torch
from torch import Tensor

from . import scores as S
from .embeddings import TextEmbedding, VideoEmbedding


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
    threads = torch.get_num_threads() if device.type == "cpu" else 1
    workers = max(1, min(threads, nv))
    # enough video blocks to keep every worker busy (about 4 per worker)
    video_blocks = _blocks(nv, video_chunk, 4 * workers if workers > 1 else 1)

    def run(block: tuple[int, int], captions: S.TextSide, b: int) -> None:
        a, e = block
        chunk_terms = S.prepared_terms(cfg, videos[a:e], captions)
        rows, cols = order[a:e], slice(b, b + len(captions))
        fused[rows, cols] = S.fuse(cfg, chunk_terms).float().cpu()
        for name in per_term:
            per_term[name][rows, cols] = chunk_terms[name].float().cpu()

    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        if pool is not None:
            torch.set_num_threads(1)  # new threads take the global setting at their first parallel op
        for b, e in _blocks(nt, text_chunk, 1):
            captions = S.prepare_text(cfg, te[b:e].to(device))
            if pool is None:
                for block in video_blocks:
                    run(block, captions, b)
            else:
                for f in [pool.submit(_single_threaded, run, blk, captions, b) for blk in video_blocks]:
                    f.result()
    finally:
        if pool is not None:
            pool.shutdown()
            torch.set_num_threads(threads)
    return (fused, per_term) if terms else fused


def _single_threaded(fn, *args) -> None:
    torch.set_num_threads(1)  # this worker's kernels run serially
    with torch.no_grad():
        fn(*args)
