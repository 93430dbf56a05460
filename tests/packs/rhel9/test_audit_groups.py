"""The audit rule groups a RHEL 9 control asks the build to install satisfy its own check.

For each 6.3.3 control that names ``audit_rules`` groups, the group files for x86_64 and
aarch64 (exactly what ``trails build`` installs, in ``auditctl -l`` form) are loaded as the
host's trails_audit_rules; the control, compiled as ``trails build`` compiles it for that
architecture, must pass on a host of that architecture and fail once any one of those rules
is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trails.packs.audit import ARCHES, load_group
from trails.packs.loader import load_pack
from trails.packs.model import Control

from ..harness import PACKS_DIR, fixture_tables, run_control

PACK = load_pack(Path(PACKS_DIR) / "cis_rhel9")
WITH_GROUPS = [c for c in PACK.controls if c.audit_rules and c.check is not None]


def _host(control: Control, arch: str) -> tuple[dict[str, Any], list[str]]:
    lines = [
        r.text
        for group in control.audit_rules
        for r in load_group(Path(PACKS_DIR), arch, group, used_at=control.loc)
    ]
    pass_fixture = next(f for f in control.fixtures if f.expect == "pass")
    tables = dict(fixture_tables(PACK, pass_fixture))
    tables["os_version"] = [dict(tables.get("os_version", [{}])[0], arch=arch)]
    return tables, lines


def _rows(lines: list[str]) -> list[dict[str, str]]:
    return [
        {"position": str(i), "rule": r, "key": "g", "loaded_at": "now"} for i, r in enumerate(lines)
    ]


def test_the_audit_controls_name_their_groups() -> None:
    assert len(WITH_GROUPS) >= 16


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("control", WITH_GROUPS, ids=lambda c: c.id)
def test_installed_groups_satisfy_the_check(control: Control, arch: str) -> None:
    tables, lines = _host(control, arch)
    (row,) = run_control(PACK, control, {**tables, "trails_audit_rules": _rows(lines)}, arch=arch)
    assert row["status"] == "pass", (arch, row["evidence"])


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("control", WITH_GROUPS, ids=lambda c: c.id)
def test_each_needed_rule_counts(control: Control, arch: str) -> None:
    tables, lines = _host(control, arch)
    needed = 0
    for i in range(len(lines)):
        rest = lines[:i] + lines[i + 1 :]
        host = {**tables, "trails_audit_rules": _rows(rest)}
        (row,) = run_control(PACK, control, host, arch=arch)
        needed += row["status"] == "fail"
    assert needed >= 1, "no single rule of the group is needed by the check"
    if control.check is not None and control.check.kind == "audit_loaded":
        assert needed == len(lines), "audit_loaded needs every line of its groups"
