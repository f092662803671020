"""`hanet slices`: text-to-video recall per phenomenon slice and binding-twin discrimination.

    hanet slices --runs results/synth --phenomena resources/synth/prepared/phenomena.json
        --out results/synth [--variants full,no_local] [--seeds 0,1,2] [--baseline full]

Reads every run's ``ranks.npz`` (per-caption rank of the correct video; ``t2v_twin``, the twin
outcome of each caption, written by ``hanet evaluate --phenomena``) and the caption tags of
``prepared/phenomena.json`` (hanet/data/phenomena.py). Writes ``slices.csv`` (slice x variant:
R@1 / R@5 mean and std over seeds, paired difference against the baseline with a 95%
bootstrap interval over the slice's captions), ``twins.csv`` (twin discrimination per
variant, likewise), ``slices.md`` and ``plots/slices.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from hanet.errors import HanetError
from hanet.io import read_json, write_text
from hanet.results import collect
from hanet.results.aggregate import _csv_list, pair_seeds, write_csv
from hanet.results.stats import bootstrap_means, bootstrap_p, mean_std, percentile_ci
from hanet.results.tables import cell, delta_cell

# slice name -> predicate on a caption's tags
SLICES = {
    "all": lambda t: True,
    "twin": lambda t: t["twin"],
    "temporal": lambda t: t["temporal"],
    "partial": lambda t: t["partial"],
    "distractor": lambda t: t["distractor"],
    "plain": lambda t: not (t["twin"] or t["temporal"] or t["partial"] or t["distractor"]),
    "1 object": lambda t: t["objects"] == 1,
    "2 objects": lambda t: t["objects"] == 2,
    "3 objects": lambda t: t["objects"] == 3,
}
KS = (1, 5)


def caption_tags(phenomena: dict, split: str = "test") -> dict[str, dict]:
    """{caption text: tags} over the split's videos (a caption text shared by videos: its first)."""
    out: dict[str, dict] = {}
    for entry in phenomena.get("videos", {}).values():
        if entry.get("split") == split:
            for c in entry["captions"]:
                out.setdefault(c["caption"], c)
    return out


def slice_members(queries: np.ndarray, tags: dict[str, dict], where: str = "ranks.npz") -> dict[str, np.ndarray]:
    """{slice: (Q,) bool} for the caption queries of ranks.npz."""
    missing = [str(q) for q in queries if q not in tags]
    if missing:
        raise HanetError(f"{where}: test caption {missing[0]!r} has no phenomenon tags "
                         "(phenomena.json from another dataset?)")
    return {name: np.array([bool(pred(tags[q])) for q in queries]) for name, pred in SLICES.items()}


def _aligned(order: np.ndarray, queries: np.ndarray, values: np.ndarray, where: Path) -> np.ndarray:
    index = {q: i for i, q in enumerate(queries)}
    if len(index) != len(order) or any(q not in index for q in order):
        raise HanetError(f"{where}: t2v test queries differ from the baseline's")
    return values[[index[q] for q in order]]


def paired(base: np.ndarray, var: np.ndarray, n_boot: int, rng: np.random.Generator) -> dict[str, float]:
    """Paired difference var - base of per-query values (S, Q) (NaN queries dropped): the
    observed mean-over-seeds difference, its 95% bootstrap interval over queries and p."""
    d = (var - base).mean(axis=0)  # (Q,)
    d = d[~np.isnan(d)]
    if d.size == 0:
        return {"diff": np.nan, "lo": np.nan, "hi": np.nan, "p": np.nan}
    boot = bootstrap_means(d, n_boot, rng)
    lo, hi = percentile_ci(boot)
    return {"diff": float(d.mean()), "lo": lo, "hi": hi, "p": bootstrap_p(boot)}


