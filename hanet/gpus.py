"""One job per GPU on a multi-GPU machine: `hanet gpu-run --count N -- <command>`.

Snakemake's scheduler counts GPU jobs (`resources: gpu=1`, limited to the number of visible
GPUs, see workflow/rules/common_gpu.smk) but cannot say *which* GPU a job gets. This stage
does: it takes an exclusive lock on one GPU (a file lock per GPU, shared by every job of this
user on this machine, or of this SLURM allocation), sets ``CUDA_VISIBLE_DEVICES`` to that GPU
and replaces itself with the command. The lock belongs to the command's process, so it is
released when the job ends, however it ends (success, error, kill). While every GPU is locked
it waits for one, so even a scheduler that starts too many jobs never puts two on one GPU.

    hanet gpu-run --count 1 --device auto -- hanet train ... --device auto

``--count 0`` (a job that asked for no GPU), ``--device cpu`` or no visible GPU run the
command as it is. ``--device cuda:N`` locks GPU N and leaves the device choice to the command.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hanet.errors import HanetError

NO_GPU = {"", "-1", "none", "NoDevFiles"}


def visible_gpus(env: dict[str, str] | None = None) -> list[str]:
    """GPU ids this process may use: ``CUDA_VISIBLE_DEVICES`` when set, else what nvidia-smi lists.

    No torch import (it is slow and would start CUDA in the Snakemake process).
    """
    env = os.environ if env is None else env
    if "CUDA_VISIBLE_DEVICES" in env:
        ids = [g.strip() for g in env["CUDA_VISIBLE_DEVICES"].split(",")]
        return [] if not ids or ids[0] in NO_GPU else [g for g in ids if g]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def default_lock_dir(env: dict[str, str] | None = None) -> Path:
    """$HANET_GPU_LOCK_DIR, else one folder per user (and per SLURM allocation) in the temp dir.

    Inside SLURM each allocation has its own GPUs, often all numbered 0, so jobs of different
    allocations on one node must not share locks; jobs of one allocation (a local run inside
    `salloc`) must.
    """
    env = os.environ if env is None else env
    if env.get("HANET_GPU_LOCK_DIR"):
        return Path(env["HANET_GPU_LOCK_DIR"])
    name = f"hanet-gpu-locks-{os.getuid()}" + (f"-slurm{env['SLURM_JOB_ID']}" if env.get("SLURM_JOB_ID") else "")
    return Path(tempfile.gettempdir()) / name


def try_claim(gpus: list[str], lock_dir: Path) -> tuple[str, int] | None:
    """Lock the first free GPU; return (gpu id, open lock fd) or None when all are taken."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    for gpu in gpus:
        fd = os.open(lock_dir / f"gpu{gpu}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return gpu, fd
    return None


def claim(gpus: list[str], lock_dir: Path, poll: float = 5.0, log=None) -> tuple[str, int]:
    """Lock a free GPU, waiting (polling every ``poll`` seconds) while all are in use."""
    if not gpus:
        raise HanetError("no GPU to claim")
    waited = False
    while True:
        got = try_claim(gpus, lock_dir)
        if got is not None:
            return got
        if not waited and log is not None:
            log(f"all {len(gpus)} GPUs ({','.join(gpus)}) are in use by other hanet jobs; waiting for one")
        waited = True
        time.sleep(poll)


def _log(message: str) -> None:
    print(f"gpu-run: {message}", file=sys.stderr, flush=True)


def cli(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="hanet gpu-run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=1, help="GPUs the job asked for (Snakemake's resources.gpu); 0 = none")
    p.add_argument("--device", default="auto", help="the job's --device: auto/cuda (any free GPU), cuda:N, cpu")
    p.add_argument("--gpus", default=None,
                   help="comma-separated GPU ids to choose from (default: CUDA_VISIBLE_DEVICES, else nvidia-smi)")
    p.add_argument("--lock-dir", type=Path, default=None,
                   help="folder of the per-GPU lock files (default: $HANET_GPU_LOCK_DIR or <tmp>/hanet-gpu-locks-<uid>)")
    p.add_argument("--poll", type=float, default=5.0, help="seconds between tries while every GPU is busy")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    a = p.parse_args(argv)
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not command:
        raise HanetError("no command given (hanet gpu-run --count 1 -- hanet train ...)")
    if a.count > 1:
        raise HanetError(f"--count {a.count}: a job takes at most one GPU")
    env = dict(os.environ)
    if a.count == 0 or a.device == "cpu":
        pass  # a CPU job: nothing to claim
    elif a.device.startswith("cuda:"):
        index, visible = a.device.split(":", 1)[1], visible_gpus()
        gpu = visible[int(index)] if index.isdigit() and int(index) < len(visible) else index
        gpu, fd = claim([gpu], a.lock_dir or default_lock_dir(), a.poll, _log)
        os.set_inheritable(fd, True)
        _log(f"GPU {gpu} (pinned by --device {a.device}) -> {' '.join(command)}")
    else:
        if not a.gpus and "CUDA_VISIBLE_DEVICES" not in env:
            env["CUDA_DEVICE_ORDER"] = env.get("CUDA_DEVICE_ORDER", "PCI_BUS_ID")  # ids as nvidia-smi numbers them
        gpus = [g for g in a.gpus.split(",") if g] if a.gpus else visible_gpus()
        if gpus:
            gpu, fd = claim(gpus, a.lock_dir or default_lock_dir(), a.poll, _log)
            os.set_inheritable(fd, True)  # the lock lives as long as the command's process
            env["CUDA_VISIBLE_DEVICES"] = gpu
            _log(f"GPU {gpu} (of {','.join(gpus)}) -> {' '.join(command)}")
        else:
            _log("no GPU visible, running on the CPU")
    try:
        os.execvpe(command[0], command, env)
    except OSError as err:
        raise HanetError(f"cannot run {command[0]!r}: {err}") from None
