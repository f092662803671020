"""Throughput of the batched HANet: training pairs/s and evaluation (encode + score) pairs/s.

Usage: python benchmarks/bench_model.py --threads 2 --preset all   (add --device cuda on a GPU)
Prints absolute figures and how close scoring comes to this machine's GEMM-bound floor,
measured in the same run. The ratio to the public implementation is measured side by side,
in one run, with ../shared/bench/side_by_side.sh (see docs/performance.md).

Evaluation is timed on a subset with the MSR-VTT ratio of 20 captions per video (default
300 x 6,000): encoding the videos, encoding the captions and scoring the matrix are timed
separately; their sum gives the measured pairs/s, and the per-video, per-caption and
per-pair costs are extrapolated to the full MSR-VTT evaluation (2,990 videos x 59,800
captions), where scoring dominates. Every preset first checks score_matrix against the
loop-form oracle (tests/oracles.py).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from oracles import fuse_loop, rel_err, similarity_loop  # noqa: E402

from hanet.device import resolve_device  # noqa: E402
from hanet.model import HANet, ModelConfig, TextEmbedding, VideoEmbedding, score_matrix  # noqa: E402
from hanet.model.random_inputs import random_targets, random_text, random_video  # noqa: E402
from hanet.train.evaluate import encode_texts, encode_videos  # noqa: E402
from hanet.train.loop import adam  # noqa: E402

PRESETS = {
    "msrvtt": dict(ft_dim=2048, dim=1024, max_frames=20, max_words=30, vocab_size=10510, num_verbs=512, num_nouns=1024),
    "synth": dict(ft_dim=256, dim=256, max_frames=16, max_words=20, vocab_size=300, num_verbs=64, num_nouns=128),
    # the small synthetic configuration of the default workflow
    "tiny": dict(ft_dim=240, dim=256, word_dim=128, max_frames=16, max_words=24, vocab_size=118, num_verbs=22,
                 num_nouns=34, top_actions=4, top_entities=6, entity_frames=2, action_window=1),
}
FULL_VIDEOS, FULL_TEXTS = 2990, 59800  # MSR-VTT evaluation used for the extrapolation


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def autocast(device, bf16: bool):
    """train.bf16: bfloat16 autocast of the encoders (scoring and the concept BCE stay fp32)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)


def bench_train(cfg: ModelConfig, device, batches: int, batch: int = 64,
                bf16: bool = False) -> tuple[list[float], float]:
    """Training pairs/s of each of ``batches`` timed steps (after one warm-up step), and the
    multiply-adds of one step (matrix products and convolutions, forward and backward, counted
    by torch's FlopCounterMode on the warm-up step). Videos have 8-20 valid frames and captions
    6-30 words, as in the public code's benchmark (../shared/bench/public_hanet_bench.py)."""
    torch.manual_seed(0)
    model = HANet(cfg).to(device).train()
    opt = adam(model.parameters(), 1e-4)  # as the training loop builds it
    g = torch.Generator().manual_seed(0)
    data = [(random_video(cfg, batch, g, min_frames=min(8, cfg.max_frames)).to(device),
             random_text(cfg, batch, g, min_words=min(6, cfg.max_words)).to(device),
             random_targets(cfg, batch, g).to(device)) for _ in range(batches + 1)]

    def step(v, t, y):
        with autocast(device, bf16):
            out = model(v, t, y)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        opt.step()

    with FlopCounterMode(display=False) as counter:
        step(*data[0])  # warm-up
    rates = []
    for v, t, y in data[1:]:
        sync(device)
        start = time.perf_counter()
        step(v, t, y)
        sync(device)
        rates.append(batch / (time.perf_counter() - start))
    return rates, counter.get_total_flops() / 2


def encode(model, cfg, n_videos, n_texts, device):
    g = torch.Generator().manual_seed(1)
    return (encode_videos(model, random_video(cfg, n_videos, g), 256, device),
            encode_texts(model, random_text(cfg, n_texts, g), 256, device))


