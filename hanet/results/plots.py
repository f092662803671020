"""`hanet plots`: figures of one dataset's runs (seaborn, Agg backend).

    hanet plots --runs results/synth --out results/synth/plots [--variants full,no_local]
        [--baseline full] [--compare global_only]
        [--prepared resources/synth/prepared --features resources/synth/features/descriptor.h5]

Writes recall.png (R@1/5/10 per variant, both directions, mean with seed std error bars and
the individual seeds), val_curve.png (validation rsum per epoch), rank_dist.png (cumulative
distribution of the correct item's rank, log scale), and, from examples.json,
retrieval_examples.png and concepts.png (hanet.results.examples).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import NullFormatter, ScalarFormatter  # noqa: E402

from hanet.errors import HanetError  # noqa: E402
from hanet.io import atomic_path  # noqa: E402
from hanet.results import collect  # noqa: E402
from hanet.results.collect import DIRECTIONS  # noqa: E402

TITLES = {"t2v": "Text → video", "v2t": "Video → text"}
THEME = {"style": "whitegrid", "context": "notebook", "font_scale": 1.1}


def palette(variants: list[str]) -> dict[str, tuple]:
    """One colour per variant, fixed by the variant order (same in every figure)."""
    return dict(zip(variants, sns.color_palette("colorblind", max(len(variants), 1))))


def save(fig: plt.Figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)


def _legend_below(fig: plt.Figure, axes, variants: list[str], colors: dict, line: bool = False) -> None:
    """One legend for the whole figure, under the panels, in the variant order."""
    for ax in axes:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    handles = [Line2D([], [], color=colors[v], linewidth=2.5) if line else Patch(color=colors[v])
               for v in variants]
    # no title: above the entries it collides with the panels' x tick labels
    fig.legend(handles, variants, loc="lower center", ncol=min(len(variants), 4), frameon=False,
               bbox_to_anchor=(0.5, -0.02))


def _log_rank_axis(ax: plt.Axes, n_items: int) -> None:
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
             if t <= max(n_items, 10)]
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())


def recall_figure(runs: pd.DataFrame, variants: list[str], colors: dict) -> plt.Figure:
    """Bars: mean R@K over seeds, error bars: std over seeds, dots: individual seeds."""
    long = runs.melt(id_vars=["variant", "seed"], value_vars=[f"{d}_r{k}" for d in DIRECTIONS for k in (1, 5, 10)],
                     var_name="metric", value_name="recall")
    long["direction"] = long["metric"].str[:3]
    long["K"] = "R@" + long["metric"].str[5:]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, d in zip(axes, DIRECTIONS):
        part = long[long["direction"] == d]
        sns.barplot(part, x="K", y="recall", hue="variant", hue_order=variants, palette=colors,
                    errorbar="sd", capsize=0.1, err_kws={"linewidth": 1.2}, ax=ax, alpha=0.85)
        sns.stripplot(part, x="K", y="recall", hue="variant", hue_order=variants, palette=colors,
                      dodge=True, ax=ax, size=4, edgecolor="black", linewidth=0.6, legend=False)
        ax.set(title=TITLES[d], xlabel="", ylabel="recall (%)")
        ax.set_ylim(0, min(105, max(5.0, part["recall"].max() * 1.15)))
    _legend_below(fig, axes, variants, colors)
    n = runs.groupby("variant")["seed"].nunique()
    fig.suptitle(f"Test recall@K per variant (bar: mean over {n.min()}–{n.max()} seeds; "
                 "error bar: std; dots: seeds)" if n.min() != n.max() else
                 f"Test recall@K per variant (bar: mean over {n.min()} seeds; error bar: std; dots: seeds)")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def val_curve_figure(logs: pd.DataFrame, variants: list[str], colors: dict) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    sns.lineplot(logs, x="epoch", y="val_rsum", hue="variant", hue_order=variants, palette=colors,
                 errorbar="sd", marker="o", ax=ax)
    ax.set(title="Validation rsum per epoch (line: mean over seeds; band: std)",
           xlabel="epoch", ylabel="validation rsum (sum of six recalls, %)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    # beside the axes: with eight variants a legend inside hides the curves
    ax.legend(title="variant", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def rank_dist_figure(ranks: pd.DataFrame, variants: list[str], colors: dict) -> plt.Figure:
    """Empirical CDF of the correct item's rank, pooled over seeds, log-scale ranks."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, d in zip(axes, DIRECTIONS):
        part = ranks[ranks["direction"] == d]
        sns.ecdfplot(part, x="rank", hue="variant", hue_order=variants, palette=colors,
                     log_scale=True, ax=ax, linewidth=2)
        for k in (1, 5, 10):
            ax.axvline(k, color="grey", linestyle=":", linewidth=1)
        n_items = int(part["n_items"].max())
        ax.set(title=f"{TITLES[d]} ({n_items} candidates)", xlabel="rank of the correct item (log scale)",
               ylabel="share of queries with rank ≤ x")
        ax.set_xlim(0.9, max(n_items, 10) * 1.1)
        _log_rank_axis(ax, n_items)
    _legend_below(fig, axes, variants, colors, line=True)
    fig.suptitle("Distribution of the correct item's rank (test, pooled over seeds; dotted: ranks 1, 5, 10)")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _rank_frame(runs: list[collect.Run]) -> pd.DataFrame:
    parts = []
    for r in runs:
        rk = collect.load_ranks(r.path)
        for d in DIRECTIONS:
            other = rk["v2t_rank" if d == "t2v" else "t2v_rank"].size  # candidates of a query
            parts.append(pd.DataFrame({"variant": r.variant, "seed": r.seed, "direction": d,
                                       "rank": rk[f"{d}_rank"], "n_items": other}))
    return pd.concat(parts, ignore_index=True)