def slice_tables(ranks: dict[str, dict[int, dict]], tags: dict[str, dict], baseline: str, n_boot: int = 2000,
                 seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(slices frame, twins frame) from {variant: {seed: ranks.npz content}}."""
    if baseline not in ranks:
        raise HanetError(f"baseline variant {baseline!r} has no runs")
    first = ranks[baseline][min(ranks[baseline])]
    order = first["t2v_query"]
    members = slice_members(order, tags, first.get("_path", "ranks.npz"))
    hits, twins = {}, {}  # variant -> {seed: (Q,) array}
    for v, by_seed in ranks.items():
        hits[v], twins[v] = {}, {}
        for s, r in by_seed.items():
            where = Path(r.get("_path", f"{v}/seed{s}"))
            rank = _aligned(order, r["t2v_query"], r["t2v_rank"], where)
            hits[v][s] = {k: 100.0 * (rank <= k) for k in KS}
            if "t2v_twin" in r:
                twins[v][s] = 100.0 * _aligned(order, r["t2v_query"], r["t2v_twin"], where)
    rng = np.random.default_rng(seed)
    rows = []
    for name, m in members.items():
        for v in ranks:
            row: dict = {"slice": name, "variant": v, "captions": int(m.sum()), "seeds": len(hits[v])}
            for k in KS:
                row[f"r{k}_mean"], row[f"r{k}_std"], _ = mean_std([h[k][m].mean() for h in hits[v].values()]) \
                    if m.any() else (np.nan, np.nan, 0)
                if v != baseline and m.any():
                    pairs = pair_seeds(list(hits[baseline]), list(hits[v]))
                    base = np.stack([hits[baseline][a][k][m] for a, _ in pairs])
                    var = np.stack([hits[v][b][k][m] for _, b in pairs])
                    p = paired(base, var, n_boot, rng)
                    row |= {f"d_r{k}": p["diff"], f"d_r{k}_lo": p["lo"], f"d_r{k}_hi": p["hi"], f"p_r{k}": p["p"]}
            rows.append(row)
    twin_rows = []
    for v in ranks:
        if not twins[v]:
            continue
        per_seed = [np.nanmean(t) for t in twins[v].values()]
        mean, std, _ = mean_std(per_seed)
        n = int((~np.isnan(next(iter(twins[v].values())))).sum())
        row = {"variant": v, "seeds": len(per_seed), "captions": n, "twin_mean": mean, "twin_std": std}
        if v != baseline and twins[baseline]:
            pairs = pair_seeds(list(twins[baseline]), list(twins[v]))
            p = paired(np.stack([twins[baseline][a] for a, _ in pairs]), np.stack([twins[v][b] for _, b in pairs]),
                       n_boot, rng)
            row |= {"d_twin": p["diff"], "d_twin_lo": p["lo"], "d_twin_hi": p["hi"], "p_twin": p["p"]}
        twin_rows.append(row)
    return pd.DataFrame(rows), pd.DataFrame(twin_rows)


def markdown(sl: pd.DataFrame, tw: pd.DataFrame, baseline: str, descriptions: dict, n_boot: int) -> str:
    variants = list(dict.fromkeys(sl["variant"]))
    others = [v for v in variants if v != baseline]
    out = ["# Phenomenon slices (text to video, test split)\n"]
    for k in KS:
        lines = ["| slice | captions | " + " | ".join(f"`{v}`" for v in variants) + " |",
                 "|---|--:|" + "--:|" * len(variants)]
        for name in SLICES:
            rows = sl[sl["slice"] == name].set_index("variant")
            cells = [cell(rows.loc[v, f"r{k}_mean"], rows.loc[v, f"r{k}_std"]) for v in variants]
            lines.append(f"| {name} | {int(rows['captions'].iloc[0])} | " + " | ".join(cells) + " |")
        out += [f"## R@{k} per slice (mean ± std over seeds)\n", "\n".join(lines), ""]
        if others:
            lines = ["| slice | " + " | ".join(f"`{v}`" for v in others) + " |", "|---|" + "--:|" * len(others)]
            for name in SLICES:
                rows = sl[sl["slice"] == name].set_index("variant")
                deltas = [delta_cell(rows.loc[v], f"r{k}", prefix="d_") for v in others]
                lines.append(f"| {name} | " + " | ".join(deltas) + " |")
            out += [f"## Δ R@{k} against `{baseline}` [95% CI]\n", "\n".join(lines), ""]
    if len(tw):
        lines = ["| variant | twin captions | discrimination (%) | Δ vs baseline [95% CI] |", "|---|--:|--:|--:|"]
        for _, r in tw.iterrows():
            lines.append(f"| `{r['variant']}` | {int(r['captions'])} | {cell(r['twin_mean'], r['twin_std'])} | "
                         f"{delta_cell(r, 'twin', prefix='d_')} |")
        out += ["## Binding-twin discrimination\n", "\n".join(lines), "",
                "Share of the captions of a video whose binding twin is in the test split (and which are not "
                "captions of the twin) that score their own video above the twin; a tie counts half; chance 50%.\n"]
    out += ["## Slices\n"] + [f"- **{k}**: {v}" for k, v in descriptions.items()] + [
        "- **plain**: none of twin, temporal, partial, distractor",
        "",
        f"Recall in percent over the slice's caption queries; mean ± sample std (ddof=1) over seeds. Δ: variant "
        f"minus `{baseline}`, per caption averaged over paired seeds, 95% percentile interval of {n_boot} "
        "bootstrap resamples of the slice's captions; † two-sided bootstrap p < 0.05. A caption can be in "
        "several slices.\n"]
    return "\n".join(out)


def figure(sl: pd.DataFrame, tw: pd.DataFrame, variants: list[str]):
    import matplotlib.pyplot as plt

    from hanet.results.plots import palette

    colors = palette(variants)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(15, 4.8), gridspec_kw={"width_ratios": [3, 1]}, layout="constrained")
    names = list(SLICES)
    width = 0.8 / max(1, len(variants))
    for i, v in enumerate(variants):
        rows = sl[sl["variant"] == v].set_index("slice").loc[names]
        x = np.arange(len(names)) + (i - (len(variants) - 1) / 2) * width
        ax.bar(x, rows["r1_mean"], width, yerr=rows["r1_std"].fillna(0), color=colors[v], label=v, capsize=2)
    counts = sl[sl["variant"] == variants[0]].set_index("slice").loc[names, "captions"]
    ax.set_xticks(np.arange(len(names)), [f"{n}\n({int(c)})" for n, c in zip(names, counts)])
    ax.set_ylabel("text→video R@1 (%)")
    ax.set_title("R@1 per phenomenon slice (captions in brackets; bars: seed std)")
    ax.legend(ncols=min(4, len(variants)), fontsize=8)
    if len(tw):
        tw = tw.set_index("variant")
        shown = [v for v in variants if v in tw.index]
        bx.bar(range(len(shown)), tw.loc[shown, "twin_mean"], yerr=tw.loc[shown, "twin_std"].fillna(0),
               color=[colors[v] for v in shown], capsize=3)
        bx.axhline(50, ls="--", color="black", lw=1)
        bx.text(len(shown) - 0.5, 51, "chance", ha="right", fontsize=8)
        bx.set_xticks(range(len(shown)), shown, rotation=40, ha="right")
        bx.set_ylabel("own video above its twin (%)")
        bx.set_title("Binding-twin discrimination")
    else:
        bx.axis("off")
    return fig


def slices(runs_root: Path, phenomena: Path, out: Path, variants: list[str] | None = None,
           seeds: list[int] | None = None, baseline: str = "full", n_boot: int = 2000, seed: int = 0):
    tags_doc = read_json(phenomena)
    tags = caption_tags(tags_doc)
    if not tags:
        raise HanetError(f"{phenomena}: no test captions")
    pairs = collect.select(runs_root, variants, seeds)
    ranks: dict[str, dict[int, dict]] = {}
    for v, s in pairs:
        folder = collect.run_dir(runs_root, v, s)
        r = collect.load_ranks(folder)  # with t2v_twin where the run has it
        r["_path"] = str(folder / "ranks.npz")
        ranks.setdefault(v, {})[s] = r
    ranks = {v: ranks[v] for v in ([baseline] if baseline in ranks else []) + [v for v in ranks if v != baseline]}
    sl, tw = slice_tables(ranks, tags, baseline, n_boot, seed)
    out = Path(out)
    write_csv(out / "slices.csv", sl)
    write_csv(out / "twins.csv", tw)
    write_text(out / "slices.md", markdown(sl, tw, baseline, tags_doc.get("phenomena", {}), n_boot))
    from hanet.results.plots import save

    save(figure(sl, tw, list(ranks)), out / "plots" / "slices.png")
    return sl, tw


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet slices", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=Path, required=True, help="dataset results folder holding {variant}/seed{N}/")
    p.add_argument("--phenomena", type=Path, required=True, help="prepared/phenomena.json (hanet phenomena)")
    p.add_argument("--out", type=Path, required=True, help="folder for slices.{csv,md}, twins.csv and plots/slices.png")
    p.add_argument("--variants", help="comma-separated variants (table order)")
    p.add_argument("--seeds", help="comma-separated seeds")
    p.add_argument("--baseline", default="full")
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    sl, tw = slices(a.runs, a.phenomena, a.out, _csv_list(a.variants), _csv_list(a.seeds, int), a.baseline,
                    a.bootstrap, a.seed)
    print((a.out / "slices.md").read_text())
