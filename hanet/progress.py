"""Progress that reads well in a log file as well as on a terminal.

On a terminal this is a plain tqdm bar. When stderr is a file (every Snakemake job writes
`> {log} 2>&1`), tqdm's carriage-return redraws would pile up into one endless line, so the bar
is written as one plain, flushed line every ``HANET_PROGRESS_SECONDS`` seconds (default 30) and
at the end: `tail -f logs/...` then shows how far a long extraction is and its rate and ETA.
"""

from __future__ import annotations

import os
import sys
from typing import Iterable, TextIO

from tqdm import tqdm


class _Lines:
    """A file-like that turns tqdm's '\\r' redraws into separate lines."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").rstrip()
        if line:
            self.stream.write(line + "\n")
            self.stream.flush()

    def flush(self) -> None:
        self.stream.flush()


def progress(iterable: Iterable | None = None, *, desc: str, total: int | None = None, unit: str = "it",
             enabled: bool = True, stream: TextIO | None = None, interval: float | None = None) -> tqdm:
    """tqdm over ``iterable``: a live bar on a terminal, periodic plain lines in a log."""
    stream = sys.stderr if stream is None else stream
    if not enabled:
        return tqdm(iterable, total=total, disable=True)
    if stream.isatty():
        return tqdm(iterable, desc=desc, total=total, unit=unit, file=stream)
    if interval is None:
        interval = float(os.environ.get("HANET_PROGRESS_SECONDS", "30"))
    return tqdm(iterable, desc=desc, total=total, unit=unit, file=_Lines(stream), mininterval=interval,
                miniters=1, ascii=True, ncols=90)
