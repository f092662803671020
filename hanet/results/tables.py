"""Render the ablation table (Markdown, LaTeX) and the published-numbers comparison.

Input is the ablation frame of hanet.results.aggregate (one row per variant plus a
``chance`` row, columns ``{metric}_mean``, ``{metric}_std``, ``delta_*``, ``p_*``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from hanet.errors import HanetError
from hanet.io import atomic_path, write_text
from hanet.results.collect import CONCEPT_COLUMNS, DIRECTIONS, METRIC_COLUMNS, SUMMARY_KEYS

ALPHA = 0.05
MARK = "†"
LABELS = {"r1": "R@1", "r5": "R@5", "r10": "R@10", "medr": "MedR", "meanr": "MeanR"}
REFERENCE_META = ("dataset", "split", "method", "source", "status")


def _num(x: float, digits: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def cell(mean: float, std: float, pm: str = "±") -> str:
    """'12.3 ± 0.4', or just '12.3' when the std is undefined (one seed)."""
    if isinstance(std, float) and math.isnan(std):
        return _num(mean)
    return f"{_num(mean)} {pm} {_num(std)}"


def delta_cell(row: pd.Series, metric: str, mark: str = MARK, dash: str = "–", prefix: str = "delta_") -> str:
    """'+1.2 [−0.3, +2.8]' with the significance mark when p < ALPHA; empty for the baseline.
    Columns ``{prefix}{metric}``, its ``_lo`` / ``_hi`` bounds and ``p_{metric}``."""
    d = row.get(f"{prefix}{metric}")
    if d is None or math.isnan(d):
        return dash
    lo, hi, p = row[f"{prefix}{metric}_lo"], row[f"{prefix}{metric}_hi"], row[f"p_{metric}"]
    return f"{d:+.1f} [{lo:+.1f}, {hi:+.1f}]" + (mark if p < ALPHA else "")


def _metric_cells(row: pd.Series, pm: str) -> list[str]:
    if row["variant"] == "chance":
        return [_num(row[f"{c}_mean"]) for c in METRIC_COLUMNS]
    return [cell(row[f"{c}_mean"], row[f"{c}_std"], pm) for c in METRIC_COLUMNS]


def caption(info: dict) -> str:
    return (
        f"Mean ± sample standard deviation (ddof=1) over n seeds (no ± when n = 1). "
        f"Recalls in percent, MedR/MeanR are ranks (lower is better); rsum is the sum of the six recalls. "
        f"Δ columns: variant minus baseline `{info['baseline']}`, averaged over paired seeds, with a 95% "
        f"paired-bootstrap interval over test queries ({info['n_boot']} resamples, seed {info['seed']}; "
        f"captions and videos resampled independently for rsum). "
        f"{MARK} two-sided bootstrap p < {ALPHA}. "
        f"Chance: expected values under random scores for {info['videos']} test videos and "
        f"{info['captions']} test captions (video-to-text assumes captions spread evenly over videos). "
        f"Ties are ranked at their expected position (see metrics.json provenance.tie_rule)."
    )


def separation_markdown(separated: list[dict]) -> str:
    """The seed-spread section of ablation.md: which variant is ahead of which on rsum."""
    head = ("## Ahead beyond the seed spread (rsum)\n\nPairs where every seed of the first variant scores "
            "above every seed of the second; `paired` counts the shared seeds won.\n\n")
    if not separated:
        return head + "No variant is ahead of another beyond the seed spread.\n"
    lines = ["| ahead | behind | Δ mean rsum | min ahead | max behind | paired |", "|---|---|--:|--:|--:|--:|"]
    lines += [f"| `{r['ahead']}` | `{r['behind']}` | {r['mean_diff']:+.1f} | {r['min_ahead']:.1f} | "
              f"{r['max_behind']:.1f} | {r['paired_wins']}/{r['paired_seeds']} |" for r in separated]
    return head + "\n".join(lines) + "\n"


def resolvable_line(table: pd.DataFrame, baseline: str) -> str:
    """One sentence on the smallest rsum difference this table resolves: the half-widths of the
    paired 95% intervals of the rsum differences against the baseline, and the baseline's seed std."""
    rows = table[(table["variant"] != "chance") & table["delta_rsum_lo"].notna()] \
        if "delta_rsum_lo" in table.columns else table.iloc[:0]
    if rows.empty:
        return ""
    half = ((rows["delta_rsum_hi"] - rows["delta_rsum_lo"]) / 2.0).to_numpy()
    base = table[table["variant"] == baseline]
    std = float(base["rsum_std"].iloc[0]) if len(base) else float("nan")
    return (f"**Resolvable difference**: the paired 95% intervals of the rsum differences against `{baseline}` "
            f"are ±{float(pd.Series(half).median()):.1f} rsum wide at the median (±{half.min():.1f} to "
            f"±{half.max():.1f}); a difference well inside that is not resolved by this test set and these "
            f"seeds. Seed std of `{baseline}` rsum: {_num(std)}.\n")