def _log_frame(runs: list[collect.Run]) -> pd.DataFrame:
    parts = [collect.load_train_log(r.path).assign(variant=r.variant, seed=r.seed) for r in runs]
    return pd.concat(parts, ignore_index=True)


def plots(runs_root: Path, out: Path, variants: list[str] | None = None, baseline: str = "full",
          compare: str | None = None, prepared: Path | None = None, features: Path | None = None) -> list[Path]:
    """Draw every figure; returns the written paths."""
    from hanet.results import examples  # frames and text of examples.json

    pairs = collect.select(runs_root, variants, None)
    runs = [collect.load_run(runs_root, v, s) for v, s in pairs]
    names = sorted({r.variant for r in runs})
    order = variants or ([baseline] if baseline in names else []) + [v for v in names if v != baseline]
    colors = palette(order)
    first = {v: min(r.seed for r in runs if r.variant == v) for v in order}
    if baseline not in first:
        raise HanetError(f"{Path(runs_root) / baseline}: baseline variant {baseline!r} has no runs")
    if compare is not None and compare not in first:
        raise HanetError(f"{Path(runs_root) / compare}: --compare variant {compare!r} has no runs")
    other = compare or next((v for v in order if v != baseline), None)
    # read and check every input before drawing anything
    table, logs, ranks = collect.runs_frame(runs), _log_frame(runs), _rank_frame(runs)
    media = examples.Media(prepared, features)
    ex_base = collect.load_examples(collect.run_dir(runs_root, baseline, first[baseline]))
    ex_other = collect.load_examples(collect.run_dir(runs_root, other, first[other])) if other else None

    out = Path(out)
    sns.set_theme(**THEME)
    figures = {
        "recall.png": lambda: recall_figure(table, order, colors),
        "val_curve.png": lambda: val_curve_figure(logs, order, colors),
        "rank_dist.png": lambda: rank_dist_figure(ranks, order, colors),
        "retrieval_examples.png": lambda: examples.retrieval_figure(ex_base, ex_other, baseline, other, media, colors),
        "concepts.png": lambda: examples.concepts_figure(ex_base, baseline, media,
                                                         examples.accuracy_line(runs, baseline)),
    }
    for name, draw in figures.items():
        save(draw(), out / name)
    return [out / name for name in figures]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hanet plots", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=Path, required=True, help="dataset results folder holding {variant}/seed{N}/")
    p.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    p.add_argument("--variants", help="comma-separated variants, in legend order (default: all found)")
    p.add_argument("--baseline", default="full", help="the full model (default: full)")
    p.add_argument("--compare", help="ablation shown next to the baseline in retrieval_examples.png")
    p.add_argument("--prepared", type=Path, help="prepared/ folder (captions.json, videos.json) for frames and captions")
    p.add_argument("--features", type=Path, help="features HDF5 (frame_indices) to locate concept peaks in videos")
    return p


def cli(argv: list[str]) -> None:
    a = build_parser().parse_args(argv)
    variants = [v.strip() for v in a.variants.split(",") if v.strip()] if a.variants else None
    plots(a.runs, a.out, variants, a.baseline, a.compare, a.prepared, a.features)
