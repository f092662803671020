"""hanet.progress: periodic plain lines in a log file, nothing when disabled."""

from __future__ import annotations

import io

from hanet.progress import progress


def test_log_gets_plain_lines_with_counts():
    log = io.StringIO()  # not a terminal, like a Snakemake job's log
    for _ in progress(range(5), desc="extract descriptor", unit="video", stream=log, interval=0):
        pass
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) >= 2
    assert all(line.startswith("extract descriptor:") for line in lines)
    assert "5/5" in lines[-1] and "video" in lines[-1]


def test_interval_limits_the_lines():
    log = io.StringIO()
    for _ in progress(range(1000), desc="synth", stream=log, interval=3600):
        pass
    assert len(log.getvalue().splitlines()) <= 2  # the start and the end, not one line per item


def test_disabled_writes_nothing():
    log = io.StringIO()
    assert list(progress(range(3), desc="x", enabled=False, stream=log)) == [0, 1, 2]
    assert log.getvalue() == ""
