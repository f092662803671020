"""Parse-time checks of the workflow's inputs: config/config.yaml and the ablations/ folder.

``workflow/rules/common.smk`` calls :func:`check_workflow` once, before Snakemake plans a
job; every refusal is a :class:`HanetError` of one line naming the file or the key. What is
checked, beyond the JSON schema (``workflow/schemas/config.schema.yaml``) and the typed
configs (``hanet.config``):

- YAML with a duplicate key (config files and ablation files; :mod:`hanet.yamlio`);
- seeds, datasets or listed ablations given twice (``seeds=[0,0]`` would report n = 2, ± 0);
- ablation file names outside ``[A-Za-z0-9_-]+`` (the stem is the variant id in paths),
  ``.yml`` files (which the glob would skip), an ablations folder without variants;
- ``baseline`` not among this run's variants, ``compare`` naming no ablation file.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import jsonschema

from hanet.errors import HanetError
from hanet.yamlio import read_yaml

VARIANT_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class WorkflowPlan:
    variants: list[str]  # ablation ids of this run, in order
    seeds: list[int]
    baseline: str
    compare: str | None  # None: the retrieval-example figure picks the first other variant


def check_config_files(paths: Sequence[str | os.PathLike], error: type[Exception] = HanetError) -> None:
    """Read each config file strictly: malformed YAML (with its line) or a duplicate key is refused.

    ``error``: the exception type raised (the Snakefile passes Snakemake's WorkflowError, which
    Snakemake prints as one message instead of a traceback).
    """
    for path in paths:
        try:
            data = read_yaml(path)
        except HanetError as err:
            raise error(str(err)) from None
        if data is not None and not isinstance(data, dict):
            raise error(f"{path}: expected a mapping of settings at the top level, got {type(data).__name__}")


def validate_schema(config: dict, schema_path: str | os.PathLike, source: str = "config/config.yaml") -> None:
    """JSON-schema validation with a short message: the key path and what is wrong, never the schema."""
    schema = read_yaml(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    err = errors[0]
    if err.context:  # anyOf/oneOf: the most specific reason
        err = jsonschema.exceptions.best_match(err.context)
    where = ".".join(str(p) for p in err.absolute_path) or "top level"
    message = err.message
    if err.validator == "additionalProperties":
        allowed = sorted((err.schema.get("properties") or {}).keys())
        if allowed:
            message += f"; allowed here: {', '.join(allowed)}"
    elif len(message) > 200:
        message = message[:200] + "..."
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    raise HanetError(f"{source}: {where}: {message}{more}")


def _duplicates(values: Sequence[Any]) -> list[Any]:
    seen, dups = set(), []
    for v in values:
        if v in seen and v not in dups:
            dups.append(v)
        seen.add(v)
    return dups


def discover_ablations(folder: str | os.PathLike) -> dict[str, Path]:
    """``{variant id: path}`` of every ``folder/*.yaml``; refuses bad names and an empty folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HanetError(f"{folder}/: folder not found (one YAML file per variant, e.g. {folder}/full.yaml)")
    stray = sorted(p.name for p in folder.glob("*.yml"))
    if stray:
        raise HanetError(f"{folder}/{stray[0]}: variant files must end in .yaml (this one would be skipped)")
    found = {p.stem: p for p in sorted(folder.glob("*.yaml"))}
    for stem, path in found.items():
        if not VARIANT_ID.match(stem):
            raise HanetError(f"{path}: the file name is the variant id in paths and tables and must match "
                             f"[A-Za-z0-9_-]+ (letters, digits, _ and -); rename it")
    if not found:
        raise HanetError(f"{folder}/: no ablation files (*.yaml); add at least one variant, e.g. {folder}/full.yaml")
    return found


def check_workflow(config: dict, schema_path: str | os.PathLike, ablations_dir: str | os.PathLike = "ablations",
                   config_files: Sequence[str | os.PathLike] = ()) -> WorkflowPlan:
    """All parse-time checks; return the variants, seeds and comparison pair of this run."""
    from hanet.config import resolve, validate_ablation

    check_config_files(config_files)
    validate_schema(config, schema_path)

    for key in ("datasets", "seeds", "ablations"):
        values = [int(v) for v in config[key]] if key == "seeds" else list(config[key])
        dups = _duplicates(values)
        if dups:
            raise HanetError(f"config/config.yaml: {key}: {dups[0]!r} is listed twice; every entry must be distinct"
                             + (" (runs with equal seeds are identical and would fake the spread)" if key == "seeds" else ""))

    for name in config["datasets"]:
        if name not in config["data"]:
            raise HanetError(f"config/config.yaml: dataset '{name}' has no section under 'data' "
                             f"(known: {', '.join(config['data'])})")
        try:  # the typed configs reject unknown keys and wrong types in the dataset's overrides
            resolve(None, {k: config["data"][name].get(k, {}) for k in ("model", "train")})
        except HanetError as err:
            raise HanetError(f"config/config.yaml: data.{name}: {err}") from None

    found = discover_ablations(ablations_dir)
    variants = list(config["ablations"]) or list(found)
    missing = [a for a in variants if a not in found]
    if missing:
        raise HanetError(f"config/config.yaml: ablations: '{missing[0]}' has no file {Path(ablations_dir) / missing[0]}.yaml "
                         f"(found: {', '.join(found)})")
    for name in variants:
        try:
            validate_ablation(found[name])
        except HanetError as err:
            raise HanetError(f"invalid ablation file: {err}") from None

    baseline, compare = config["baseline"], config["compare"]
    for key, value in (("baseline", baseline), ("compare", compare)):
        if value not in found:
            raise HanetError(f"config/config.yaml: {key}: '{value}' names no variant: there is no "
                             f"{Path(ablations_dir) / value}.yaml (found: {', '.join(found)})")
    if baseline not in variants:
        raise HanetError(f"config/config.yaml: baseline: '{baseline}' is not among this run's variants "
                         f"({', '.join(variants)}); add it to 'ablations' or set baseline to one of them")
    if compare not in variants or compare == baseline:
        others = [v for v in variants if v != baseline]
        instead = f"'{others[0]}' is shown instead" if others else "the figure shows the baseline alone"
        print(f"hanet-bench: note: compare '{compare}' is not among this run's variants other than the baseline; "
              f"in retrieval_examples.png {instead}", file=sys.stderr)
        compare = None
    return WorkflowPlan(variants=variants, seeds=[int(s) for s in config["seeds"]], baseline=baseline, compare=compare)
