"""Atomic file output and checked input.

Every stage writes through :func:`atomic_path`: the data goes to a temporary file in the
destination folder and is renamed into place only when complete, so an interrupted job
never leaves a file that looks finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from hanet.errors import HanetError, as_write_error


def current_umask() -> int:
    """The process umask (read by setting it and restoring it at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp creates 0600; the finished file gets the mode a plain open() would give
        # (0666 minus the umask), so labmates can read results on a shared filesystem.
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:  # a full disk or a read-only folder names the file
        named = as_write_error(err, path)
        if named is err:
            raise
        raise named from err
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> None:
    write_text(path, json.dumps(obj, indent=indent, sort_keys=False) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    """Read JSON, turning a missing or malformed file into a HanetError naming it."""
    path = Path(path)
    if not path.is_file():
        raise HanetError(f"{path}: file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise HanetError(f"{path}: malformed JSON ({err})") from None


def read_lines(path: str | os.PathLike) -> list[str]:
    """Non-empty stripped lines of a text file (split lists, id lists)."""
    path = Path(path)
    if not path.is_file():
        raise HanetError(f"{path}: file not found")
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
