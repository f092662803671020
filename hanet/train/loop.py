"""Training loop: Adam, per-epoch validation on rsum, early stopping, best checkpoint, resume.

``hanet train`` resolves the run config (defaults <- dataset overrides <- ablation file),
trains on the train split and validates every epoch, printing one line per epoch. ``best.pt``
holds the best-on-validation weights with their config; ``last.pt`` holds everything needed
to resume after an interruption (weights, optimizer, RNG states, the log so far, the best
weights) and the fingerprint of what the run depends on (resolved config, seed, and the
content of the features, text and split files), saved at the end of every epoch.

Only an unfinished run with the same fingerprint resumes; a finished one, or one whose inputs
changed, starts afresh (and says so), so a forced re-run really retrains. A resumed run ends
with exactly the metrics of an uninterrupted one: the epoch's caption order depends only on
(seed, epoch) and RNG states are restored. Every checkpoint holds only tensors and plain
values and is read with ``weights_only=True``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import io
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from hanet import config as run_config
from hanet.data.checks import check_prepared
from hanet.errors import HanetError
from hanet.io import atomic_path, read_json, read_lines, write_text
from hanet.model.hanet import HANet
from hanet.model.public import load_public_state
from hanet.train.data import SPLITS, SplitData, TextResources, load_split, model_dims, take, trim_frames, trim_words
from hanet.train.evaluate import evaluate_split, load_checkpoint
from hanet.train.import_checkpoint import read_public
from hanet.device import resolve_device


def adam(params, lr: float) -> torch.optim.Adam:
    """torch's Adam with its fused update (one kernel over all parameters) where this torch and
    device support it (CPU since torch 2.4), else the default implementation. Same update rule
    (a test checks it)."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def epoch_order(caption_video: np.ndarray, seed: int, epoch: int) -> np.ndarray:
    """A permutation of all captions in which consecutive runs rarely repeat a video.

    Captions are shuffled, each gets a round number = its position among its own video's
    captions, and they are ordered by round: a batch then holds distinct videos except where
    it straddles two rounds, so hardest negatives are rarely captions of the positive video.
    """
    rng = np.random.default_rng([seed, epoch])
    perm = rng.permutation(len(caption_video))  # (Nc,)
    vids = caption_video[perm]
    by_video = np.argsort(vids, kind="stable")  # positions of perm grouped by video
    sorted_vids = vids[by_video]
    group_start = np.searchsorted(sorted_vids, sorted_vids, side="left")
    rounds = np.empty(len(perm), dtype=np.int64)
    rounds[by_video] = np.arange(len(perm)) - group_start
    return perm[np.lexsort((np.arange(len(perm)), rounds))]


def _save(obj: dict, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _write_log(rows: list[dict], path: Path) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buf.getvalue())


def _rng_state() -> dict:
    """RNG states as tensors and plain values (loadable with ``weights_only=True``)."""
    name, key, pos, has_gauss, gauss = np.random.get_state()
    return {"python": random.getstate(), "numpy": [name, torch.from_numpy(key.astype(np.int64)), pos, has_gauss, gauss],
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def _set_rng_state(state: dict) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, key, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, key.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def fingerprint(cfg, seed: int, inputs: list[Path]) -> str:
    """SHA-256 over the resolved config, the seed and the content of every input file."""
    h = hashlib.sha256(run_config.to_yaml(cfg).encode())
    h.update(f"seed={seed}".encode())
    for path in sorted(inputs):
        h.update(str(path.name).encode())
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def run_inputs(data_dir: Path, features: Path) -> list[Path]:
    """The files a training run reads: features, prepared captions and splits, text outputs."""
    prepared = data_dir / "prepared"
    return [features, prepared / "captions.json", *sorted((prepared / "splits").glob("*.txt")),
            *sorted((data_dir / "text").glob("*.json"))]


def finished(state: dict, tcfg) -> bool:
    return state["epoch"] >= tcfg.epochs or state["bad_epochs"] >= tcfg.patience


def train_epoch(model: HANet, opt: torch.optim.Optimizer, data: SplitData, cfg, device: torch.device,
                seed: int, epoch: int) -> tuple[dict[str, float], int]:
    """One pass over every train caption; returns the mean of each loss term and the step count."""
    tcfg = cfg.train
    model.train()
    order = torch.from_numpy(epoch_order(data.caption_video.numpy(), seed, epoch))
    batches = [b for b in torch.split(order, tcfg.batch_size) if len(b) >= 2]
    sums: dict[str, float] = {}
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=tcfg.bf16 and device.type == "cuda")
    for idx in tqdm(batches, desc=f"epoch {epoch}", leave=False, mininterval=10, disable=None):
        videos = trim_frames(take(data.videos, data.caption_video[idx])).to(device)  # (B, F, D)
        texts = trim_words(take(data.texts, idx)).to(device)
        targets = take(data.targets, idx).to(device) if cfg.model.concept_branch else None
        with autocast:
            terms = model(videos, texts, targets)
        loss = terms["loss"]
        if not torch.isfinite(loss):
            raise HanetError(f"training loss became {loss.item()} at epoch {epoch}; lower train.lr")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if tcfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.grad_clip)
        opt.step()
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
    return {k: v / len(batches) for k, v in sums.items()}, len(batches)


