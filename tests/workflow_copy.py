"""A scratch copy of the workflow (Snakefile, workflow/, profiles/, config/, ablations/) for Snakemake tests."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_PARTS = ("Snakefile", "workflow", "profiles", "config", "ablations")


def copy_workflow(dest: Path) -> Path:
    for name in WORKFLOW_PARTS:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    return dest
