"""Where a number came from: config, seed, code version, packages, device; and device choice."""

from __future__ import annotations

import dataclasses
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import torch

from hanet.config import RunConfig, config_hash

PACKAGES = ("torch", "numpy", "pandas", "h5py", "nltk", "omegaconf", "snakemake", "av")


def git_commit() -> str:
    """The checkout's commit (with ``-dirty`` when it has local changes), or ``unknown``."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def provenance(cfg: RunConfig, seed: int, device: torch.device, extra: dict | None = None) -> dict:
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    return {
        "config": dataclasses.asdict(cfg),
        "config_hash": config_hash(cfg),
        "seed": seed,
        "git_commit": git_commit(),
        "packages": package_versions(),
        "device": {"type": device.type, "name": name, "threads": torch.get_num_threads()},
        **(extra or {}),
    }
