"""The one-row wrapper: statuses, the nothing-observed rule, and evidence bounds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trails.collector.database import query
from trails.errors import InternalError, SourceLoc
from trails.models.evidence import MAX_EVIDENCE_BYTES, MAX_EVIDENCE_ROWS
from trails.packs.compiler import NOTHING_OBSERVED, compile_sql, expand
from trails.packs.model import Check, Control, Pack
from trails.packs.templates import Context, lit

from .harness import host_db

PACK = Pack(
    id="t",
    framework="cis-t",
    title="t",
    version="1",
    platforms=("linux",),
    path="t",
    loc=SourceLoc("t/pack.yaml", 1),
    applies_when="SELECT 1 FROM os_version WHERE platform = 'ubuntu'",
)
UBUNTU = {"os_version": [{"platform": "ubuntu", "version": "22.04"}]}
CTX = Context(packages="deb", audit_rules=())


def _control(check: Check, **kw: Any) -> Control:
    return Control(
        id="t-1",
        title="t",
        pack="t",
        refs=(),
        profiles=(),
        severity="low",
        platforms=("linux",),
        remediation="r",
        rationale="r",
        loc=SourceLoc("t.yaml", 1),
        check=check,
        **kw,
    )


def _run(
    control: Control, tables: dict[str, Any], pack: Pack = PACK, ctx: Context = CTX
) -> dict[str, Any]:
    with host_db({**UBUNTU, **tables}) as conn:
        rows = query(conn, compile_sql(control, pack, ctx))
    assert len(rows) == 1
    return rows[0]


USERS = Check(
    kind="query",
    spec="SELECT username, uid, uid = 0 AND username = 'root' OR uid <> 0 AS ok FROM users",
    evidence=("username", "uid"),
)
NO_ROWS = Check(
    kind="query",
    spec="SELECT username, shell FROM users WHERE uid = 0 AND username <> 'root'",
    evidence=("username", "shell"),
    pass_rule="no_rows",
    observe="SELECT 1 FROM users WHERE username = 'root' AND uid = 0",
)


def test_all_ok_statuses() -> None:
    control = _control(USERS)
    assert _run(control, {"users": [{"username": "root", "uid": 0}]})["status"] == "pass"
    row = _run(control, {"users": [{"username": "root", "uid": 0}, {"username": "toor", "uid": 0}]})
    assert row["status"] == "fail"
    assert row["evidence_count"] == 1
    assert json.loads(row["evidence"]) == [{"username": "toor", "uid": 0}]
    empty = _run(control, {})
    assert empty["status"] == "no_evidence"  # users returned nothing: osquery could not read it
    assert json.loads(empty["evidence"]) == [
        {"trails_note": "no rows from osquery table(s): users"}
    ]
    nothing = _run(
        _control(Check(kind="query", spec="SELECT 1 AS x, 1 AS ok WHERE 0", evidence=("x",))), {}
    )
    assert (nothing["status"], nothing["evidence"]) == ("no_evidence", NOTHING_OBSERVED)
    other = _run(control, {"os_version": [{"platform": "rhel"}]})
    assert other["status"] == "not_applicable"
    assert other["evidence"] == "[]"


def test_null_ok_is_a_failure() -> None:
    check = Check(
        kind="query", spec="SELECT username, NULL AS ok FROM users", evidence=("username",)
    )
    assert _run(_control(check), {"users": [{"username": "root", "uid": 0}]})["status"] == "fail"


def test_no_rows_needs_an_observation() -> None:
    control = _control(NO_ROWS)
    assert _run(control, {"users": [{"username": "root", "uid": 0}]})["status"] == "pass"
    assert _run(control, {})["status"] == "no_evidence"
    assert _run(control, {"users": [{"username": "x", "uid": 1}]})["status"] == "no_evidence"
    bad = _run(control, {"users": [{"username": "root", "uid": 0}, {"username": "x", "uid": 0}]})
    assert bad["status"] == "fail"
    assert json.loads(bad["evidence"]) == [{"username": "x", "shell": None}]


def test_not_applicable_when() -> None:
    control = _control(NO_ROWS, not_applicable_when="SELECT 1 FROM users WHERE username = 'na'")
    row = _run(control, {"users": [{"username": "na", "uid": 5}]})
    assert row["status"] == "not_applicable"
    assert row["evidence_count"] == 0
    no_guard = Pack(**{**PACK.__dict__, "applies_when": None})
    assert _run(_control(USERS), {"os_version": []}, no_guard)["status"] == "no_evidence"
    # applicability read from an empty table is unknown, never not_applicable
    unknown = _run(control, {"os_version": [], "users": [{"username": "na", "uid": 5}]})
    assert unknown["status"] == "no_evidence"
    assert "os_version" in unknown["evidence"]
    posix = _run(control, {"os_version": [{"platform": "posix", "name": "Unknown"}]})
    assert posix["status"] == "no_evidence"
    # the pack decides first: another OS is not_applicable even when the control's own
    # condition reads a table that returned nothing there (systemd not running)
    other_os = _run(control, {"os_version": [{"platform": "debian"}], "users": []})
    assert other_os["status"] == "not_applicable"


RULE = "-w /etc/localtime -p wa -k time-change"
AUDIT_CTX = Context(packages="deb", audit_rules=(RULE,))


@pytest.mark.parametrize(
    ("status", "rules", "expected"),
    [
        ({"last_attempt_at": "2999-01-01T00:00:00Z", "audit_enabled": "1"}, [RULE], "pass"),
        ({"last_attempt_at": "2999-01-01T00:00:00Z", "audit_enabled": "1"}, [], "fail"),
        ({"last_attempt_at": "2020-01-01T00:00:00Z", "audit_enabled": "1"}, [RULE], "stale"),
        (None, [RULE], "no_evidence"),
    ],
)
def test_audit_checks_need_a_fresh_agent_snapshot(
    status: dict[str, str] | None, rules: list[str], expected: str
) -> None:
    tables = {
        "trails_status": [status] if status else [],
        "trails_audit_rules": [{"rule": r} for r in rules],
    }
    row = _run(_control(Check(kind="audit_loaded", spec=True)), tables, ctx=AUDIT_CTX)
    assert row["status"] == expected


@settings(max_examples=25)
@given(
    names=st.lists(st.text(min_size=0, max_size=3000), min_size=1, max_size=60),
)
def test_evidence_is_bounded(names: list[str]) -> None:
    rows = [{"username": n, "uid": i + 1, "shell": n * 2} for i, n in enumerate(names)]
    check = Check(
        kind="query",
        spec="SELECT username, shell, uid, 0 AS ok FROM users",
        evidence=("username", "shell", "uid"),
    )
    row = _run(_control(check), {"users": rows})
    evidence = json.loads(row["evidence"])
    assert row["status"] == "fail"
    assert row["evidence_count"] == len(rows)
    assert len(evidence) == min(len(rows), MAX_EVIDENCE_ROWS)
    assert len(row["evidence"].encode()) <= MAX_EVIDENCE_BYTES


def test_control_characters_and_unicode_stay_bounded() -> None:
    rows = [{"username": '\x01"\\' * 400 + "é€😀" * 300, "uid": i + 1} for i in range(30)]
    row = _run(
        _control(
            USERS.__class__(
                kind="query",
                spec="SELECT username, uid, 0 AS ok FROM users",
                evidence=("username", "uid"),
            )
        ),
        {"users": rows},
    )
    evidence = json.loads(row["evidence"])
    assert len(evidence) == MAX_EVIDENCE_ROWS
    assert len(row["evidence"].encode()) <= MAX_EVIDENCE_BYTES
    assert all("trails_truncated" in e for e in evidence)


def test_manual_and_unknown_kinds_do_not_compile() -> None:
    with pytest.raises(InternalError):
        compile_sql(_control(None, manual="m"), PACK, CTX)  # type: ignore[arg-type]
    with pytest.raises(InternalError, match="unknown check kind"):
        expand(Check(kind="nope", spec=None), CTX)
    with pytest.raises(InternalError, match="audit_loaded needs"):
        expand(Check(kind="audit_loaded", spec=True), CTX)


def test_literals() -> None:
    assert lit("it's") == "'it''s'"
    assert lit(7) == "7"
    with pytest.raises(InternalError):
        lit(True)
