"""Strict YAML reading: every YAML file the suite reads goes through :func:`read_yaml`.

PyYAML's ``safe_load`` keeps the last of two equal keys and drops the first without a word,
so an ablation file with two ``model:`` blocks silently trains something else. The loader
here refuses a duplicate key, naming the file, the key and both lines; a malformed file is
reported with the line and column where parsing stopped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from hanet.errors import HanetError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that raises on a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<:` merge keys may repeat
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    raise _Duplicate(key, seen[key], key_node.start_mark.line + 1)
                seen[key] = key_node.start_mark.line + 1
            except TypeError:  # an unhashable key: let SafeLoader report it
                continue
        return super().construct_mapping(node, deep=deep)


class _Duplicate(Exception):
    def __init__(self, key: Any, first: int, again: int) -> None:
        super().__init__(key, first, again)
        self.key, self.first, self.again = key, first, again


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML ``text``; ``source`` names it in errors (a file path, or 'ablation file')."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _Duplicate as dup:
        raise HanetError(f"{source}: line {dup.again}: duplicate key '{dup.key}' (first given on line "
                         f"{dup.first}); YAML would silently keep only the last one") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        context, start = getattr(err, "context", None), getattr(err, "context_mark", None)
        if context and start is not None and start is not mark:
            context += f" started on line {start.line + 1}"
        detail = f"{problem} ({context})" if context else problem
        raise HanetError(f"{source}: {where}malformed YAML: {detail}") from None


def read_yaml(path: str | os.PathLike) -> Any:
    """Read a YAML file strictly; a missing, unreadable or malformed file is a HanetError naming it."""
    path = Path(path)
    if not path.is_file():
        raise HanetError(f"{path}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise HanetError(f"{path}: cannot be read ({err})") from None
    return parse_yaml(text, str(path))
