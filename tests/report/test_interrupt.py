"""Ctrl-C stops a report with exit 130 and one line, whichever part is running: DuckDB's
own interrupt of a query, or Python's in between; SIGTERM (a service manager's stop) with
exit 143. The scratch directory, a copy of the evidence, goes with it either way, and the
earlier report in --out stays whole. Real signals to a real `trails report` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

UNTIL = "2026-11-23T12:00:00Z"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fleet")
    argv = ["simulate", "--hosts", "1500", "--days", "1", "--until", UNTIL, "--out", str(out)]
    subprocess.run([sys.executable, "-m", "trails", *argv], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def earlier(logs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The files of an earlier report, which a stopped report must leave as they were."""
    out = tmp_path_factory.mktemp("earlier")
    argv = ["report", "--results", str(logs), "--until", "2026-11-23T06:00:00Z"]
    argv += ["--format", "json,pdf", "--out", str(out)]
    subprocess.run([sys.executable, "-m", "trails", *argv], check=True, capture_output=True)
    return _files(out)


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir()}


def _scratch(tmp: Path) -> list[Path]:
    return list(tmp.glob("trails-report-*"))


def _writing(out: Path) -> bool:  # a temp file in the staging directory
    return any(out.glob(".trails-tmp-*/.trails-tmp-*"))


def _reading(tmp: Path, out: Path) -> bool:
    return any(tmp.glob("trails-report-*/ingest-*/results.duckdb"))


@pytest.mark.parametrize(
    ("when", "then"),
    [
        pytest.param(_reading, 0.0, id="reading"),
        pytest.param(_reading, 0.3, id="inside-duckdb"),  # its read of the logs
        pytest.param(lambda tmp, out: _writing(out), 0.0, id="writing"),
    ],
)
@pytest.mark.parametrize(
    "stop",
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_stops_the_report_with_its_exit_code_and_leaves_no_scratch(
    logs: Path,
    earlier: dict[str, bytes],
    tmp_path: Path,
    *,
    when: Callable[[Path, Path], bool],
    then: float,
    stop: tuple[signal.Signals, int, str],
) -> None:
    sig, code, says = stop
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    out.mkdir()
    for name, data in earlier.items():
        (out / name).write_bytes(data)
    argv = ["report", "--results", str(logs), "--until", UNTIL, "--out", str(out)]
    argv += ["--format", "json,csv,junit,oscal"]
    report = subprocess.Popen(
        [sys.executable, "-m", "trails", *argv],
        env={**os.environ, "TMPDIR": str(tmp)},
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not when(tmp, out) and report.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(then)
    report.send_signal(sig)
    _, err = report.communicate(timeout=60)
    assert report.returncode == code, err
    assert err.strip().splitlines()[-1] == f"trails: {says}"
    assert "Traceback" not in err
    assert _scratch(tmp) == []
    assert _files(out) == earlier  # no staging directory left, no file of this run
