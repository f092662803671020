"""Where the public-parity fixtures are (tests/test_public_parity.py, tests/test_release_batches.py).

``HANET_PARITY_FIXTURES`` lists paths separated by ``os.pathsep``; default: the copy in
tests/fixtures/public_parity/public-small. Each path is either one fixture folder (it holds
``model.json``, ``checkpoint.th``, ``batches.npz``, ``expected.npz``, ``annotation/``) or a folder of
fixture folders, such as ../shared/reference/parity. A relative path that does not exist from the
working directory is taken from the repository root.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "fixtures" / "public_parity" / "public-small"
MARKER = "model.json"


def fixture_dirs(spec: str | None = None) -> list[Path]:
    """The fixture folders named by ``spec`` (default: the environment variable), in order. A path
    holding no fixture is kept as it is, so that the test using it fails naming the missing file."""
    spec = os.environ.get("HANET_PARITY_FIXTURES", str(DEFAULT)) if spec is None else spec
    found: list[Path] = []
    for entry in (p for p in spec.split(os.pathsep) if p):
        path = Path(entry)
        if not path.is_absolute() and not path.exists():
            path = ROOT / path
        if (path / MARKER).is_file() or not path.is_dir():
            found.append(path)
            continue
        inner = sorted(d for d in path.iterdir() if (d / MARKER).is_file())
        found.extend(inner or [path])
    return found
