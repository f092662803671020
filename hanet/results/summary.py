"""`hanet summary`: the few lines printed at the end of `snakemake --cores all`.

    hanet summary --results results --datasets synth,msrvtt [--top 3]

For each dataset with an ablation table: where the tables, plots and report are, and the
top variants by mean rsum (mean ± std over seeds, R@1 both directions). Reads only
``results/{dataset}/ablation.csv``; a dataset whose table is missing is named, never an error,
so the summary cannot turn a finished workflow into a failed one.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

REPORT = "report.html"


def _pm(mean: float, std: float) -> str:
    return f"{mean:.1f}" if std is None or (isinstance(std, float) and math.isnan(std)) else f"{mean:.1f} ± {std:.1f}"


def top_variants(table: pd.DataFrame, top: int) -> pd.DataFrame:
    """Variant rows (not the chance row) sorted by mean rsum, best first."""
    rows = table[table["variant"] != "chance"]
    return rows.sort_values("rsum_mean", ascending=False, kind="stable").head(top)


def dataset_lines(results: Path, dataset: str, top: int) -> list[str]:
    folder = results / dataset
    csv = folder / "ablation.csv"
    if not csv.is_file():
        return [f"{dataset}: no ablation table yet ({csv} is missing)"]
    table = pd.read_csv(csv)
    variants = table[table["variant"] != "chance"]
    seeds = int(variants["n_seeds"].max()) if len(variants) else 0
    lines = [f"{dataset}: {len(variants)} variants x {seeds} seed(s); tables {folder}/ablation.md "
             f"(.csv, .tex, runs.csv), plots {folder}/plots/"]
    if (folder / "reference.md").is_file():
        lines.append(f"  next to the published numbers: {folder}/reference.md")
    width = max([len(v) for v in variants["variant"]] + [7])
    lines.append(f"  {'variant':<{width}}  {'rsum':>13}  {'t2v R@1':>12}  {'v2t R@1':>12}")
    for _, row in top_variants(table, top).iterrows():
        lines.append(f"  {row['variant']:<{width}}  {_pm(row['rsum_mean'], row['rsum_std']):>13}  "
                     f"{_pm(row['t2v_r1_mean'], row['t2v_r1_std']):>12}  {_pm(row['v2t_r1_mean'], row['v2t_r1_std']):>12}")
    if len(variants) > top:
        lines.append(f"  ... {len(variants) - top} more in {folder}/ablation.md")
    return lines


def summary(results: Path, datasets: list[str], top: int = 3) -> str:
    lines = ["", "hanet-bench: done."]
    for dataset in datasets:
        lines += dataset_lines(results, dataset, top)
    report = results / REPORT
    if report.is_file():
        lines.append(f"Report: {report} (refresh: snakemake --report {report})")
    else:
        lines.append(f"Report with every table and figure: snakemake --report {report}")
    lines.append(f"What each file holds: {results}/README.md")
    return "\n".join(lines)


def cli(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="hanet summary", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", type=Path, default=Path("results"), help="the results folder")
    p.add_argument("--datasets", required=True, help="comma-separated dataset names (config 'datasets')")
    p.add_argument("--top", type=int, default=3, help="variants shown per dataset, best mean rsum first")
    a = p.parse_args(argv)
    try:
        text = summary(a.results, [d for d in a.datasets.split(",") if d], a.top)
    except Exception as err:  # a summary never fails a finished workflow
        text = f"hanet-bench: done (no summary: {type(err).__name__}: {err})"
    print(text, flush=True)
