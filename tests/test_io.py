"""hanet.io: atomic writes keep their atomicity and give files the mode the umask gives."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hanet.io import atomic_path, write_json


@pytest.fixture
def umask():
    """Set a umask for one test and restore the previous one afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(saved)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_file_has_umask_mode(tmp_path, umask, mask, expected):
    umask(mask)
    write_json(tmp_path / "metrics.json", {"rsum": 1.0})
    assert mode(tmp_path / "metrics.json") == expected
    # a plain open() under the same umask agrees: atomic files look like any other file
    (tmp_path / "plain.txt").write_text("x")
    assert mode(tmp_path / "plain.txt") == expected


def test_mode_applies_to_files_written_by_other_libraries(tmp_path, umask):
    umask(0o022)
    with atomic_path(tmp_path / "table.bin") as tmp:
        tmp.unlink()  # a writer that replaces the temporary file (like some savers do)
        tmp.write_bytes(b"\x00" * 8)
    assert mode(tmp_path / "table.bin") == 0o644


def test_failed_write_leaves_no_file_and_no_temporary(tmp_path, umask):
    umask(0o022)
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "best.pt") as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
