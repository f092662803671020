"""`hanet summary`: the end-of-run console lines, from a real `hanet aggregate` table."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from fake_runs import make_run
from hanet.results.aggregate import aggregate
from hanet.results.summary import summary

# full: t2v R@1 50 and 100 over two seeds; no_local: 25 and 25; global_only: 0 and 25
RUNS = {"full": {0: ([1, 1, 3, 4], [1, 2, 1, 5]), 1: ([1, 1, 1, 1], [1, 1, 1, 1])},
        "no_local": {0: ([1, 2, 3, 4], [2, 2, 2, 2]), 1: ([2, 1, 5, 4], [3, 1, 2, 2])},
        "global_only": {0: ([2, 2, 3, 4], [2, 3, 2, 2]), 1: ([1, 2, 4, 4], [4, 3, 2, 2])}}


@pytest.fixture
def results(tmp_path):
    root = tmp_path / "results"
    for variant, seeds in RUNS.items():
        for seed, (t2v, v2t) in seeds.items():
            make_run(root / "synth", variant, seed, t2v, v2t)
    aggregate(root / "synth", root / "synth", n_boot=20)
    return root


def test_top_of_the_table_best_first(results):
    table = pd.read_csv(results / "synth/ablation.csv")
    best = table[table.variant != "chance"].sort_values("rsum_mean", ascending=False)
    text = summary(results, ["synth"], top=2)
    lines = [ln for ln in text.splitlines() if ln.startswith("  ") and "variant" not in ln]
    assert [ln.split()[0] for ln in lines[:2]] == list(best.variant[:2])
    full = best[best.variant == "full"].iloc[0]
    assert f"{full.rsum_mean:.1f} ± {full.rsum_std:.1f}" in text and f"{full.t2v_r1_mean:.1f}" in text
    assert "... 1 more in" in text
    assert f"tables {results}/synth/ablation.md" in text
    assert f"snakemake --report {results}/report.html" in text


def test_missing_dataset_is_named_not_an_error(results):
    text = summary(results, ["synth", "msrvtt"])
    assert "msrvtt: no ablation table yet" in text and "synth: 3 variants x 2 seed(s)" in text


def test_report_path_when_present(results):
    (results / "report.html").write_text("<html></html>")
    assert f"Report: {results}/report.html" in summary(results, ["synth"])


def test_cli_never_fails(tmp_path):
    (tmp_path / "synth").mkdir()
    (tmp_path / "synth/ablation.csv").write_text("not,a\nreal,table\n")
    proc = subprocess.run([sys.executable, "-m", "hanet.cli", "summary", "--results", str(tmp_path),
                           "--datasets", "synth"], capture_output=True, text=True)
    assert proc.returncode == 0 and "no summary" in proc.stdout
