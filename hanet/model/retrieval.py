"""Evaluation scoring: fused (and optionally per-term) score matrices, chunk by chunk.

On the CPU with several intra-op threads, blocks of the matrix are scored by that many
worker threads, each running single-threaded kernels: one parallel region per block instead
of one per (small, cache-sized) operation, which avoids thousands of thread barriers and
keeps throughput when the cores are shared with other processes. Every block is computed
by the same code either way, so results do not depend on the thread count.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import torch
from torch import Tensor

from .embeddings import TextEmbedding, VideoEmbedding


def _blocks(n: int, chunk: int, pieces: int) -> list[tuple[int, int]]:
    """Split range(n) into blocks of at most ``chunk``, and into at least ``pieces`` when n allows."""
    size = max(1, min(chunk, -(-n // pieces)))
    return [(a, min(a + size, n)) for a in range(0, n, size)]


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
    threads = torch.get_num_threads() if device.type == "cpu" else 1
    workers = max(1, min(threads, nv))
    # enough video blocks to keep every worker busy (about 4 per worker)
    video_blocks = _blocks(nv, video_chunk, 4 * workers if workers > 1 else 1)
    text_chunks = [(b, te[b:e].to(device)) for b, e in _blocks(nt, text_chunk, 1)]
    if terms:
        # allocate in the main thread, in a fixed order
        first = model.similarity(ve[:1].to(device), te[:1].to(device))
        per_term = {name: torch.empty(nv, nt, dtype=torch.float32) for name in first}

    def run(block: tuple[int, int]) -> None:
        a, e = block
        v_part = ve[a:e].to(device)
        for b, t_part in text_chunks:
            chunk_terms = model.similarity(v_part, t_part)
            block_scores = model.fuse(chunk_terms)  # (nv_chunk, nt_chunk)
            fused[a:e, b:b + block_scores.shape[1]] = block_scores.float().cpu()
            if terms:
                for name, mat in chunk_terms.items():
                    per_term[name][a:e, b:b + mat.shape[1]] = mat.float().cpu()

    if workers == 1:
        for block in video_blocks:
            run(block)
    else:
        def worker(block):
            torch.set_num_threads(1)  # this thread's kernels run serially
            with torch.no_grad():
                run(block)

        try:
            torch.set_num_threads(1)  # new threads take the global setting at their first parallel op
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for f in [pool.submit(worker, blk) for blk in video_blocks]:
                    f.result()
        finally:
            torch.set_num_threads(threads)
    return (fused, per_term) if terms else fused
