"""How the workflow runs on a laptop, a multi-GPU workstation and a SLURM cluster: dry runs in a
scratch copy of the repository, with fake GPU ids (CUDA_VISIBLE_DEVICES), so no GPU is needed."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_copy import copy_workflow

pytestmark = pytest.mark.workflow

TINY = ["--config", "datasets=[synth_tiny]", "seeds=[0,1]", "ablations=[full,global_only]"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("wf_modes"))


def dry_run(repo: Path, *args: str, gpus: str = "") -> str:
    exe = Path(sys.executable).with_name("snakemake")
    proc = subprocess.run([str(exe), "-n", *args], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "0", "CUDA_VISIBLE_DEVICES": gpus})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout + proc.stderr


def jobs(text: str) -> list[dict[str, str]]:
    """Each planned job as {'rule', 'resources', 'wildcards', 'shell'}."""
    found = []
    for block in re.split(r"^(?=(?:local)?rule \w+:$)", text, flags=re.M)[1:]:
        job = {"rule": block.split(":", 1)[0].split()[1], "resources": "", "wildcards": "", "shell": ""}
        for line in block.splitlines()[1:]:
            key, _, value = line.strip().partition(": ")
            if key in ("resources", "wildcards"):
                job[key] = value
            elif key == "Shell command":
                job["shell"] = value
        found.append(job)
    return found


def gpu(job: dict[str, str]) -> int:
    m = re.search(r"\bgpu=(\d+)", job["resources"])
    return int(m.group(1)) if m else 0


def test_plain_run_uses_the_default_profile(repo):
    text = dry_run(repo, *TINY)  # no --cores: profiles/default sets it
    assert "Using workflow specific profile profiles/default" in text
    assert "Shell command: hanet" in text  # printshellcmds from the profile


def test_four_gpus_four_trainings_each_on_its_own_gpu(repo):
    text = dry_run(repo, "--cores", "8", *TINY, gpus="0,1,2,3")
    assert "4 GPU(s) visible (0,1,2,3); at most 4 GPU job(s) at once" in text
    trains = [j for j in jobs(text) if j["rule"] == "train"]
    assert len(trains) == 4 and all(gpu(j) == 1 for j in trains)
    assert all(j["shell"].startswith("hanet gpu-run --count 1 --device auto -- hanet train") for j in trains)
    (extract,) = [j for j in jobs(text) if j["rule"] == "extract_features"]
    assert gpu(extract) == 0 and extract["shell"].startswith("hanet gpu-run --count 0 --")


def test_user_limit_on_gpus_is_kept(repo):
    text = dry_run(repo, "--cores", "8", "--resources", "gpu=2", *TINY, gpus="0,1,2,3")
    assert "at most 2 GPU job(s) at once" in text


def test_without_gpus_nothing_waits_for_one(repo):
    text = dry_run(repo, "--cores", "8", *TINY, gpus="")
    assert "GPU(s) visible" not in text
    assert all(gpu(j) == 0 for j in jobs(text))


def test_commands_do_not_depend_on_the_machine(repo):
    """Same shell commands with and without GPUs, so moving a results folder re-runs nothing."""
    def shells(gpus):
        return sorted(j["shell"].replace("--count 1", "--count N").replace("--count 0", "--count N")
                      for j in jobs(dry_run(repo, "--cores", "8", *TINY, gpus=gpus)))
    assert shells("") == shells("0,1")


@pytest.mark.skipif(importlib.util.find_spec("snakemake_executor_plugin_slurm") is None,
                    reason="needs snakemake-executor-plugin-slurm (pip install -e '.[slurm]')")
def test_slurm_profile_downloads_local_and_gpu_only_where_used(repo):
    text = dry_run(repo, "--workflow-profile", "profiles/slurm", "--config", "datasets=[synth_tiny,msrvtt]",
                   "seeds=[0]", "ablations=[full]", gpus="0,1")
    assert ("local rules (they need the network, so they run on this node): download_dataset_file, "
            "download_weights, nltk_data") in text
    assert "GPU(s) visible" not in text  # the login node's GPUs are not a limit for the cluster
    planned = jobs(text)
    for job in planned:
        uses_gpu = job["rule"] in ("train", "evaluate") or (
            job["rule"] == "extract_features" and "extractor=resnet152" in job["wildcards"])
        assert gpu(job) == int(uses_gpu), job
        if uses_gpu:
            assert "slurm_partition=gpu" in job["resources"], job
    assert {"download_dataset_file", "download_weights", "nltk_data", "extract_features"} <= {j["rule"] for j in planned}
    synth_extract = [j for j in planned if j["rule"] == "extract_features" and "synth_tiny" in j["wildcards"]]
    assert synth_extract and "slurm_partition=cpu" in synth_extract[0]["resources"]
