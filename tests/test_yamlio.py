"""Strict YAML: a duplicate key or malformed YAML is refused naming the file and the line."""

from __future__ import annotations

import pytest

from hanet.config import resolve
from hanet.errors import HanetError
from hanet.yamlio import parse_yaml, read_yaml


@pytest.mark.parametrize("text, line, key", [
    ("a: 1\nb: 2\na: 3\n", 3, "a"),
    ("model:\n  levels: [global]\nmodel:\n  dim: 64\n", 3, "model"),
    ("train:\n  lr: 0.1\n  lr: 0.2\n", 3, "lr"),
    ("x: {p: 1, p: 2}\n", 1, "p"),
])
def test_duplicate_key_is_refused_with_its_line(text, line, key):
    with pytest.raises(HanetError) as err:
        parse_yaml(text, "f.yaml")
    assert str(err.value).startswith(f"f.yaml: line {line}: duplicate key '{key}'")


def test_malformed_yaml_names_the_line():
    with pytest.raises(HanetError, match=r"^f.yaml: line 2, column 5: malformed YAML: .*started on line 1"):
        parse_yaml("seeds: [0, 1\ndata: {}\n", "f.yaml")


def test_plain_yaml_and_merge_keys_still_load(tmp_path):
    assert parse_yaml("a: &x {p: 1}\nb:\n  <<: *x\n  q: 2\n", "f") == {"a": {"p": 1}, "b": {"p": 1, "q": 2}}
    path = tmp_path / "c.yaml"
    path.write_text("- a\n- a\n")
    assert read_yaml(path) == ["a", "a"]  # repeated list items are fine
    with pytest.raises(HanetError, match="file not found"):
        read_yaml(tmp_path / "missing.yaml")


def test_ablation_with_two_model_blocks_is_refused(tmp_path):
    """The attack: the first `model:` block was silently dropped, so global_only trained the full model."""
    path = tmp_path / "global_only.yaml"
    path.write_text("description: x\nmodel:\n  levels: [global]\ntrain:\n  lr: 0.001\nmodel:\n  dim: 64\n")
    with pytest.raises(HanetError, match=r"global_only.yaml: line 6: duplicate key 'model' \(first given on line 2\)"):
        resolve(path)
