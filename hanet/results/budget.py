"""`hanet budget`: choose a dataset's training budget from the full model's curves alone.

    hanet budget --data resources/synth --features resources/synth/features/descriptor.h5
        --overrides '{"model": {...}, "train": {...}}' --epochs 20 --seeds 0,1,2 --jobs 2
        --out results/synth/budget

Trains the baseline variant (``--ablation``, default ablations/full.yaml) for ``--epochs``
epochs with early stopping off, one ``hanet train`` per seed (``--jobs`` at a time, one CPU
thread each; an interrupted seed resumes), then reads the seeds' ``train_log.csv``. The budget
is the first epoch at which every watched validation curve (seed mean, smoothed over
``--window`` epochs) has come within ``--tolerance`` of its best value over the whole
schedule: validation rsum, and the video-level action and entity concept mAP. Nothing here
looks at another variant, so the budget cannot favour one; every variant is then trained
with it. Writes ``budget.csv`` (per-epoch mean and std over seeds), ``budget.md`` (the
criterion, the chosen epoch, the curves at it) and ``budget.png`` (the curves, the chosen
epoch marked).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from hanet.errors import HanetError
from hanet.io import write_text
from hanet.results.aggregate import _csv_list, write_csv

CURVES = {  # train_log.csv column -> label
    "val_rsum": "validation rsum",
    "val_concept_video_verbs_map": "video action concept mAP",
    "val_concept_video_nouns_map": "video entity concept mAP",
}


def smoothed(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (the first entries average what there is), (E,) -> (E,)."""
    csum = np.cumsum(np.insert(values.astype(np.float64), 0, 0.0))  # (E + 1,)
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (csum[ends] - csum[starts]) / (ends - starts)


def levelled_off_epoch(curves: dict[str, np.ndarray], tolerance: float, window: int) -> int:
    """First epoch (1-based) at which every smoothed curve is within ``tolerance`` (a fraction of
    its best smoothed value) of that best; curves are (E,) arrays over epochs 1..E, higher is
    better. The last epoch always qualifies, so the answer is at most E."""
    if not curves:
        raise HanetError("no curve to choose a budget from")
    ok = None
    for values in curves.values():
        s = smoothed(np.asarray(values), window)  # (E,)
        reached = s >= s.max() - tolerance * abs(s.max())
        ok = reached if ok is None else ok & reached
    return int(np.argmax(ok)) + 1


def read_logs(run_dirs: list[Path]) -> pd.DataFrame:
    """Concatenated train_log.csv of the runs, with a ``seed`` column (the run order)."""
    frames = []
    for i, run in enumerate(run_dirs):
        path = run / "train_log.csv"
        if not path.is_file():
            raise HanetError(f"{path}: not found (did the training fail? see {run / 'train.log'})")
        frames.append(pd.read_csv(path).assign(seed=i))
    return pd.concat(frames, ignore_index=True)


def summarise(logs: pd.DataFrame) -> pd.DataFrame:
    """Per epoch: mean and std over seeds of every watched curve present, plus train loss."""
    cols = [c for c in [*CURVES, "train_rank"] if c in logs.columns]
    per_epoch = logs.groupby("epoch")[cols]
    table = per_epoch.mean().add_suffix("_mean").join(per_epoch.std().add_suffix("_std"))
    return table.join(logs.groupby("epoch")["seed"].count().rename("n_seeds")).reset_index()


def choose(table: pd.DataFrame, tolerance: float, window: int) -> int:
    curves = {c: table[f"{c}_mean"].to_numpy() for c in CURVES
              if f"{c}_mean" in table.columns and table[f"{c}_mean"].notna().all()}
    return int(table["epoch"].iloc[levelled_off_epoch(curves, tolerance, window) - 1])


