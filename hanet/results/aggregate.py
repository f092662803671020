"""`hanet aggregate`: run folders -> runs.csv and the ablation tables (csv, md, tex).

    hanet aggregate --runs results/synth --out results/synth [--variants full,no_local]
        [--seeds 0,1,2] [--baseline full] [--bootstrap 2000] [--seed 0]
        [--reference config/reference-results.csv --dataset-name msrvtt]

Numbers are mean ± sample std (ddof=1) over seeds; each variant is compared with the
baseline by a paired bootstrap over test queries (hanet.results.stats), and a chance row
gives the expected metrics of random scores for the test set sizes found in ranks.npz.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from hanet.errors import HanetError
from hanet.io import atomic_path
from hanet.metrics import RECALL_KS, chance_metrics
from hanet.results import collect, tables
from hanet.results.collect import CONCEPT_COLUMNS, DIRECTIONS, METRIC_COLUMNS, SUMMARY_KEYS, Run
from hanet.results.stats import mean_std, paired_bootstrap, seed_separation


def _csv_list(text: str | None, cast=str) -> list | None:
    if not text:
        return None
    try:
        return [cast(x.strip()) for x in text.split(",") if x.strip()]
    except ValueError:
        raise HanetError(f"bad comma-separated list {text!r}") from None


def ordered_variants(runs: list[Run], baseline: str, explicit: list[str] | None) -> list[str]:
    """Explicit order if given, else the baseline first then the rest alphabetically."""
    names = sorted({r.variant for r in runs})
    if explicit:
        return [v for v in explicit if v in names]
    return ([baseline] if baseline in names else []) + [v for v in names if v != baseline]


def summary_frame(runs: list[Run], variants: list[str]) -> pd.DataFrame:
    """Per variant: n seeds, the seeds, and mean / std (ddof=1) of every metric."""
    rows = []
    for v in variants:
        mine = [r for r in runs if r.variant == v]
        row: dict = {"variant": v, "n_seeds": len(mine), "seeds": " ".join(str(r.seed) for r in mine)}
        for col in METRIC_COLUMNS:
            mean, std, _ = mean_std([r.metrics[col] for r in mine])
            row[f"{col}_mean"], row[f"{col}_std"] = mean, std
        for col in CONCEPT_COLUMNS:  # blank (NaN) for a variant without a concept branch
            mean, std, _ = mean_std([r.concepts[col] for r in mine
                                     if col in r.concepts and not math.isnan(r.concepts[col])])
            row[f"{col}_mean"], row[f"{col}_std"] = mean, std
        rows.append(row)
    return pd.DataFrame(rows)


def _aligned(base: dict, var: dict, direction: str, where: Path) -> tuple[np.ndarray, np.ndarray]:
    """Ranks of the same queries in the same order (sorted by query key when orders differ)."""
    bq, vq = base[f"{direction}_query"], var[f"{direction}_query"]
    br, vr = base[f"{direction}_rank"], var[f"{direction}_rank"]
    if bq.shape == vq.shape and np.array_equal(bq, vq):
        return br, vr
    ob, ov = np.argsort(bq, kind="stable"), np.argsort(vq, kind="stable")
    if bq.shape != vq.shape or not np.array_equal(bq[ob], vq[ov]):
        raise HanetError(f"{where}: {direction} test queries differ from the baseline's; "
                         "runs of one table must share the test set")
    return br[ob], vr[ov]


def pair_seeds(base: list[int], var: list[int]) -> list[tuple[int, int]]:
    """Same seed value where both have it; otherwise sorted seeds paired by index."""
    common = sorted(set(base) & set(var))
    if common:
        return [(s, s) for s in common]
    return list(zip(sorted(base), sorted(var)))


def comparisons(runs: list[Run], variants: list[str], baseline: str, n_boot: int, seed: int,
                ranks_of) -> dict[str, dict]:
    """Paired bootstrap of every variant against the baseline: {variant: {"t2v_r1", "rsum"}}."""
    seeds = {v: [r.seed for r in runs if r.variant == v] for v in variants}
    folder = {(r.variant, r.seed): r.path for r in runs}
    out = {}
    for v in variants:
        if v == baseline:
            continue
        stacks: dict[str, list] = {"bt": [], "vt": [], "bv": [], "vv": []}
        for sb, sv in pair_seeds(seeds[baseline], seeds[v]):
            b, w = ranks_of(folder[(baseline, sb)]), ranks_of(folder[(v, sv)])
            where = folder[(v, sv)] / "ranks.npz"
            bt, vt = _aligned(b, w, "t2v", where)
            bv, vv = _aligned(b, w, "v2t", where)
            for key, arr in zip(("bt", "vt", "bv", "vv"), (bt, vt, bv, vv)):
                stacks[key].append(arr)
        out[v] = paired_bootstrap(np.stack(stacks["bt"]), np.stack(stacks["vt"]),
                                  np.stack(stacks["bv"]), np.stack(stacks["vv"]),
                                  n_boot=n_boot, seed=seed)
    return out


def chance_row(ranks: dict) -> dict[str, float]:
    """Expected metrics of random scores for this test set (see tables.CHANCE_NOTE)."""
    nt, nv = ranks["t2v_rank"].size, ranks["v2t_rank"].size
    t2v = chance_metrics(nv, 1)
    v2t = chance_metrics(nt, max(1, min(nt, round(nt / nv))))
    row = {f"t2v_{k}": t2v[k] for k in SUMMARY_KEYS} | {f"v2t_{k}": v2t[k] for k in SUMMARY_KEYS}
    row["rsum"] = sum(row[f"{d}_r{k}"] for d in DIRECTIONS for k in RECALL_KS)
    return row


def concept_chance(runs: list[Run]) -> dict[str, float]:
    """Chance levels of the concept columns (from the first run with a concept branch; they depend
    only on the test labels)."""
    return next((r.concept_chance for r in runs if r.concept_chance), {})


def ablation_frame(summary: pd.DataFrame, comps: dict, chance: dict, baseline: str) -> pd.DataFrame:
    """Summary + comparison columns, then a chance row; the ablation.csv content."""
    df = summary.copy()
    for metric in ("t2v_r1", "rsum"):
        for part, col in (("diff", f"delta_{metric}"), ("lo", f"delta_{metric}_lo"),
                          ("hi", f"delta_{metric}_hi"), ("p", f"p_{metric}")):
            df[col] = [comps[v][metric][part] if v in comps else np.nan for v in df["variant"]]
    df["baseline"] = baseline
    chance_cells = {"variant": "chance", "n_seeds": 0, "seeds": "", "baseline": baseline}
    chance_cells |= {f"{c}_mean": chance[c] for c in METRIC_COLUMNS + CONCEPT_COLUMNS if c in chance}
    return pd.concat([df, pd.DataFrame([chance_cells])], ignore_index=True)


SEPARATION_COLUMNS = ("ahead", "behind", "mean_diff", "min_ahead", "max_behind", "paired_wins", "paired_seeds")


def write_csv(path: Path, df: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, float_format="%.10g")


def aggregate(runs_root: Path, out: Path, variants: list[str] | None = None, seeds: list[int] | None = None,
              baseline: str = "full", n_boot: int = 2000, seed: int = 0,
              reference: Path | None = None, dataset_name: str | None = None,
              recipe: str | None = None) -> pd.DataFrame:
    """Write runs.csv, ablation.{csv,md,tex}, ablation_pairs.csv (and reference.{csv,md}) under ``out``."""
    if reference is not None and not dataset_name:
        raise HanetError("--reference needs --dataset-name (the dataset column to match)")
    pairs = collect.select(runs_root, variants, seeds)
    runs = [collect.load_run(runs_root, v, s) for v, s in pairs]
    if not runs:
        raise HanetError(f"{runs_root}: no runs match the requested variants/seeds")
    names = ordered_variants(runs, baseline, variants)
    if baseline not in names:
        raise HanetError(f"{collect.run_dir(runs_root, baseline, 0).parent}: baseline variant "
                         f"{baseline!r} has no runs (variants found: {', '.join(names)})")
    cache: dict[Path, dict] = {}

    def ranks_of(folder: Path) -> dict:
        if folder not in cache:
            cache[folder] = collect.load_ranks(folder)
        return cache[folder]

    comps = comparisons(runs, names, baseline, n_boot, seed, ranks_of)
    first = ranks_of(next(r.path for r in runs if r.variant == baseline))
    sizes = {"videos": first["v2t_rank"].size, "captions": first["t2v_rank"].size}
    cchance = concept_chance(runs)
    table = ablation_frame(summary_frame(runs, names), comps, chance_row(first) | cchance, baseline)
    info = {"baseline": baseline, "n_boot": n_boot, "seed": seed, **sizes,
            "concept_k": (cchance.get("k_verb"), cchance.get("k_noun"))}

    out = Path(out)
    write_csv(out / "runs.csv", collect.runs_frame(runs))
    write_csv(out / "ablation.csv", table)
    separated = seed_separation({v: {r.seed: r.metrics["rsum"] for r in runs if r.variant == v} for v in names})
    write_csv(out / "ablation_pairs.csv", pd.DataFrame(separated, columns=list(SEPARATION_COLUMNS)))
    tables.write_markdown(out / "ablation.md", table, info, separated)
    tables.write_latex(out / "ablation.tex", table, info)
    if reference is not None:
        tables.write_reference(out, Path(reference), dataset_name, table, sizes, recipe)
    return table


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hanet aggregate", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=Path, required=True, help="dataset results folder holding {variant}/seed{N}/")
    p.add_argument("--out", type=Path, required=True, help="folder for runs.csv and ablation.{csv,md,tex}")
    p.add_argument("--variants", help="comma-separated variants (table order); all must have runs")
    p.add_argument("--seeds", help="comma-separated seeds; with --variants every variant x seed must exist")
    p.add_argument("--baseline", default="full", help="variant the others are compared with (default: full)")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples (default: 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap random seed (default: 0)")
    p.add_argument("--reference", type=Path, help="published numbers CSV (config/reference-results.csv)")
    p.add_argument("--dataset-name", help="dataset column value in the reference CSV (e.g. msrvtt)")
    p.add_argument("--recipe", help="the inputs and checkpoint provenance of this run, shown in the reference table")
    return p


def cli(argv: list[str]) -> None:
    a = build_parser().parse_args(argv)
    if a.bootstrap < 1:
        raise HanetError(f"--bootstrap must be >= 1, got {a.bootstrap}")
    aggregate(a.runs, a.out, _csv_list(a.variants), _csv_list(a.seeds, int), a.baseline,
              a.bootstrap, a.seed, a.reference, a.dataset_name, a.recipe)
