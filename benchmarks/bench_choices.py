"""Side-by-side timings behind the speed choices of docs/performance.md, in one run.

Usage: python benchmarks/bench_choices.py --threads 2 [--rounds 5]

Each line times two ways of computing the same thing, alternating A and B for ``--rounds``
rounds, and prints their medians and the ratio (A / B, > 1 means the chosen way B is faster):

  exp vs exp2            the attention weights of one scoring block (1 thread)
  tanh vs 2*sigmoid(2a)-1  the GRU candidate gate, (256, 1024) (1 thread)
  nn.GRU vs gru_states   both directions, forward + backward, MSR-VTT dims, batch 64
  intra-op vs workers    encoding 2,048 captions (8 batches) with the threads inside each op, or with
                         one single-threaded worker per thread (hanet.model.parallel)
  Adam: loop vs fused    one optimizer step over the MSR-VTT-size model's 26 M parameters
  soft Jaccard           the concept score of 256 x 2,048 pairs over 1,024 concepts (1 thread):
                         PyTorch tiles vs the native kernel (hanet/model/native_kernels.c)
  score_matrix           300 full-length videos x those 2,048 captions, all terms, with the
                         native kernels off (HANET_NATIVE=0) or on
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model import PRESETS  # noqa: E402

from hanet.model import HANet, ModelConfig, TextEmbedding, native, score_matrix  # noqa: E402
from hanet.model.gru import gru_states  # noqa: E402
from hanet.model.parallel import map_pieces  # noqa: E402
from hanet.model.random_inputs import random_text, random_video  # noqa: E402
from hanet.model.scores import soft_jaccard  # noqa: E402
from hanet.train.data import take, trim_words  # noqa: E402
from hanet.train.loop import adam  # noqa: E402


def compare(name: str, a, b, rounds: int, threads: int | None = None) -> None:
    saved = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        a(), b()  # warm-up
        times: dict[str, list[float]] = {"a": [], "b": []}
        for r in range(rounds):
            for key, fn in (("a", a), ("b", b)) if r % 2 == 0 else (("b", b), ("a", a)):
                start = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(saved)
    ta, tb = statistics.median(times["a"]), statistics.median(times["b"])
    print(f"{name:28s} {ta * 1e3:10.2f} {tb * 1e3:10.2f} {ta / tb:8.2f}", flush=True)


def padded_bigru(fwd: torch.nn.GRU, bwd: torch.nn.GRU, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The previous training path: both directions over every padded step."""
    steps = torch.arange(x.shape[1])[None, :]
    index = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)  # reverse within length
    flip = index[:, :, None].expand(-1, -1, x.shape[2])
    back = bwd(x.gather(1, flip))[0]
    return fwd(x)[0] + back.gather(1, index[:, :, None].expand(-1, -1, back.shape[2]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    print(f"threads={args.threads} rounds={args.rounds} torch={torch.__version__}")
    print(f"{'A vs B':28s} {'A ms':>10} {'B ms':>10} {'A / B':>8}")

    logits = torch.rand(12, 20, 546, generator=g) * 6 - 6
    out = torch.empty_like(logits)
    compare("exp vs exp2", lambda: torch.exp(logits, out=out), lambda: torch.exp2(logits, out=out),
            args.rounds * 20, threads=1)
    gate = torch.randn(256, 1024, generator=g)
    gout = torch.empty_like(gate)
    compare("tanh vs 2*sigmoid(2a)-1", lambda: torch.tanh(gate, out=gout),
            lambda: torch.sigmoid(gate * 2, out=gout).mul_(2).sub_(1), args.rounds * 20, threads=1)

    cfg = ModelConfig(**PRESETS["msrvtt"])
    fwd, bwd = torch.nn.GRU(cfg.word_dim, cfg.dim, batch_first=True), torch.nn.GRU(cfg.word_dim, cfg.dim, batch_first=True)
    x = torch.randn(64, cfg.max_words, cfg.word_dim, generator=g, requires_grad=True)
    lengths = torch.randint(1, cfg.max_words + 1, (64,), generator=g)
    mask = (torch.arange(cfg.max_words)[None, :] < lengths[:, None])[:, :, None]

    def old_gru():
        (padded_bigru(fwd, bwd, x, lengths) * mask).sum().backward()

    def new_gru():
        (gru_states(fwd, x, lengths) + gru_states(bwd, x, lengths, reverse=True)).sum().backward()

    compare("nn.GRU vs gru_states (train)", old_gru, new_gru, args.rounds)

    torch.manual_seed(0)
    model = HANet(cfg).eval()
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    loop_adam, fused_adam = torch.optim.Adam(model.parameters(), lr=1e-4), adam(model.parameters(), 1e-4)
    print(f"(the Adam line steps the MSR-VTT-size model: {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M "
          f"parameters)")
    compare("Adam: loop vs fused", loop_adam.step, fused_adam.step, args.rounds)
    model.zero_grad(set_to_none=True)
    texts = random_text(cfg, 2048, g)
    order = torch.argsort(texts.lengths, descending=True)
    batches = [trim_words(take(texts, order[i:i + 256])) for i in range(0, 2048, 256)]

    def intra_op():
        with torch.no_grad():
            return TextEmbedding.cat([model.encode_text(b) for b in batches])

    def workers():
        return TextEmbedding.cat(map_pieces(model.encode_text, batches, args.threads))

    compare("intra-op vs workers (encode)", intra_op, workers, args.rounds)

    if not native.enabled():
        print("native kernels unavailable (HANET_NATIVE=0 or no C compiler): their lines are skipped")
        return

    def switched(on: bool, fn):
        def run():
            os.environ["HANET_NATIVE"] = "1" if on else "0"
            try:
                return fn()
            finally:
                os.environ.pop("HANET_NATIVE")
        return run

    p, q = torch.rand(256, 1024, generator=g), torch.rand(2048, 1024, generator=g)
    with torch.no_grad():
        compare("soft Jaccard: torch vs native", switched(False, lambda: soft_jaccard(p, q)),
                switched(True, lambda: soft_jaccard(p, q)), args.rounds, threads=1)
        te = workers()
        ve = model.encode_video(random_video(cfg, 300, g, min_frames=cfg.max_frames))
        compare("score_matrix: torch vs native", switched(False, lambda: score_matrix(model, ve, te)),
                switched(True, lambda: score_matrix(model, ve, te)), args.rounds)


if __name__ == "__main__":
    main()
