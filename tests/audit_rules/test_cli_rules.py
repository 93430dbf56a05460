"""``trails rules check`` and ``trails rules normalise`` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trails.cli import main
from trails.errors import ExitCode


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trails", *args], capture_output=True, text=True, check=False
    )


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else -1), out.out, out.err


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.rules"
    path.write_text(
        "-D\n-b 8192\n"
        "-a always,exit -F arch=b64 -S openat,open -F auid>=1000 -F auid!=unset -k access\n"
        "-a always,exit -F arch=b32 -S openat,open -F auid>=1000 -F auid!=unset -k access\n"
        "-w /etc/passwd -p wa -k identity\n-e 2\n"
    )
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.rules"
    path.write_text(
        "# header\n-a always,exit -F arch=b64 -S opne -k x\n-w /etc/x -p wq\n-a always,exit -Q\n"
    )
    return path


def test_check_clean_file_exits_zero(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    code, out, err = call(capsys, "rules", "check", str(good))
    assert code == ExitCode.OK
    assert out == ""
    assert "0 error(s), 0 warning(s)" in err


def test_check_reports_file_and_line_and_exits_one(
    capsys: pytest.CaptureFixture[str], good: Path, bad: Path
) -> None:
    code, out, _ = call(capsys, "rules", "check", str(good), str(bad))
    assert code == ExitCode.CHECK_FAILED
    assert out.splitlines() == [
        f"{bad}:2: error: unknown syscall 'opne' for x86_64",
        f"{bad}:3: error: permission 'q' is not one of r, w, x, a",
        f"{bad}:4: error: unknown option -Q",
    ]


def test_check_json(capsys: pytest.CaptureFixture[str], bad: Path) -> None:
    code, out, _ = call(capsys, "rules", "check", "--json", str(bad))
    assert code == ExitCode.CHECK_FAILED
    doc = json.loads(out)
    assert doc["errors"] == 3
    assert doc["warnings"] == 0
    assert doc["diagnostics"][0] == {
        "path": str(bad),
        "line": 2,
        "severity": "error",
        "message": "unknown syscall 'opne' for x86_64",
        "code": "audit.syscall",
    }


def test_check_arch_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "arm.rules"
    path.write_text("-a always,exit -F arch=b64 -S open -k x\n")
    assert call(capsys, "rules", "check", str(path))[0] == ExitCode.OK
    code, out, _ = call(capsys, "rules", "check", "--arch", "aarch64", str(path))
    assert code == ExitCode.CHECK_FAILED
    assert "unknown syscall 'open' for aarch64" in out


def test_normalise_prints_listing_form_without_control_lines(
    capsys: pytest.CaptureFixture[str], good: Path
) -> None:
    code, out, _ = call(capsys, "rules", "normalise", "--arch", "x86_64", str(good))
    assert code == ExitCode.OK
    assert out.splitlines() == [
        "-a always,exit -F arch=b64 -S open,openat -F auid>=1000 -F auid!=-1 -F key=access",
        "-a always,exit -F arch=b32 -S open,openat -F auid>=1000 -F auid!=-1 -F key=access",
        "-w /etc/passwd -p wa -k identity",
    ]


def test_normalise_refuses_a_file_with_errors(
    capsys: pytest.CaptureFixture[str], bad: Path
) -> None:
    code, out, err = call(capsys, "rules", "normalise", str(bad))
    assert code == ExitCode.CHECK_FAILED
    assert out == ""
    assert f"{bad}:2: error: unknown syscall" in err


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    out = run("rules", "check", str(tmp_path / "nope.rules"))
    assert out.returncode == ExitCode.USAGE
    assert "Traceback" not in out.stderr


def test_unreadable_file_is_one_line_error(tmp_path: Path) -> None:
    out = run("rules", "check", str(tmp_path))  # a directory
    assert out.returncode == ExitCode.USAGE
    assert "Traceback" not in out.stderr


def test_help_reads_well() -> None:
    out = run("rules", "--help")
    assert out.returncode == 0
    assert "check" in out.stdout
    assert "normalise" in out.stdout
