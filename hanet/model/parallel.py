"""Coarse-grained CPU parallelism for inference: one single-threaded worker per core.

Evaluation work comes in independent pieces (a batch of captions to encode, a block of the
score matrix). Giving each of ``torch.get_num_threads()`` worker threads whole pieces, with
single-threaded kernels, replaces thousands of short parallel regions (and their thread
barriers) by one per piece: faster on 2 cores than intra-op threading (measured by
benchmarks/bench_choices.py), and it degrades gracefully when the cores are shared. Each piece is computed by the same code
whatever the number of workers.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

import torch

T = TypeVar("T")
R = TypeVar("R")


def cpu_workers(device: torch.device, pieces: int) -> int:
    """Number of workers for ``pieces`` independent pieces of work on ``device``."""
    return max(1, min(torch.get_num_threads(), pieces)) if device.type == "cpu" else 1


def map_pieces(fn: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    """[fn(item) for item in items] without autograd, by ``workers`` single-threaded workers
    (in order; serially in this thread when workers <= 1)."""
    items = list(items)
    if workers <= 1:
        with torch.no_grad():
            return [fn(item) for item in items]
    threads = torch.get_num_threads()

    def run(item: T) -> R:
        torch.set_num_threads(1)  # this worker's kernels run serially
        with torch.no_grad():  # grad mode is per thread
            return fn(item)

    torch.set_num_threads(1)  # new threads take the global setting at their first parallel op
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(run, items))
    finally:
        torch.set_num_threads(threads)