def train(data_dir: Path, features: Path, ablation: Path | None, overrides: dict, seed: int, out_dir: Path,
          device_name: str | None = None, threads: int | None = None) -> dict:
    """Train one variant; returns the last checkpoint's summary. Resumes from ``out_dir/last.pt``."""
    dims = model_dims(data_dir, features)
    overrides = json.loads(json.dumps(overrides or {}))
    overrides.setdefault("model", {}).update(dims)
    cfg = run_config.resolve(ablation, overrides)
    tcfg = cfg.train
    if threads or tcfg.threads:
        torch.set_num_threads(threads or tcfg.threads)
    device = resolve_device(device_name or tcfg.device)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / "config.yaml", run_config.to_yaml(cfg))

    prepared = Path(data_dir) / "prepared"  # re-checked: the folder may have been edited after hanet parse
    check_prepared(read_json(prepared / "captions.json"),
                   {name: read_lines(prepared / "splits" / f"{name}.txt") for name in SPLITS}, prepared)
    text = TextResources.load(data_dir / "text")
    train_data = load_split(data_dir, features, "train", cfg.model, text)
    val_data = load_split(data_dir, features, "val", cfg.model, text)

    seed_everything(seed)
    model = HANet(cfg.model)
    if tcfg.init_from:  # e.g. the authors' GloVe word_embeds.*.th: sets just the tensors it holds
        loaded = load_public_state(model, read_public(Path(tcfg.init_from)), partial=True)
        print(f"initialised {len(loaded)} tensor(s) from {tcfg.init_from}: {', '.join(loaded[:4])}"
              f"{' ...' if len(loaded) > 4 else ''}", flush=True)
    model = model.to(device)
    opt = adam(model.parameters(), tcfg.lr)
    state = {"epoch": 0, "step": 0, "best_rsum": -1.0, "best_epoch": 0, "bad_epochs": 0, "rows": [],
             "train_seconds": 0.0, "best_model": None}
    last = out_dir / "last.pt"
    inputs = run_inputs(Path(data_dir), Path(features)) + ([Path(tcfg.init_from)] if tcfg.init_from else [])
    stamp = fingerprint(cfg, seed, inputs)
    if last.is_file():
        saved = load_checkpoint(last)
        if saved.get("fingerprint") != stamp:
            print(f"{last}: config, seed or input data changed since it was written: training afresh", flush=True)
        elif finished(saved["state"], tcfg):
            print(f"{last}: that run had finished: training afresh", flush=True)
        else:
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["optimizer"])
            state = saved["state"]
            _set_rng_state(saved["rng"])
            print(f"resuming from {last} after epoch {state['epoch']}", flush=True)

    bar = tqdm(total=tcfg.epochs, initial=state["epoch"], desc=f"train {out_dir}", disable=None)
    while state["epoch"] < tcfg.epochs and state["bad_epochs"] < tcfg.patience:
        started = time.time()
        epoch = state["epoch"] + 1
        terms, steps = train_epoch(model, opt, train_data, cfg, device, seed, epoch)
        val = evaluate_split(model, val_data, tcfg, device)[0]
        state["epoch"], state["step"] = epoch, state["step"] + steps
        if val["rsum"] > state["best_rsum"]:
            state.update(best_rsum=val["rsum"], best_epoch=epoch, bad_epochs=0,
                         best_model={k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
        else:
            state["bad_epochs"] += 1
        state["train_seconds"] += time.time() - started
        state["rows"].append({
            "epoch": epoch, "step": state["step"], **{f"train_{k}": round(v, 6) for k, v in terms.items()},
            **{f"val_{d}_{m}": round(val[d][m], 4) for d in ("t2v", "v2t") for m in val[d]},
            "val_rsum": round(val["rsum"], 4), **concept_columns(val.get("concepts")),
            "seconds": round(time.time() - started, 2),
        })
        _write_log(state["rows"], out_dir / "train_log.csv")
        _save({"model": model.state_dict(), "optimizer": opt.state_dict(), "state": state, "rng": _rng_state(),
               "config": dataclasses.asdict(cfg), "seed": seed, "fingerprint": stamp}, last)
        print(epoch_line(state["rows"][-1], device), flush=True)
        bar.update(1)
        bar.set_postfix(loss=f"{terms['loss']:.4f}", val_rsum=f"{val['rsum']:.1f}", best=state["best_epoch"])
    bar.close()
    summary = {"config": dataclasses.asdict(cfg), "seed": seed, "epoch": state["best_epoch"],
               "step": state["step"], "best_rsum": state["best_rsum"], "vocab_size": cfg.model.vocab_size,
               "train_seconds": round(state["train_seconds"], 2), "train_device": str(device),
               "train_dtype": "bfloat16 autocast" if tcfg.bf16 and device.type == "cuda" else "float32"}
    _save({"model": state["best_model"], **summary}, out_dir / "best.pt")
    print(f"best validation rsum {state['best_rsum']:.2f} at epoch {state['best_epoch']} "
          f"({state['epoch']} epochs, {state['train_seconds']:.0f} s)")
    return summary


def concept_columns(concepts: dict | None) -> dict:
    """Validation concept mAP of the video and caption concept vectors (train_log.csv columns)."""
    if not concepts:
        return {}
    return {f"val_concept_{side}_{kind}_map": (None if concepts[side][kind]["map"] is None
                                               else round(concepts[side][kind]["map"], 4))
            for side in ("video", "caption") for kind in ("verbs", "nouns")}


def epoch_line(row: dict, device: torch.device) -> str:
    """One log line per epoch: loss terms, validation rsum, time, GPU memory on a GPU."""
    losses = " ".join(f"{k[6:]} {v:.4f}" for k, v in row.items() if k.startswith("train_"))
    line = f"epoch {row['epoch']:3d}  {losses}  val rsum {row['val_rsum']:.2f}  {row['seconds']:.1f} s"
    if device.type == "cuda":
        line += f"  gpu mem {torch.cuda.max_memory_allocated(device) / 2**30:.2f} GiB"
    return line


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet train", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="dataset folder holding prepared/ and text/")
    p.add_argument("--features", type=Path, required=True, help="features/{extractor}.h5")
    p.add_argument("--ablation", type=Path, help="ablations/<variant>.yaml (default: the full model)")
    p.add_argument("--overrides", default="{}", help='JSON dataset overrides, e.g. \'{"train": {"epochs": 5}}\'')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-dir", type=Path, required=True, help="run folder, e.g. results/synth/full/seed0")
    p.add_argument("--device", help="auto | cpu | cuda[:N] (default: train.device of the config)")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: train.threads of the config)")
    a = p.parse_args(argv)
    try:
        overrides = json.loads(a.overrides)
    except json.JSONDecodeError as err:
        raise HanetError(f"--overrides is not valid JSON ({err})") from None
    train(a.data, a.features, a.ablation, overrides, a.seed, a.out_dir, a.device, a.threads)
