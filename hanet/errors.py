"""The one exception type users see: a clear message naming the file and what is wrong.

Besides :class:`HanetError`, the CLI turns the operating-system errors a user meets in ordinary
use (a full disk, a read-only or unwritable output folder) into one line; see
:func:`describe_os_error`.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path


class HanetError(Exception):
    """Bad input or a failed stage. The CLI prints the message (no traceback) and exits 1."""


_FULL = (errno.ENOSPC, errno.EDQUOT)
_DENIED = (errno.EROFS, errno.EACCES, errno.EPERM)


def describe_os_error(err: OSError) -> str | None:
    """One line for an OSError the user can fix (full disk, read-only or unwritable path); else None."""
    if err.errno not in _FULL + _DENIED:
        return None
    where = err.filename
    if where is None:  # h5py puts the file name inside its message
        found = re.search(r"(?:file ?name|name) = '([^']+)'", str(err))
        where = found.group(1) if found else "output"
    reason = os.strerror(err.errno)
    if err.errno in _FULL:
        advice = "free some space (or write the outputs elsewhere) and run again; finished outputs are kept"
    elif err.errno == errno.EROFS:
        advice = "write the outputs to a writable location"
    else:
        advice = "check the permissions of the folder (or write the outputs elsewhere)"
    return f"{where}: {reason}; {advice}"


def as_write_error(err: BaseException, path: str | os.PathLike) -> BaseException:
    """The error to raise for a failed write of ``path``: an OSError naming ``path`` when the write
    failed for lack of space (libraries such as torch report that as a RuntimeError) or the OSError
    had no file name; ``err`` itself otherwise."""
    if isinstance(err, OSError) and err.errno in _FULL + _DENIED and err.filename is None:
        return type(err)(err.errno, os.strerror(err.errno), str(path))
    if isinstance(err, RuntimeError):
        try:
            if shutil.disk_usage(Path(path).parent).free < (1 << 20):
                return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        except OSError:
            pass
    return err
