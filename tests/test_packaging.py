"""The project's metadata agrees with itself: pyproject.toml, environment.yml, CITATION.cff, LICENSE,
`hanet --version` and the Snakefile's min_version."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

import hanet

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name where they differ


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirement(text: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(.*?)\s*$", text.split("#")[0])
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_yml_has_the_pip_dependencies_with_the_same_bounds():
    project = pyproject()["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"] \
        + project["optional-dependencies"]["slurm"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(requirement(d) for d in env["dependencies"] if isinstance(d, str))
    for name, bound in map(requirement, wanted):
        name = CONDA_NAMES.get(name, name)
        assert name in conda, f"environment.yml lacks {name} (pyproject.toml has it)"
        assert conda[name] == bound, f"{name}: environment.yml {conda[name]!r}, pyproject.toml {bound!r}"
    assert {"pip": ["-e ."]} in env["dependencies"]  # the package itself, as pip installs it


def test_versions_license_and_citation_agree():
    version = pyproject()["project"]["version"]
    assert hanet.__version__ == version
    out = subprocess.run([sys.executable, "-m", "hanet.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"hanet-bench {version}"
    assert pyproject()["project"]["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["version"] == version and cff["license"] == "MIT"
    paper = cff["preferred-citation"]
    assert paper["title"] == "HANet: Hierarchical Alignment Networks for Video-Text Retrieval"
    assert paper["doi"] == "10.1145/3474085.3475515" and paper["year"] == 2021
    assert any("2107.12059" in i["value"] for i in paper["identifiers"])


def test_snakefile_min_version_matches_the_dependency():
    (bound,) = [b for n, b in map(requirement, pyproject()["project"]["dependencies"]) if n == "snakemake"]
    m = re.search(r'^min_version\("([0-9.]+)"\)', (ROOT / "Snakefile").read_text(), re.M)
    assert m and bound == f">={m.group(1)}"
