"""Throughput of the batched HANet: training pairs/s and evaluation (encode + score) pairs/s.

Usage: python benchmarks/bench_model.py --threads 2 --preset both
Compares with the public implementation (github.com/Roc-Ng/HANet) measured on this machine
kind with 2 threads: 8.2 training pairs/s and 4,700 evaluation pairs/s.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from oracles import fuse_loop, similarity_loop  # noqa: E402

from hanet.model import HANet, ModelConfig, TextEmbedding, VideoEmbedding, score_matrix  # noqa: E402
from hanet.model.random_inputs import random_targets, random_text, random_video  # noqa: E402

PUBLIC_TRAIN, PUBLIC_EVAL = 8.2, 4700.0
PRESETS = {
    "msrvtt": dict(ft_dim=2048, dim=1024, max_frames=20, max_words=30, vocab_size=10510, num_verbs=512, num_nouns=1024),
    "synth": dict(ft_dim=256, dim=256, max_frames=16, max_words=20, vocab_size=300, num_verbs=64, num_nouns=128),
}


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_train(cfg: ModelConfig, device, batches: int, batch: int = 64) -> float:
    torch.manual_seed(0)
    model = HANet(cfg).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    data = [(random_video(cfg, batch, g).to(device), random_text(cfg, batch, g).to(device),
             random_targets(cfg, batch, g).to(device)) for _ in range(batches + 1)]

    def step(v, t, y):
        out = model(v, t, y)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        opt.step()

    step(*data[0])  # warm-up
    sync(device)
    start = time.perf_counter()
    for v, t, y in data[1:]:
        step(v, t, y)
    sync(device)
    return batches * batch / (time.perf_counter() - start)


@torch.no_grad()
def encode(model, cfg, n_videos, n_texts, device, batch=256):
    g = torch.Generator().manual_seed(1)
    ve = VideoEmbedding.cat([model.encode_video(random_video(cfg, min(batch, n_videos - i), g).to(device))
                             for i in range(0, n_videos, batch)])
    te = TextEmbedding.cat([model.encode_text(random_text(cfg, min(batch, n_texts - i), g).to(device))
                            for i in range(0, n_texts, batch)])
    return ve, te


def oracle_error(model, cfg, device) -> float:
    ve, te = encode(model, cfg, 3, 4, device)
    fast = score_matrix(model, ve, te, video_chunk=2, text_chunk=3).double()
    slow = fuse_loop(cfg, similarity_loop(cfg, ve.to("cpu"), te.to("cpu")))
    return float((fast - slow).abs().max() / slow.abs().max())


def bench_eval(cfg: ModelConfig, device, n_videos: int, n_texts: int) -> tuple[float, float]:
    torch.manual_seed(0)
    model = HANet(cfg).to(device).eval()
    err = oracle_error(model, cfg, device)
    encode(model, cfg, 8, 8, device)  # warm-up
    sync(device)
    start = time.perf_counter()
    ve, te = encode(model, cfg, n_videos, n_texts, device)
    scores = score_matrix(model, ve, te, video_chunk=100, text_chunk=1000)
    sync(device)
    assert scores.shape == (n_videos, n_texts) and torch.isfinite(scores).all()
    return n_videos * n_texts / (time.perf_counter() - start), err


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu")
    ap.add_argument("--preset", choices=["msrvtt", "synth", "both"], default="both")
    ap.add_argument("--eval-videos", type=int, default=500)
    ap.add_argument("--eval-texts", type=int, default=5000)
    ap.add_argument("--train-batches", type=int, default=3)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    presets = ["msrvtt", "synth"] if args.preset == "both" else [args.preset]
    rows = []
    for name in presets:
        cfg = ModelConfig(**PRESETS[name])
        train = bench_train(cfg, device, args.train_batches)
        evals, err = bench_eval(cfg, device, args.eval_videos, args.eval_texts)
        print(f"[{name}] score_matrix vs loop oracle: max rel. error {err:.2e}", flush=True)
        rows.append((name, train, evals))
    print(f"\ndevice={device} threads={args.threads} eval={args.eval_videos}x{args.eval_texts} "
          f"train batches={args.train_batches}x64 torch={torch.__version__}")
    print(f"{'preset':8} {'train pairs/s':>14} {'x public':>9} {'eval pairs/s':>13} {'x public':>9}")
    for name, train, evals in rows:
        print(f"{name:8} {train:14.1f} {train / PUBLIC_TRAIN:9.1f} {evals:13.0f} {evals / PUBLIC_EVAL:9.1f}")
    print(f"(public implementation, MSR-VTT dims, 2 threads: {PUBLIC_TRAIN} train, {PUBLIC_EVAL:.0f} eval pairs/s)")


if __name__ == "__main__":
    main()
