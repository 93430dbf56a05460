"""The shipped tables are what the checked-in generator makes from the installed auditd."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trails.audit_rules import tables

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gen_syscall_tables.py"


def test_generated_tables_are_current() -> None:
    if shutil.which("ausyscall") is None:
        pytest.skip("ausyscall is not installed (apt-get install auditd)")
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr


def test_tables_cover_the_architectures_auditctl_knows() -> None:
    assert set(tables.machine_names()) >= {"x86_64", "i386", "aarch64", "arm", "ppc64le", "s390x"}
    assert tables.syscalls("x86_64")["openat"] == 257
    assert tables.syscalls("aarch64")["openat"] == 56
    assert tables.syscalls("i386")["socketcall"] == 102
    assert tables.errnos()["EACCES"] == 13
    assert tables.msgtypes()["CWD"] == 1307
    assert tables.canonical_field("loginuid") == "auid"
    assert "field_compare" not in tables.field_names()