CONCEPT_NAMES = {"video_verb": "video action", "video_noun": "video entity", "caption_verb": "caption verb",
                 "caption_noun": "caption noun"}


def concept_columns(table: pd.DataFrame, info: dict) -> list[tuple[str, str]]:
    """(column, header) of the concept-accuracy columns present; [] when no variant has a concept branch."""
    cols = [c for c in CONCEPT_COLUMNS if f"{c}_mean" in table.columns]
    if not cols or table[[f"{c}_mean" for c in cols]].isna().all().all():
        return []
    kv, kn = info.get("concept_k", (None, None))
    return [(c, f"{CONCEPT_NAMES[c[8:-4] if c.endswith('_map') else c[8:-3]]} "
                f"{'mAP' if c.endswith('_map') else 'P@' + str(kv if '_verb_' in c else kn)}") for c in cols]


def _concept_cells(row: pd.Series, cols: list[str], pm: str) -> list[str]:
    """Chance row: the value; a variant without a concept branch: blank; else mean ± std."""
    if row["variant"] == "chance":
        return [_num(row[f"{c}_mean"]) for c in cols]
    return ["" if math.isnan(row[f"{c}_mean"]) else cell(row[f"{c}_mean"], row[f"{c}_std"], pm) for c in cols]


def concept_markdown(table: pd.DataFrame, info: dict) -> str:
    """The concept-accuracy section of ablation.md; '' when no variant has a concept branch."""
    columns = concept_columns(table, info)
    if not columns:
        return ""
    cols = [c for c, _ in columns]
    kv, kn = info.get("concept_k", (None, None))
    lines = ["| " + " | ".join(["Variant"] + [h for _, h in columns]) + " |",
             "|" + "|".join(["---"] + ["--:"] * len(cols)) + "|"]
    for _, row in table.iterrows():
        name = "*chance*" if row["variant"] == "chance" else f"`{row['variant']}`"
        lines.append("| " + " | ".join([name] + _concept_cells(row, cols, "±")) + " |")
    return ("## Concept accuracy (test split)\n\n" + "\n".join(lines) + "\n\n"
            "How well the concept vectors name the concepts of the test captions, with training's label rules "
            "(hanet/concept_metrics.py): *video* rows score each test video's action (verb) and entity (noun) "
            "vector against the concepts of all its captions; *caption* rows score each caption's own vector "
            "against the concepts it names, its video's other captions' concepts left out. mAP: mean over "
            "concepts of the average precision of ranking the rows; P@k: share of the k top-scoring concepts "
            f"that are labels, k = {kv} actions / {kn} entities, the parts the local level picks. Percent, "
            "mean ± std over seeds; blank: the variant has no concept branch. Chance: a constant score.\n")


