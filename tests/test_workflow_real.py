"""The real-data DAG (MSR-VTT, VATEX) planned offline: dry runs only, in a scratch copy of the repo.

Checks that `snakemake --config datasets=[msrvtt]` (and vatex) plans every stage from the downloads
to the tables, that the commands carry the paper's settings (verified downloads, ResNet-152 weights,
stride 16 / 20 frames, pretrained tagger on the fetched NLTK data), that GPU jobs declare gpu=1, and
that the config schema rejects a malformed download entry.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_copy import copy_workflow


pytestmark = pytest.mark.workflow


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("snakemake")
    # one (fake) GPU: the plan of a GPU workstation, whatever machine runs the tests
    return subprocess.run([str(exe), "--cores", "2", *args], cwd=workdir, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "0", "CUDA_VISIBLE_DEVICES": "0"})


def planned_jobs(text: str) -> dict[str, int]:
    table = text.split("Job stats:")[-1] if "Job stats:" in text else ""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)
            if m.group(1) != "total"}


def job_blocks(text: str) -> list[dict[str, str]]:
    """Each planned job of a dry run as {'rule', 'resources', 'shell', ...}."""
    jobs = []
    for block in re.split(r"^(?=rule \w+:$)", text, flags=re.M)[1:]:
        job = {"rule": block.split(":", 1)[0].split()[1]}
        for line in block.splitlines()[1:]:
            key, _, value = line.strip().partition(": ")
            if key in ("resources", "wildcards", "output", "input"):
                job[key] = value
            elif key == "Shell command":
                job["shell"] = value
        jobs.append(job)
    return jobs


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    work = copy_workflow(tmp_path_factory.mktemp("wf_real"))
    return work


_PLANS: dict[tuple[Path, str], tuple[dict[str, int], list[dict[str, str]]]] = {}


def dry_run(repo: Path, dataset: str) -> tuple[dict[str, int], list[dict[str, str]]]:
    """Planned job counts and jobs of the default target (cached: each dry run takes seconds)."""
    if (repo, dataset) in _PLANS:
        return _PLANS[repo, dataset]
    proc = snakemake(repo, "-n", "-p", "--config", f"datasets=[{dataset}]", "seeds=[0]",
                     "ablations=[full,global_only]")
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-4000:]
    _PLANS[repo, dataset] = planned_jobs(text), job_blocks(text)
    return _PLANS[repo, dataset]


def shells(jobs, rule):
    return [j.get("shell", "") for j in jobs if j["rule"] == rule]


def test_msrvtt_plans_every_stage(repo):
    counts, jobs = dry_run(repo, "msrvtt")
    for rule, n in {"download_dataset_file": 3, "download_weights": 1, "nltk_data": 1, "prepare_msrvtt": 1,
                    "extract_features": 1, "parse_captions": 1, "glove_init": 1, "train": 2, "evaluate": 2,
                    "aggregate": 1}.items():
        assert counts.get(rule) == n, (rule, counts)
    # the published recipe starts from GloVe: rows for this vocabulary, loaded by train.init_from
    (glove,) = shells(jobs, "glove_init")
    assert "--glove resources/msrvtt/downloads/glove.42B.300d.zip" in glove
    assert "--vocab resources/msrvtt/text/vocab.json" in glove
    assert all('"init_from": "resources/msrvtt/text/glove_init.th"' in s for s in shells(jobs, "train"))
    assert "synthesize" not in counts and "prepare_vatex" not in counts

    downloads = " ".join(shells(jobs, "download_dataset_file") + shells(jobs, "download_weights"))
    assert "--lock resources/checksums.lock.json" in downloads
    assert "--fallback https://huggingface.co/" in downloads  # the videos zip has a mirror
    assert "resources/weights/resnet152-394f9c45.pth" in downloads and "394f9c45" in downloads
    (extract,) = shells(jobs, "extract_features")
    for flag in ("--extractor resnet152", "--max-frames 20", "--stride 16", "--allow-failures",
                 "--extractor-arg weights=resources/weights/resnet152-394f9c45.pth"):
        assert flag in extract, flag
    (ex_job,) = [j for j in jobs if j["rule"] == "extract_features"]
    assert "resources/weights/resnet152-394f9c45.pth" in ex_job["input"]  # weights are a real input
    (prepare,) = shells(jobs, "prepare_msrvtt")
    assert "hanet msrvtt" in prepare and "--split full" in prepare
    (parse,) = shells(jobs, "parse_captions")
    assert "--tagger pretrained --nltk-data resources/nltk_data" in parse
    (nltk_job,) = [j for j in jobs if j["rule"] == "nltk_data"]
    assert nltk_job["output"] == "resources/nltk_data/hanet_nltk_data.json"  # what `hanet nltk-data` writes last
    assert all('"ft_dim": 2048' in s and '"max_frames": 20' in s for s in shells(jobs, "train"))
    (reference,) = shells(jobs, "reference_table")
    assert "--dataset-name msrvtt" in reference


def test_vatex_plans_every_stage(repo):
    counts, jobs = dry_run(repo, "vatex")
    for rule, n in {"download_dataset_file": 7, "nltk_data": 1, "prepare_vatex": 1, "parse_captions": 1,
                    "glove_init": 1, "train": 2, "evaluate": 2, "aggregate": 1}.items():
        assert counts.get(rule) == n, (rule, counts)
    assert "extract_features" not in counts and "download_weights" not in counts  # I3D features come prepared
    lists = [s for s in shells(jobs, "download_dataset_file") if "_list.txt" in s]
    assert len(lists) == 3 and all(re.search(r"--sha256 [0-9a-f]{64}", s) for s in lists)
    (prepare,) = shells(jobs, "prepare_vatex")
    assert "--split-lists resources/vatex/downloads/splits" in prepare and "--max-frames 30" in prepare
    assert all('"ft_dim": 1024' in s and '"max_frames": 30' in s for s in shells(jobs, "train"))
    assert "--dataset-name vatex" in shells(jobs, "reference_table")[0]


@pytest.mark.parametrize("dataset", ["msrvtt", "vatex"])
def test_gpu_jobs_request_a_gpu(repo, dataset):
    _, jobs = dry_run(repo, dataset)
    for job in jobs:
        if job["rule"] in ("train", "evaluate") or (job["rule"] == "extract_features" and dataset == "msrvtt"):
            assert re.search(r"\bgpu=1\b", job.get("resources", "")), job
        if job["rule"].startswith("download") or job["rule"] in ("nltk_data", "parse_captions"):
            assert "gpu=1" not in job.get("resources", ""), job


def test_reference_table_for_real_datasets(repo):
    proc = snakemake(repo, "-n", "-p", "results/msrvtt/reference.md", "--config", "datasets=[msrvtt]",
                     "seeds=[0]", "ablations=[full]")
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-4000:]
    assert planned_jobs(text).get("reference_table") == 1
    (shell,) = [j["shell"] for j in job_blocks(text) if j["rule"] == "reference_table"]
    assert "--reference config/reference-results.csv --dataset-name msrvtt" in shell


def test_schema_rejects_unknown_download_key(repo, tmp_path):
    extra = tmp_path / "bad.yaml"
    extra.write_text("data:\n  msrvtt:\n    download:\n      videos:\n        mirror: http://example.org/x.zip\n")
    proc = snakemake(repo, "-n", "--configfile", "config/config.yaml", str(extra),
                     "--config", "datasets=[msrvtt]", "seeds=[0]")
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "mirror" in text
