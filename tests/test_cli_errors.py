"""Errors a user meets in ordinary use end in one line naming the file, not a traceback:
a full disk, a read-only or unwritable output folder (hanet.errors.describe_os_error)."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path

import pytest

import hanet.errors
import hanet.io
from hanet.cli import main
from hanet.errors import as_write_error, describe_os_error
from hanet.io import atomic_path, write_json


def test_describe_os_error_names_the_file_and_what_to_do():
    full = describe_os_error(OSError(errno.ENOSPC, "No space left on device", "results/x/best.pt"))
    assert full.startswith("results/x/best.pt: No space left on device; free some space")
    ro = describe_os_error(OSError(errno.EROFS, "Read-only file system", "results/x"))
    assert ro.startswith("results/x: Read-only file system; write the outputs to a writable location")
    h5 = OSError(errno.ENOSPC, "Unable to synchronously create file (file write failed: time = now\n, "
                               "filename = 'resources/s/features/descriptor.h5', file descriptor = 3, errno = 28)")
    assert describe_os_error(h5).startswith("resources/s/features/descriptor.h5: No space left on device")
    assert describe_os_error(FileNotFoundError(errno.ENOENT, "No such file", "x")) is None  # a bug: keep the traceback


def test_torch_runtime_error_on_a_full_disk_becomes_enospc(monkeypatch, tmp_path):
    """torch.save reports a full disk as RuntimeError('[enforce fail at inline_container.cc] ...')."""
    monkeypatch.setattr(hanet.errors.shutil, "disk_usage", lambda p: type("U", (), {"free": 0})())
    err = as_write_error(RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos"), tmp_path / "last.pt")
    assert isinstance(err, OSError) and err.errno == errno.ENOSPC and err.filename == str(tmp_path / "last.pt")
    plain = RuntimeError("shape mismatch")
    monkeypatch.setattr(hanet.errors.shutil, "disk_usage", lambda p: type("U", (), {"free": 10 << 30})())
    assert as_write_error(plain, tmp_path / "x") is plain


def test_atomic_write_failing_for_space_names_the_file_and_leaves_nothing(monkeypatch, tmp_path):
    def no_space(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")  # as a write() reports it: no file name

    monkeypatch.setattr(hanet.io.os, "replace", no_space)
    with pytest.raises(OSError) as err:
        write_json(tmp_path / "metrics.json", {"rsum": 1})
    assert err.value.errno == errno.ENOSPC and err.value.filename == str(tmp_path / "metrics.json")
    assert list(tmp_path.iterdir()) == []  # no temporary file, no half-written metrics.json


def _parse_into(tiny_prepared: Path, out: Path, capsys) -> tuple[int, str]:
    rc = main(["parse", "--prepared", str(tiny_prepared), "--out", str(out), "--tagger", "synthetic",
               "--treebank", str(tiny_prepared.parent / "treebank.json"), "--no-progress"])
    return rc, capsys.readouterr().err


def test_cli_full_disk_is_one_line(monkeypatch, tiny_prepared, tmp_path, capsys):
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("vocab.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(hanet.io.os, "replace", replace)
    rc, err = _parse_into(tiny_prepared, tmp_path / "text", capsys)
    assert rc == 1 and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"hanet parse: error: {tmp_path / 'text' / 'vocab.json'}: No space left on device")
    assert not (tmp_path / "text" / "vocab.json").exists() and not list((tmp_path / "text").glob(".*.tmp"))


@contextlib.contextmanager
def mounted_tmpfs(where: Path, size: str, read_only: bool = False):
    """A real small (or read-only) file system; skips where mounting is not allowed."""
    where.mkdir()
    opts = f"size={size}" + (",ro" if read_only else "")
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root with CAP_SYS_ADMIN")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_cli_real_full_disk_is_one_line(tiny_prepared, tmp_path, capsys):
    with mounted_tmpfs(tmp_path / "small", "8k") as small:
        rc, err = _parse_into(tiny_prepared, small / "text", capsys)
        assert rc == 1 and len(err.strip().splitlines()) == 1, err
        assert "No space left on device; free some space" in err and str(small / "text") in err
        assert not list((small / "text").glob(".*.tmp"))


def test_cli_read_only_output_folder_is_one_line(tiny_prepared, tmp_path, capsys):
    if os.geteuid() == 0:  # root writes through permission bits: use a read-only mount
        ctx = mounted_tmpfs(tmp_path / "ro", "1m", read_only=True)
    else:
        (tmp_path / "ro").mkdir(mode=0o555)
        ctx = contextlib.nullcontext(tmp_path / "ro")
    with ctx as ro:
        rc, err = _parse_into(tiny_prepared, ro / "text", capsys)
    assert rc == 1 and len(err.strip().splitlines()) == 1, err
    assert f"hanet parse: error: {ro / 'text'}: " in err
    assert "Read-only file system" in err or "Permission denied" in err


def test_atomic_path_keeps_other_errors(tmp_path):
    with pytest.raises(ValueError):
        with atomic_path(tmp_path / "x.json"):
            raise ValueError("a bug")
    assert list(tmp_path.iterdir()) == []