def write_markdown(path: Path, table: pd.DataFrame, info: dict, separated: list[dict] | None = None) -> None:
    head = ["Variant", "n"] + [f"{d.upper()} {LABELS[k]}" for d in DIRECTIONS for k in SUMMARY_KEYS] \
        + ["rsum", "Δ T2V R@1 [95% CI]", "Δ rsum [95% CI]"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["--:"] * (len(head) - 1)) + "|"]
    for _, row in table.iterrows():
        name = f"*{row['variant']}*" if row["variant"] == "chance" else f"`{row['variant']}`"
        cells = [name, str(int(row["n_seeds"])) if row["variant"] != "chance" else ""]
        cells += _metric_cells(row, "±") + [delta_cell(row, "t2v_r1"), delta_cell(row, "rsum")]
        lines.append("| " + " | ".join(cells) + " |")
    text = "# Ablation results\n\n" + "\n".join(lines) + "\n\n" + caption(info) + "\n"
    resolvable = resolvable_line(table, info["baseline"])
    if resolvable:
        text += "\n" + resolvable
    concepts = concept_markdown(table, info)
    if concepts:
        text += "\n" + concepts
    if separated is not None:
        text += "\n" + separation_markdown(separated)
    write_text(path, text)


def _tex_escape(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#")):
        s = s.replace(a, b)
    return s


def write_latex(path: Path, table: pd.DataFrame, info: dict) -> None:
    """A booktabs table* (needs \\usepackage{booktabs,graphicx})."""
    cols = "l r " + " ".join(["r"] * len(METRIC_COLUMNS)) + " r r"
    sub = " & ".join(LABELS[k] for k in SUMMARY_KEYS)
    lines = [
        r"% generated by hanet aggregate; needs \usepackage{booktabs,graphicx}",
        r"\begin{table*}[t]", r"\centering", r"\resizebox{\textwidth}{!}{%",
        rf"\begin{{tabular}}{{{cols}}}", r"\toprule",
        r" & & \multicolumn{5}{c}{Text $\rightarrow$ Video} & \multicolumn{5}{c}{Video $\rightarrow$ Text} & & "
        r"\multicolumn{2}{c}{$\Delta$ vs.\ " + _tex_escape(info["baseline"]) + r" [95\% CI]} \\",
        r"\cmidrule(lr){3-7} \cmidrule(lr){8-12} \cmidrule(lr){14-15}",
        rf"Variant & $n$ & {sub} & {sub} & rsum & T2V R@1 & rsum \\", r"\midrule",
    ]
    for _, row in table.iterrows():
        chance = row["variant"] == "chance"
        if chance:
            lines.append(r"\midrule")
        cells = [r"\textit{chance}" if chance else r"\texttt{" + _tex_escape(row["variant"]) + "}",
                 "" if chance else str(int(row["n_seeds"]))]
        cells += [c.replace("–", "--") for c in _metric_cells(row, r"$\pm$")]
        cells += [delta_cell(row, m, mark=r"$^\dagger$", dash="--").replace("−", "-")
                  for m in ("t2v_r1", "rsum")]
        lines.append(" & ".join(cells) + r" \\")
    text = caption(info).replace("±", r"$\pm$").replace("Δ", r"$\Delta$").replace(MARK, r"$^\dagger$")
    text = _tex_escape(text).replace(r"\textbackslash{}", "\\").replace("`", "")
    lines += [r"\bottomrule", r"\end{tabular}}", rf"\caption{{{text}}}", r"\label{tab:ablation}",
              r"\end{table*}"] + concept_latex(table, info)
    write_text(path, "\n".join(lines) + "\n")


def concept_latex(table: pd.DataFrame, info: dict) -> list[str]:
    """A second table (tab:concepts): concept accuracy per variant, blank without a concept branch."""
    columns = concept_columns(table, info)
    if not columns:
        return []
    cols = [c for c, _ in columns]
    lines = ["", r"\begin{table}[t]", r"\centering", r"\resizebox{\columnwidth}{!}{%",
             rf"\begin{{tabular}}{{l {' '.join(['r'] * len(cols))}}}", r"\toprule",
             "Variant & " + " & ".join(_tex_escape(h) for _, h in columns) + r" \\", r"\midrule"]
    for _, row in table.iterrows():
        chance = row["variant"] == "chance"
        if chance:
            lines.append(r"\midrule")
        name = r"\textit{chance}" if chance else r"\texttt{" + _tex_escape(row["variant"]) + "}"
        lines.append(" & ".join([name] + [c.replace("–", "--") for c in _concept_cells(row, cols, r"$\pm$")]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}}",
              r"\caption{Concept accuracy on the test split (percent, mean $\pm$ std over seeds): mean average "
              r"precision of the video-level action/entity and caption-level verb/noun concept vectors against "
              r"the test captions' concepts, and precision at the top-$k$ the local level uses. Blank: the "
              r"variant has no concept branch. Chance: a constant score.}",
              r"\label{tab:concepts}", r"\end{table}"]
    return lines


