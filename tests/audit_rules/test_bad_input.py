"""Hostile rule files: a clear error with a line number, bounded memory, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trails.audit_rules import parse, read_file
from trails.audit_rules.parser import MAX_DIAGNOSTICS, MAX_LINE, MAX_RULES
from trails.errors import ExitCode
from trails.models.diagnostic import Severity

MiB = 1 << 20


def run_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trails", "rules", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def peak_rss_mib(path: Path) -> tuple[float, str]:
    """Parse ``path`` in a fresh interpreter; its peak RSS and first diagnostic."""
    # VmHWM, not ru_maxrss: the latter keeps the forking parent's size across exec.
    code = (
        "import sys\n"
        "from trails.audit_rules import read_file\n"
        "r = read_file(sys.argv[1])\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
        "print(int(hwm.split()[1]) / 1024)\n"
        "print(r.diagnostics[0] if r.diagnostics else '')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rss, first = out.stdout.splitlines()
    return float(rss), first


def test_binary_junk_is_reported_per_line_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "junk.rules"
    path.write_bytes(bytes(range(256)) * 64 + os.urandom(4096))
    result = read_file(path)
    assert result.rules == ()
    assert result.diagnostics
    assert all(d.severity is Severity.ERROR and d.loc.line >= 1 for d in result.diagnostics)
    out = run_check(path)
    assert out.returncode == ExitCode.CHECK_FAILED
    assert "Traceback" not in out.stderr + out.stdout
    assert out.stdout.startswith(f"{path}:1: error: ")


def test_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "nul.rules"
    path.write_bytes(b"-w /etc/hosts -p wa -k ok\n-w /etc/pass\x00wd -p wa -k x\n")
    result = read_file(path)
    assert len(result.rules) == 1
    (diag,) = result.diagnostics
    assert diag.loc.line == 2
    assert "NUL byte" in diag.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.rules"
    path.write_bytes(b"-w /etc/caf\xe9 -p wa -k x\n")
    (diag,) = read_file(path).diagnostics
    assert diag.loc.line == 1
    assert "not UTF-8" in diag.message


def test_one_megabyte_line_is_refused_and_the_next_line_still_read(tmp_path: Path) -> None:
    path = tmp_path / "long.rules"
    path.write_bytes(b"-w /" + b"a" * MiB + b" -k x\n-w /etc/hosts -p wa -k ok\n")
    result = read_file(path)
    assert len(result.rules) == 1
    assert result.rules[0].loc.line == 2
    (diag,) = result.diagnostics
    assert diag.loc.line == 1
    assert f"auditctl reads at most {MAX_LINE}" in diag.message
    assert "line is 1048586 bytes" in diag.message


def test_long_line_in_parse_text_too() -> None:
    (diag,) = parse("-k " + "x" * (MAX_LINE + 1)).diagnostics
    assert "auditctl reads at most" in diag.message


@pytest.mark.slow
def test_hundred_megabytes_without_newline_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "one-line.rules"
    with path.open("wb") as f:
        for _ in range(100):
            f.write(b"A" * MiB)
    rss, first = peak_rss_mib(path)
    assert rss < 100, f"peak RSS {rss:.0f} MiB"
    assert first.startswith(f"{path}:1: error: line is 104857600 bytes")


@pytest.mark.slow
def test_hundred_megabytes_of_rules_stops_at_the_rule_cap(tmp_path: Path) -> None:
    path = tmp_path / "many.rules"
    line = b"-a always,exit -F arch=b64 -S openat -F auid>=1000 -k access\n"
    with path.open("wb") as f:
        chunk = line * (MiB // len(line))
        for _ in range(100):
            f.write(chunk)
    rss, first = peak_rss_mib(path)
    assert rss < 200, f"peak RSS {rss:.0f} MiB"
    assert f":{MAX_RULES + 1}: error: more than {MAX_RULES} rules" in first


def test_many_bad_lines_stop_at_the_diagnostic_cap(tmp_path: Path) -> None:
    path = tmp_path / "bad.rules"
    path.write_text("-Q\n" * (MAX_DIAGNOSTICS * 3))
    result = read_file(path)
    assert len(result.diagnostics) == MAX_DIAGNOSTICS + 1
    assert result.diagnostics[-1].message == "too many errors; stopped reading"
    out = run_check(path)
    assert out.returncode == ExitCode.CHECK_FAILED
    assert "Traceback" not in out.stderr


def test_unknown_options_name_the_line() -> None:
    result = parse("-w /etc/hosts -k a\n--frob\n-Z\n", "u.rules")
    assert [str(d) for d in result.diagnostics] == [
        "u.rules:2: error: unknown option --frob",
        "u.rules:3: error: unknown option -Z",
    ]
