"""`hanet gpu-run`: one job per GPU (real processes, fake GPU ids: no GPU needed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hanet.gpus import default_lock_dir, try_claim, visible_gpus

HANET = [sys.executable, "-m", "hanet.cli"]
# Prints the GPU it was given, then holds it until the file `release` appears.
HOLD = ("import os, sys, time, pathlib\n"
        "print(os.environ.get('CUDA_VISIBLE_DEVICES', 'unset'), flush=True)\n"
        "while not pathlib.Path(sys.argv[1]).exists(): time.sleep(0.02)\n")


@pytest.mark.parametrize("value, expected", [("0,1,2,3", ["0", "1", "2", "3"]), ("2, 5", ["2", "5"]),
                                             ("", []), ("-1", []), ("GPU-3f1c", ["GPU-3f1c"])])
def test_visible_gpus_from_cuda_visible_devices(value, expected):
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": value}) == expected


def test_lock_dir_is_per_slurm_allocation(monkeypatch):
    monkeypatch.delenv("HANET_GPU_LOCK_DIR", raising=False)
    a, b = default_lock_dir({"SLURM_JOB_ID": "11"}), default_lock_dir({"SLURM_JOB_ID": "12"})
    assert a != b and a.name.endswith("slurm11") and default_lock_dir({}) not in (a, b)
    assert default_lock_dir({"HANET_GPU_LOCK_DIR": "/x/locks"}) == Path("/x/locks")


def gpu_run(tmp_path: Path, *args: str, release: Path) -> subprocess.Popen:
    cmd = [*HANET, "gpu-run", "--lock-dir", str(tmp_path / "locks"), "--poll", "0.05", *args,
           "--", sys.executable, "-c", HOLD, str(release)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "CUDA_VISIBLE_DEVICES": "0,1,2,3"})


def test_four_jobs_get_four_gpus_and_a_fifth_waits(tmp_path):
    release = tmp_path / "release"
    first = [gpu_run(tmp_path, "--count", "1", release=release) for _ in range(4)]
    devices = sorted(p.stdout.readline().strip() for p in first)
    assert devices == ["0", "1", "2", "3"]  # four at once, each on its own GPU
    fifth = gpu_run(tmp_path, "--count", "1", release=tmp_path / "release5")
    time.sleep(0.5)
    assert fifth.poll() is None and try_claim(["0", "1", "2", "3"], tmp_path / "locks") is None
    release.touch()  # the first four end; their locks go with their processes
    for p in first:
        assert p.wait(timeout=30) == 0
    assert fifth.stdout.readline().strip() in {"0", "1", "2", "3"}
    assert "waiting" in fifth.stderr.readline()
    (tmp_path / "release5").touch()
    assert fifth.wait(timeout=30) == 0


def test_lock_is_released_when_the_job_is_killed(tmp_path):
    job = gpu_run(tmp_path, "--gpus", "7", release=tmp_path / "never")
    assert job.stdout.readline().strip() == "7"
    assert try_claim(["7"], tmp_path / "locks") is None
    job.kill()
    job.wait(timeout=30)
    got = try_claim(["7"], tmp_path / "locks")
    assert got is not None and got[0] == "7"
    os.close(got[1])


@pytest.mark.parametrize("args", [["--count", "0"], ["--count", "1", "--device", "cpu"]])
def test_cpu_jobs_claim_nothing(tmp_path, args):
    release = tmp_path / "release"
    release.touch()
    job = gpu_run(tmp_path, *args, release=release)
    out, _ = job.communicate(timeout=30)
    assert job.returncode == 0 and out.strip() == "0,1,2,3"  # environment untouched
    assert not (tmp_path / "locks").exists()


def test_missing_command_is_one_clear_error(tmp_path):
    proc = subprocess.run([*HANET, "gpu-run", "--count", "1"], capture_output=True, text=True)
    assert proc.returncode == 1 and "hanet gpu-run: error: no command given" in proc.stderr