def read_reference(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise HanetError(f"{path}: file not found")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise HanetError(f"{path}: malformed CSV ({err})") from None
    need = list(REFERENCE_META) + METRIC_COLUMNS
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise HanetError(f"{path}: missing column(s) {', '.join(missing)}")
    return df


def write_reference(out: Path, ref_path: Path, dataset: str, table: pd.DataFrame, sizes: dict,
                    recipe: str | None = None) -> None:
    """reference.csv / reference.md: published rows (verbatim, with source and status) then ours
    (``recipe``: the inputs and the checkpoints' provenance of our rows, shown in their source cell)."""
    ref = read_reference(ref_path)
    published = ref[ref["dataset"] == dataset]
    ours = []
    for _, row in table[table["variant"] != "chance"].iterrows():
        ours.append({c: "" for c in ref.columns} | {
            "dataset": dataset,
            "split": f"this benchmark (test: {sizes['videos']} videos, {sizes['captions']} captions)",
            "method": f"hanet-bench {row['variant']}",
            "source": f"runs.csv (this workflow{'; ' + recipe if recipe else ''})",
            "status": f"measured here, mean of {int(row['n_seeds'])} seed(s)",
            **{c: f"{row[f'{c}_mean']:.2f}" for c in METRIC_COLUMNS},
        } | ({"note": "seeds " + row["seeds"]} if "note" in ref.columns else {}))
    both = pd.concat([published, pd.DataFrame(ours, columns=ref.columns)], ignore_index=True)
    with atomic_path(out / "reference.csv") as tmp:
        both.to_csv(tmp, index=False)

    head = ["Method", "Split", "Source", "Status"] + \
        [f"{d.upper()} {LABELS[k]}" for d in DIRECTIONS for k in SUMMARY_KEYS] + ["rsum", "Note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 4 + ["--:"] * 11 + ["---"]) + "|"]
    for _, r in both.iterrows():
        cells = [r["method"], r["split"], r["source"], f"**{r['status']}**"]
        cells += [r[c] if r[c] != "" else "–" for c in METRIC_COLUMNS]
        cells.append(r.get("note", ""))
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    note = (f"# {dataset}: this benchmark next to published numbers\n\n"
            + ("\n".join(lines) if len(both) else "(no rows)") + "\n\n"
            f"Published rows are copied verbatim from `{ref_path}`. Read the **status** column: only "
            "`verified` numbers were checked against a released artefact; `partly verified` and "
            "`unverified` numbers are recalled from the papers and must be checked before citing. "
            "Published numbers may use a different split, features or tie rule than this benchmark "
            "(see the split column).\n")
    if published.empty:
        note += f"\nThe reference file has no published rows for dataset `{dataset}`.\n"
    write_text(out / "reference.md", note)