def figure(table: pd.DataFrame, chosen: int, path: Path) -> None:
    from hanet.results.plots import THEME, plt, save, sns

    sns.set_theme(**THEME)
    present = [c for c in CURVES if f"{c}_mean" in table.columns and table[f"{c}_mean"].notna().all()]
    fig, axes = plt.subplots(1, len(present), figsize=(4.6 * len(present), 3.8), squeeze=False)
    for ax, col in zip(axes[0], present):
        m, s = table[f"{col}_mean"], table[f"{col}_std"].fillna(0.0)
        ax.plot(table["epoch"], m, marker="o", ms=3)
        ax.fill_between(table["epoch"], m - s, m + s, alpha=0.25)
        ax.axvline(chosen, color="0.3", ls="--", lw=1)
        ax.set(title=CURVES[col], xlabel="epoch", ylabel="percent" if "map" in col else "rsum")
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"Full model, mean ± std over {int(table['n_seeds'].max())} seeds; dashed: chosen budget "
                 f"({chosen} epochs)", y=1.02)
    fig.tight_layout()
    save(fig, path)


def markdown(table: pd.DataFrame, chosen: int, tolerance: float, window: int, command: str) -> str:
    row = table[table["epoch"] == chosen].iloc[0]
    best = {c: table[f"{c}_mean"].max() for c in CURVES if f"{c}_mean" in table.columns}
    lines = ["| curve (seed mean ± std) | at the chosen epoch | best seed mean over the schedule (epoch) |",
             "|---|--:|--:|"]
    for c, b in best.items():
        at = int(table.loc[table[f"{c}_mean"].idxmax(), "epoch"])
        lines.append(f"| {CURVES[c]} | {row[f'{c}_mean']:.1f} ± {row[f'{c}_std']:.1f} | {b:.1f} ({at}) |")
    return (f"# Training budget\n\nChosen budget: **{chosen} epochs**: the first epoch at which the full model's "
            f"validation rsum and video concept mAP (seed mean, trailing mean over {window} epochs) are all "
            f"within {tolerance:.0%} of their best over the {int(table['epoch'].max())}-epoch schedule. "
            f"Only the full model's curves enter; every variant is then trained with this budget.\n\n"
            + "\n".join(lines) + f"\n\nCurves: budget.png; per-epoch numbers: budget.csv.\nCommand: `{command}`\n")


def _train(args: tuple) -> None:
    data, features, ablation, overrides, seed, out = args
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "hanet.cli", "train", "--data", str(data), "--features", str(features),
           "--ablation", str(ablation), "--overrides", json.dumps(overrides), "--seed", str(seed),
           "--out-dir", str(out), "--threads", "1"]
    print(f"seed {seed}: training, log in {out / 'train.log'}", flush=True)
    with open(out / "train.log", "w") as log:
        if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
            raise HanetError(f"training seed {seed} failed; see {out / 'train.log'}")
    print(f"seed {seed}: done", flush=True)


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet budget", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--features", type=Path, required=True)
    p.add_argument("--ablation", type=Path, default=Path("ablations/full.yaml"))
    p.add_argument("--overrides", default="{}", help="the dataset's model/train overrides (JSON)")
    p.add_argument("--epochs", type=int, default=20, help="length of the long schedule")
    p.add_argument("--seeds", type=_csv_list, default=["0", "1", "2"])
    p.add_argument("--jobs", type=int, default=2, help="trainings at once")
    p.add_argument("--tolerance", type=float, default=0.03, help="fraction of the best value")
    p.add_argument("--window", type=int, default=3, help="epochs in the trailing mean")
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    try:
        overrides = json.loads(a.overrides)
    except json.JSONDecodeError as err:
        raise HanetError(f"--overrides is not valid JSON ({err})") from None
    overrides.setdefault("train", {}).update(epochs=a.epochs, patience=a.epochs + 1)  # no early stop
    runs = [a.out / "runs" / f"seed{s}" for s in a.seeds]  # not {variant}/seed{N}: no run to aggregate
    jobs = [(a.data, a.features, a.ablation, overrides, int(s), run) for s, run in zip(a.seeds, runs)]
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        list(pool.map(_train, jobs))
    table = summarise(read_logs(runs))
    chosen = choose(table, a.tolerance, a.window)
    write_csv(a.out / "budget.csv", table)
    command = "hanet budget " + shlex.join(argv)
    write_text(a.out / "budget.md", markdown(table, chosen, a.tolerance, a.window, command))
    figure(table, chosen, a.out / "budget.png")
    print(f"training budget: {chosen} epochs (see {a.out / 'budget.md'})")
