"""``trails check``: the reference collector over a host-state root, over this machine,
and a real-osqueryi path (through a stub: no osquery is installed here)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.packs.harness import PACKS_DIR, catalog
from trails.cli import main
from trails.cli_group import cli
from trails.collector.hoststate import materialise, merge

UBUNTU = next(p for p in catalog().packs if p.id == "cis_ubuntu_22_04")
ASLR = "cis-ubuntu2204-1.5.3"
SHADOW_PERMS = "cis-ubuntu2204-7.1.5"


def _check(*args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(
        cli, ["check", "--packs", str(PACKS_DIR), "--json", *args], catch_exceptions=False
    )
    return result.exit_code, json.loads(result.output) if result.output.startswith("{") else None


def _root(tmp_path: Path, **state: Any) -> Path:
    host = materialise(merge(UBUNTU.fixture_host, state), tmp_path / "host")
    return host.root


def _status(doc: Any, control: str) -> dict[str, Any]:
    return next(r for r in doc["results"] if r["control_id"] == control)


def test_a_root_without_runtime_never_passes_a_runtime_control(tmp_path: Path) -> None:
    root = _root(tmp_path, files={"/etc/sysctl.d/60-aslr.conf": "kernel.randomize_va_space = 2\n"})
    code, doc = _check("--root", str(root), "--control", ASLR)
    assert code == 0
    result = _status(doc, ASLR)
    assert result["status"] == "no_evidence"
    assert "system_controls" in result["detail"]
    assert doc["collector"] == {
        "kind": "reference",
        "osquery_version": "5.23.1",
        "root": str(root),
        "runtime": False,
    }


def test_file_controls_decide_from_the_root(tmp_path: Path) -> None:
    good = _root(tmp_path / "good")
    code, doc = _check("--root", str(good), "--control", SHADOW_PERMS)
    assert (code, _status(doc, SHADOW_PERMS)["status"]) == (0, "pass")
    bad = _root(tmp_path / "bad")
    os.chmod(bad / "etc" / "shadow", 0o644)
    code, doc = _check("--root", str(bad), "--control", SHADOW_PERMS)
    result = _status(doc, SHADOW_PERMS)
    assert (code, result["status"]) == (1, "fail")
    assert result["evidence"][0]["mode"] == "0644"


def test_this_debian_machine_is_not_ubuntu_and_says_why() -> None:
    code, doc = _check("--pack", "cis_ubuntu_22_04", "--control", ASLR)
    assert code == 0
    assert _status(doc, ASLR) == {
        "control_id": ASLR,
        "status": "not_applicable",
        "evidence": [],
        "detail": "this host is not what CIS Ubuntu Linux 22.04 LTS Benchmark 2.0.0 applies to",
    }
    assert doc["collector"]["runtime"] is True


def test_osqueryi_runs_the_same_compiled_queries(tmp_path: Path) -> None:
    stub = tmp_path / "osqueryi"
    stub.write_text(
        f'#!/bin/sh\nexec {sys.executable} {Path(__file__).parent / "osqueryi_stub.py"} "$@"\n'
    )
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    wanted = ["--pack", "cis_ubuntu_22_04", "--control", ASLR, "--control", SHADOW_PERMS]
    code_ref, reference = _check(*wanted)
    code_osq, osqueryi = _check("--osqueryi", str(stub), *wanted)
    assert code_ref == code_osq
    assert osqueryi["collector"]["kind"] == "osqueryi"
    assert "5.23.1" in osqueryi["collector"]["version"]
    assert osqueryi["results"] == reference["results"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pack", "nope"], "no pack 'nope'"),
        (["--control", "nope"], "no automated control 'nope'"),
        (["--root", "/etc/passwd"], "is a file"),
        (["--root", "/nonexistent-trails"], "not a directory"),
        (["--root", "/", "--osqueryi", "/bin/true"], "cannot read --root"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "--packs", str(PACKS_DIR), *args])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
