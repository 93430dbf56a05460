"""Every test file is collected: a directory pytest skips by default (tests/build once was)
would silently hide its tests from `make test` and CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_test_file_is_collected() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    collected = {line.split("::", 1)[0] for line in done.stdout.splitlines() if "::" in line}
    on_disk = {str(p.relative_to(REPO)) for p in (REPO / "tests").rglob("test_*.py")}
    assert on_disk - collected == set(), done.stderr[-2000:]


def test_a_skip_fails_on_ci_and_names_what_was_missing() -> None:
    probe = REPO / "tests" / f"test_zz_skip_probe_{os.getpid()}.py"
    probe.write_text(
        "import pytest\n\n\ndef test_needs_a_tool() -> None:\n"
        "    pytest.skip('frobnicate is not installed (apt-get install frobnicate)')\n"
    )
    try:
        runs = {
            ci: subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
                env={**os.environ, "CI": ci}
                if ci
                else {k: v for k, v in os.environ.items() if k != "CI"},
            )
            for ci in ("true", "")
        }
    finally:
        probe.unlink()
    assert runs["true"].returncode == 1
    assert "frobnicate is not installed" in runs["true"].stdout
    assert runs[""].returncode == 0
    assert "1 skipped" in runs[""].stdout
