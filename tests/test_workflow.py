"""End to end: the Snakemake DAG on the tiny synthetic dataset, in a scratch copy of the repo.

One real run (2 variants x 1 seed), then dry runs that check what a user relies on: a
finished workflow does nothing, a new ablation file adds exactly its jobs, an edited one
re-runs only its variant, a deleted metrics.json re-runs only that run and the aggregates,
and a bad ablation file stops the workflow at parse time naming the file and the key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from workflow_copy import copy_workflow

TINY = ["--config", "datasets=[synth_tiny]", "seeds=[0]", "ablations=[full,global_only]"]

pytestmark = pytest.mark.workflow


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("snakemake")
    proc = subprocess.run([str(exe), "--cores", "2", *args], cwd=workdir, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"}, umask=0o022)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def planned_jobs(proc: subprocess.CompletedProcess) -> dict[str, int]:
    """Job counts per rule from a dry run's summary table."""
    text = proc.stdout + proc.stderr
    table = text.split("Job stats:")[-1] if "Job stats:" in text else ""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)
            if m.group(1) != "total"}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    work = copy_workflow(tmp_path_factory.mktemp("wf"))
    proc = snakemake(work, *TINY)
    (work / "console.txt").write_text(proc.stdout + proc.stderr)  # what the user saw
    return work


def test_run_writes_every_contract_file(finished):
    for variant in ("full", "global_only"):
        run = finished / "results/synth_tiny" / variant / "seed0"
        metrics = json.loads((run / "metrics.json").read_text())
        assert metrics["provenance"]["config"]["model"]["levels"] == (
            ["global"] if variant == "global_only" else ["individual", "local", "global"])
        for name in ("ranks.npz", "train_log.csv", "best.pt", "config.yaml", "examples.json"):
            assert (run / name).is_file(), name
    for name in ("runs.csv", "ablation.md", "ablation.csv", "ablation.tex", "plots/recall.png"):
        assert (finished / "results/synth_tiny" / name).is_file(), name
    assert "global_only" in (finished / "results/synth_tiny/ablation.md").read_text()


def test_run_writes_concept_accuracy_and_phenomenon_slices(finished):
    full = json.loads((finished / "results/synth_tiny/full/seed0/metrics.json").read_text())
    assert set(full["concepts"]) == {"video", "caption", "tie_rule"} and "twins" in full
    assert "concepts" not in json.loads((finished / "results/synth_tiny/global_only/seed0/metrics.json").read_text())
    assert "## Concept accuracy" in (finished / "results/synth_tiny/ablation.md").read_text()
    phen = json.loads((finished / "resources/synth_tiny/prepared/phenomena.json").read_text())
    assert set(phen["phenomena"]) == {"twin", "temporal", "partial", "distractor", "objects"}
    md = (finished / "results/synth_tiny/slices.md").read_text()
    assert "| all |" in md and "`global_only`" in md
    for name in ("slices.csv", "twins.csv", "plots/slices.png"):
        assert (finished / "results/synth_tiny" / name).is_file(), name


def test_results_are_readable_by_group_and_others(finished):
    """Under umask 022 every file the run wrote under results/ is 0644, like any other file."""
    files = [p for p in (finished / "results").rglob("*") if p.is_file()]
    assert len(files) > 20
    modes = {str(p.relative_to(finished)): oct(p.stat().st_mode & 0o777) for p in files}
    assert set(modes.values()) == {"0o644"}, modes


def test_run_ends_with_a_summary(finished):
    console = (finished / "console.txt").read_text()
    assert "Using workflow specific profile profiles/default" in console
    summary = console[console.index("hanet-bench: done."):]
    assert "results/synth_tiny/ablation.md" in summary and "snakemake --report results/report.html" in summary
    assert re.search(r"^  (full|global_only) +\d+\.\d", summary, re.M)  # the top of the ablation table


def test_rerun_after_completion_does_nothing(finished):
    proc = snakemake(finished, "-n", *TINY)
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_new_ablation_file_adds_only_its_jobs(finished):
    shutil.copy(finished / "ablations/global_only.yaml", finished / "ablations/global_copy.yaml")
    try:
        args = ["--config", "datasets=[synth_tiny]", "seeds=[0]", "ablations=[full,global_only,global_copy]"]
        jobs = planned_jobs(snakemake(finished, "-n", *args))
        assert jobs.get("train") == 1 and jobs.get("evaluate") == 1 and "parse_captions" not in jobs
    finally:
        (finished / "ablations/global_copy.yaml").unlink()


def test_edited_ablation_reruns_only_that_variant(finished):
    path = finished / "ablations/global_only.yaml"
    original = path.read_text()
    try:
        time.sleep(1.1)
        path.write_text(original + "train:\n  lr: 0.002\n")
        proc = snakemake(finished, "-n", *TINY)
        jobs = planned_jobs(proc)
        assert jobs.get("train") == 1 and jobs.get("evaluate") == 1
        assert "results/synth_tiny/full/seed0/best.pt" not in proc.stdout
    finally:
        path.write_text(original)
        os.utime(path, (0, 0))  # back to older than its outputs


def test_removed_metrics_recomputes_that_run_and_aggregates(finished):
    metrics = finished / "results/synth_tiny/full/seed0/metrics.json"
    saved = metrics.read_bytes()
    metrics.unlink()
    try:
        jobs = planned_jobs(snakemake(finished, "-n", *TINY))
        assert jobs.get("evaluate") == 1 and jobs.get("aggregate") == 1 and "train" not in jobs
    finally:
        metrics.write_bytes(saved)


@pytest.mark.parametrize("body, key", [("modle: {}\n", "modle"), ("model:\n  levels: 3\n", "levels")])
def test_bad_ablation_stops_at_parse_time(finished, body, key):
    bad = finished / "ablations/broken.yaml"
    bad.write_text(body)
    try:
        proc = snakemake(finished, "-n", "--config", "datasets=[synth_tiny]", "seeds=[0]", "ablations=[]",
                         check=False)
        assert proc.returncode != 0
        out = proc.stdout + proc.stderr
        assert "ablations/broken.yaml" in out and key in out
    finally:
        bad.unlink()