def gemm_rate(device, n: int = 2048, reps: int = 5) -> float:
    """GMAC/s of an n x n x n float32 matrix product: how fast this machine is right now."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    sync(device)
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync(device)
    return reps * n ** 3 / (time.perf_counter() - start) / 1e9


def oracle_error(model, cfg, device) -> float:
    ve, te = encode(model, cfg, 3, 4, device)
    fast = score_matrix(model, ve, te, video_chunk=2, text_chunk=3).double()
    slow = fuse_loop(cfg, similarity_loop(cfg, ve.to("cpu"), te.to("cpu")))
    return rel_err(fast, slow)


def scoring_macs(cfg: ModelConfig, ve: VideoEmbedding, te: TextEmbedding) -> tuple[float, dict[str, float]]:
    """Multiply-adds of the part-phrase cosines per (video, caption) pair: every valid part of
    the videos times every real phrase of the captions, over the phrase-attention terms; and
    the mean valid parts per video of each term. These GEMMs are the floor of scoring."""
    real = {"verb": float(te.verb_mask.sum(1).double().mean()) if te.verb_mask is not None else 0.0,
            "noun": float(te.noun_mask.sum(1).double().mean()) if te.noun_mask is not None else 0.0}
    per_term = {}
    if cfg.has("local"):
        per_term["local_verb"], per_term["local_noun"] = ve.local_action.shape[1], ve.local_entity.shape[1]
    if cfg.has("individual"):
        frames = float(ve.frame_mask.sum(1).double().mean())
        per_term["individual_verb"] = per_term["individual_noun"] = frames
    macs = sum(n * real[term.split("_")[1]] for term, n in per_term.items()) * cfg.dim
    return macs, per_term


def bench_eval(cfg: ModelConfig, device, n_videos: int, n_texts: int, video_chunk: int, text_chunk: int,
               repeat: int, bf16: bool = False) -> tuple[float, list[dict], float]:
    """Oracle error, then ``repeat`` timed evaluations (encode videos, encode captions, score)."""
    torch.manual_seed(0)
    model = HANet(cfg).to(device).eval()
    err = oracle_error(model, cfg, device)
    encode(model, cfg, 8, 8, device)  # warm-up
    g = torch.Generator().manual_seed(1)
    # Evaluation videos have every frame valid: real MSR-VTT clips nearly always give the full 20
    # sampled frames, and the scorer skips padded frames, so random lengths would flatter it.
    videos = random_video(cfg, n_videos, g, min_frames=cfg.max_frames)
    texts = random_text(cfg, n_texts, g)
    runs = []
    for _ in range(repeat):
        sync(device)
        t0 = time.perf_counter()
        with autocast(device, bf16):
            ve = encode_videos(model, videos, 256, device)
        sync(device)
        t1 = time.perf_counter()
        with autocast(device, bf16):
            te = encode_texts(model, texts, 256, device)
        sync(device)
        t2 = time.perf_counter()
        scores = score_matrix(model, ve, te, video_chunk=video_chunk, text_chunk=text_chunk)
        sync(device)
        t3 = time.perf_counter()
        assert scores.shape == (n_videos, n_texts) and torch.isfinite(scores).all()
        per_video, per_text, per_pair = (t1 - t0) / n_videos, (t2 - t1) / n_texts, (t3 - t2) / (n_videos * n_texts)
        full = per_video * FULL_VIDEOS + per_text * FULL_TEXTS + per_pair * FULL_VIDEOS * FULL_TEXTS
        runs.append(dict(measured=n_videos * n_texts / (t3 - t0), per_video=per_video, per_text=per_text,
                         score=1.0 / per_pair, full_s=full, full=FULL_VIDEOS * FULL_TEXTS / full,
                         score_s=t3 - t2))
    return err, runs, scoring_macs(cfg, ve, te)


def pick(values: list, key, best: bool):
    """The best (largest key) value, or the median one by key."""
    ordered = sorted(values, key=key)
    return ordered[-1] if best else ordered[(len(ordered) - 1) // 2]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu")
    ap.add_argument("--preset", choices=["msrvtt", "synth", "tiny", "both", "all"], default="all",
                    help="both = msrvtt + synth; all = msrvtt + synth + tiny")
    ap.add_argument("--eval-videos", type=int, default=300)
    ap.add_argument("--eval-texts", type=int, default=6000)
    ap.add_argument("--video-chunk", type=int, default=128, help="score_matrix chunks (training config defaults)")
    ap.add_argument("--text-chunk", type=int, default=2048)
    ap.add_argument("--train-batches", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3, help="timed evaluation passes per preset")
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast encoders, as train.bf16 (CUDA)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    presets = {"both": ["msrvtt", "synth"], "all": ["msrvtt", "synth", "tiny"]}.get(args.preset, [args.preset])
    rows, floors = [], []
    rates = [gemm_rate(device)]
    for name in presets:
        cfg = ModelConfig(**PRESETS[name])
        # training first, as a training job runs it: in a process that has not yet held a
        # full-size evaluation's embeddings; the GEMM rate is sampled between the two as well
        train_rates, train_macs = bench_train(cfg, device, args.train_batches, bf16=args.bf16)
        rates.append(gemm_rate(device))
        err, runs, macs = bench_eval(cfg, device, args.eval_videos, args.eval_texts, args.video_chunk,
                                     args.text_chunk, args.repeat, args.bf16)
        print(f"[{name}] score_matrix vs loop oracle: max rel. error {err:.2e}", flush=True)
        rows.append((name, train_rates, runs))
        rates.append(gemm_rate(device))
        floors.append((name, macs, train_macs))
    print(f"\ndevice={device} bf16={args.bf16} threads={args.threads} eval subset={args.eval_videos}x{args.eval_texts} x{args.repeat} "
          f"chunks={args.video_chunk}/{args.text_chunk} train batches={args.train_batches}x64 torch={torch.__version__}")
    print(f"machine speed: 2048^3 fp32 GEMM at {min(rates):.0f}-{max(rates):.0f} GMAC/s (measured before, between "
          f"and after the training and evaluation of each preset; shared machines vary, so compare figures from one run)")
    print(f"{'preset':7} {'':6} {'train pairs/s':>13} {'ms/step':>8} {'GEMM floor':>10} | {'ms/video':>8} {'ms/caption':>10} "
          f"{'score pairs/s':>13} {'GEMM floor':>10} | {'eval pairs/s':>12} | {'full MSR-VTT':>12} {'pairs/s':>9}")
    for (name, train_rates, runs), (_, (macs, _), train_macs) in zip(rows, floors):
        for label, best in (("best", True), ("median", False)):
            train = pick(train_rates, float, best)
            ev = pick(runs, lambda r: r["full"], best)
            # the cosine GEMMs alone, at the best GEMM rate of this run, over the measured scoring time
            floor = macs * args.eval_videos * args.eval_texts / (max(rates) * 1e9) / ev["score_s"]
            train_floor = train_macs / (max(rates) * 1e9) / (64 / train)
            print(f"{name:7} {label:6} {train:13.1f} {64e3 / train:8.1f} {train_floor:10.0%} | {ev['per_video'] * 1e3:8.3f} "
                  f"{ev['per_text'] * 1e3:10.3f} {ev['score']:13,.0f} {floor:10.0%} | {ev['measured']:12,.0f} | "
                  f"{ev['full_s']:11.0f}s {ev['full']:9,.0f}")
    for name, (macs, per_term), train_macs in floors:
        print(f"[{name}] a training step does {train_macs / 1e9:.1f} G multiply-adds in matrix products and "
              f"convolutions (forward and backward)")
        parts = ", ".join(f"{term} {n:.1f}" for term, n in per_term.items())
        print(f"[{name}] scoring does {macs:,.0f} multiply-adds per pair in its part-phrase cosines (valid parts "
              f"per video: {parts}); at the best GEMM rate above, those alone take "
              f"{macs * FULL_VIDEOS * FULL_TEXTS / max(rates) / 1e9:.0f}s for the full test")
    print(f"best / median: of {args.train_batches} timed training steps and of {args.repeat} evaluation passes "
          f"(a pass: encode the subset's videos, encode its captions, score); noise on a shared machine only slows.")
    print("GEMM floor: the time the counted multiply-adds alone would take at this run's best GEMM rate, as a "
          "fraction of the measured time (training: a step's products; scoring: the part-phrase cosine GEMMs).")
    print(f"eval pairs/s: measured on the subset (encode + score); full MSR-VTT: extrapolated to "
          f"{FULL_VIDEOS}x{FULL_TEXTS} from the per-video, per-caption and per-pair costs above.")


if __name__ == "__main__":
    main()
