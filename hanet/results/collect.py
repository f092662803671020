"""Find and load run folders ``{runs}/{variant}/seed{seed}/`` (see docs/interfaces.md).

Every loader checks what it reads and raises a HanetError naming the file and the problem,
so a half-written or foreign folder never turns into a silently wrong table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hanet.errors import HanetError
from hanet.io import read_json

DIRECTIONS = ("t2v", "v2t")
SUMMARY_KEYS = ("r1", "r5", "r10", "medr", "meanr")
METRIC_COLUMNS = [f"{d}_{k}" for d in DIRECTIONS for k in SUMMARY_KEYS] + ["rsum"]
# concept accuracy (metrics.json "concepts", hanet.concept_metrics): {level}_{verb,noun}_{map,pk}, in percent
CONCEPT_COLUMNS = [f"concept_{lvl}_{key}_{m}" for lvl in ("video", "caption") for key in ("verb", "noun")
                   for m in ("map", "pk")]
RANK_KEYS = ("t2v_rank", "t2v_query", "v2t_rank", "v2t_query")
_SEED_DIR = re.compile(r"^seed(\d+)$")


@dataclass(frozen=True)
class Run:
    """One evaluated run: its identity, flat metrics and provenance."""

    variant: str
    seed: int
    path: Path
    metrics: dict[str, float]  # METRIC_COLUMNS -> value
    config_hash: str
    git_commit: str
    concepts: dict[str, float] = dataclasses.field(default_factory=dict)  # CONCEPT_COLUMNS present in the run
    concept_chance: dict[str, float] = dataclasses.field(default_factory=dict)  # the same, for constant scores


def run_dir(runs: Path, variant: str, seed: int) -> Path:
    return Path(runs) / variant / f"seed{seed}"


def discover(runs: Path) -> list[tuple[str, int]]:
    """(variant, seed) of every ``{runs}/{variant}/seed{N}/`` folder, sorted."""
    runs = Path(runs)
    if not runs.is_dir():
        raise HanetError(f"{runs}: runs folder not found")
    found = []
    for variant_dir in sorted(p for p in runs.iterdir() if p.is_dir()):
        for seed_dir in sorted(variant_dir.iterdir()):
            m = _SEED_DIR.match(seed_dir.name)
            if m and seed_dir.is_dir():
                found.append((variant_dir.name, int(m.group(1))))
    if not found:
        raise HanetError(f"{runs}: no run folders ({{variant}}/seed{{N}}/) found")
    return sorted(found, key=lambda vs: (vs[0], vs[1]))


def select(runs: Path, variants: list[str] | None, seeds: list[int] | None) -> list[tuple[str, int]]:
    """Explicit variants x seeds (each folder must exist) or, where not given, discovery."""
    if variants and seeds:
        pairs = [(v, s) for v in variants for s in seeds]
        for v, s in pairs:
            if not run_dir(runs, v, s).is_dir():
                raise HanetError(f"{run_dir(runs, v, s)}: run folder not found")
        return pairs
    pairs = discover(runs)
    if variants:
        missing = [v for v in variants if v not in {p[0] for p in pairs}]
        if missing:
            raise HanetError(f"{Path(runs) / missing[0]}: no run folder for variant {missing[0]!r}")
        pairs = sorted((p for p in pairs if p[0] in variants), key=lambda p: (variants.index(p[0]), p[1]))
    if seeds:
        pairs = [p for p in pairs if p[1] in seeds]
    return pairs


def _number(value: Any, path: Path, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise HanetError(f"{path}: {key} must be a number, got {value!r}")
    return float(value)


def flat_metrics(obj: Any, path: Path) -> dict[str, float]:
    """Check a metrics.json body and flatten it to METRIC_COLUMNS."""
    if not isinstance(obj, dict):
        raise HanetError(f"{path}: expected a JSON object")
    out = {}
    for d in DIRECTIONS:
        block = obj.get(d)
        if not isinstance(block, dict):
            raise HanetError(f"{path}: missing {d!r} metrics")
        for k in SUMMARY_KEYS:
            if k not in block:
                raise HanetError(f"{path}: missing key {d}.{k}")
            out[f"{d}_{k}"] = _number(block[k], path, f"{d}.{k}")
    if "rsum" not in obj:
        raise HanetError(f"{path}: missing key rsum")
    out["rsum"] = _number(obj["rsum"], path, "rsum")
    return out


def _optional_number(value: Any, path: Path, key: str) -> float:
    """A number, or NaN for null (e.g. a concept mAP when no test concept has a positive)."""
    return float("nan") if value is None else _number(value, path, key)


def concept_metrics(obj: dict, path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """CONCEPT_COLUMNS (and their chance levels) from a metrics.json body; empty without a concept branch."""
    block = obj.get("concepts")
    if block is None:
        return {}, {}
    values, chance = {}, {}
    try:
        for lvl in ("video", "caption"):
            for key in ("verb", "noun"):
                s = block[lvl][key + "s"]
                for m, name in (("map", "map"), ("pk", "p_at_k")):
                    col = f"concept_{lvl}_{key}_{m}"
                    values[col] = _optional_number(s[name], path, f"concepts.{lvl}.{key}s.{name}")
                    chance[col] = _optional_number(s[name + "_chance"], path, f"concepts.{lvl}.{key}s.{name}_chance")
                chance[f"k_{key}"] = int(_number(s["k"], path, f"concepts.{lvl}.{key}s.k"))
    except (KeyError, TypeError):
        raise HanetError(f"{path}: malformed 'concepts' block (expected video/caption x verbs/nouns "
                         "with map, p_at_k and their chance levels)") from None
    return values, chance


def file_sha256(path: Path) -> str:
    if not path.is_file():
        raise HanetError(f"{path}: file not found (every run folder holds its resolved config)")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_run(runs: Path, variant: str, seed: int) -> Run:
    folder = run_dir(runs, variant, seed)
    path = folder / "metrics.json"
    obj = read_json(path)
    metrics = flat_metrics(obj, path)
    prov = obj.get("provenance") if isinstance(obj.get("provenance"), dict) else {}
    concepts, chance = concept_metrics(obj, path)
    return Run(variant, seed, folder, metrics, file_sha256(folder / "config.yaml"),
               str(prov.get("git_commit", "unknown")), concepts, chance)


def load_ranks(folder: Path) -> dict[str, np.ndarray]:
    """ranks.npz of a run folder: t2v/v2t ranks (float, >= 1) with their query keys, and the
    binding-twin outcomes ``t2v_twin`` (float) where the run has them (synthetic data)."""
    path = Path(folder) / "ranks.npz"
    if not path.is_file():
        raise HanetError(f"{path}: file not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in RANK_KEYS if k not in npz.files]
            if missing:
                raise HanetError(f"{path}: missing array(s) {', '.join(missing)}")
            out = {k: npz[k] for k in RANK_KEYS}
            if "t2v_twin" in npz.files:
                out["t2v_twin"] = npz["t2v_twin"].astype(np.float64)
    except (OSError, ValueError) as err:
        raise HanetError(f"{path}: unreadable ranks file ({err})") from None
    for d in DIRECTIONS:
        r, q = out[f"{d}_rank"], out[f"{d}_query"]
        if r.ndim != 1 or r.shape != q.shape or r.size == 0:
            raise HanetError(f"{path}: {d}_rank {r.shape} and {d}_query {q.shape} must be equal non-empty 1-D")
        if not np.issubdtype(r.dtype, np.number) or np.isnan(r).any() or (r < 1).any():
            raise HanetError(f"{path}: {d}_rank must hold ranks >= 1")
        out[f"{d}_rank"] = r.astype(np.float64)
        out[f"{d}_query"] = q.astype(str)
    return out


def load_train_log(folder: Path) -> pd.DataFrame:
    path = Path(folder) / "train_log.csv"
    if not path.is_file():
        raise HanetError(f"{path}: file not found")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise HanetError(f"{path}: malformed CSV ({err})") from None
    missing = [c for c in ("epoch", "val_rsum") if c not in df.columns]
    if missing:
        raise HanetError(f"{path}: missing column(s) {', '.join(missing)}")
    return df


def load_examples(folder: Path) -> dict:
    path = Path(folder) / "examples.json"
    obj = read_json(path)
    if not isinstance(obj, dict) or not isinstance(obj.get("t2v", []), list) \
            or not isinstance(obj.get("concepts", []), list):
        raise HanetError(f"{path}: expected {{'t2v': [...], 'concepts': [...]}}")
    return obj


def runs_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per variant x seed: every metric, config hash, git commit, folder."""
    rows = [{"variant": r.variant, "seed": r.seed, **r.metrics, **r.concepts, "config_hash": r.config_hash,
             "git_commit": r.git_commit, "path": str(r.path)} for r in runs]
    return pd.DataFrame(rows, columns=["variant", "seed", *METRIC_COLUMNS, *CONCEPT_COLUMNS, "config_hash",
                                       "git_commit", "path"])
