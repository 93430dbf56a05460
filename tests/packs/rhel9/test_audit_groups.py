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
from trails.packs.model import Control

from ..harness import PACKS_DIR, catalog, fixture_tables, host_state, run_control, run_sql

PACK = catalog().pack("cis_rhel9")
WITH_GROUPS = [c for c in PACK.controls if c.audit_rules and c.check is not None]


def _host(control: Control, arch: str) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(raw tables, host state, the groups' lines) of the control's passing host on ``arch``:
    the state's agent has loaded exactly the groups' lines; os_version says ``arch`` (which
    no host state sets: it comes from uname)."""
    lines = [
        r.text
        for group in control.audit_rules
        for r in load_group(Path(PACKS_DIR), arch, group, used_at=control.loc)
    ]
    fixture = next(
        f
        for f in control.fixtures
        if f.expect == "pass" and f.host is not None and "os_version" not in f.tables
    )
    state = dict(host_state(PACK, fixture) or {})
    state["agent"] = {**state.get("agent", {}), "audit_rules": lines}
    tables = dict(fixture_tables(PACK, fixture))
    (os_row,) = run_sql(PACK, fixture, "SELECT * FROM os_version")
    tables["os_version"] = [{**os_row, "arch": arch}]
    return tables, state, lines


def _without(state: dict[str, Any], lines: list[str]) -> dict[str, Any]:
    return {**state, "agent": {**state["agent"], "audit_rules": lines}}


def test_the_audit_controls_name_their_groups() -> None:
    assert len(WITH_GROUPS) >= 16


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("control", WITH_GROUPS, ids=lambda c: c.id)
def test_installed_groups_satisfy_the_check(control: Control, arch: str) -> None:
    tables, state, _ = _host(control, arch)
    (row,) = run_control(PACK, control, tables, state=state, arch=arch)
    assert row["status"] == "pass", (arch, row["evidence"])


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("control", WITH_GROUPS, ids=lambda c: c.id)
def test_each_needed_rule_counts(control: Control, arch: str) -> None:
    tables, state, lines = _host(control, arch)
    needed = 0
    for i in range(len(lines)):
        rest = lines[:i] + lines[i + 1 :]
        (row,) = run_control(PACK, control, tables, state=_without(state, rest), arch=arch)
        needed += row["status"] == "fail"
    assert needed >= 1, "no single rule of the group is needed by the check"
    if control.check is not None and control.check.kind == "audit_loaded":
        assert needed == len(lines), "audit_loaded needs every line of its groups"
