"""Every automated control, on every fixture host: the compiled query gives one row and
the expected status. Also: no control passes when any one table it reads returns nothing,
every compiled query passes the build's SQL checker, and evidence stays within its bounds."""

from __future__ import annotations

import pytest

from trails.models.evidence import MAX_EVIDENCE_BYTES, MAX_EVIDENCE_ROWS, RESULT_COLUMNS
from trails.osquery.sqlcheck import check_query, checker_for
from trails.packs.compiler import compile_sql
from trails.packs.model import Control, Pack
from trails.packs.probes import PROBES

from .harness import audit_context, catalog, evidence_of, run_fixture, run_sql, schema

CATALOG = catalog()
CHECKED = [(p, c) for p in CATALOG.packs for c in p.controls if c.check is not None]
FIXTURES = [(p, c, i) for p, c in CHECKED for i in range(len(c.fixtures))]


def _id(value: object) -> str:
    return value.id if isinstance(value, (Pack, Control)) else str(value)


def _assert_row(rows: list[dict[str, object]], control: Control) -> dict[str, object]:
    assert len(rows) == 1, f"{control.id} returned {len(rows)} rows"
    row = rows[0]
    assert tuple(row) == RESULT_COLUMNS
    assert row["control_id"] == control.id
    evidence = evidence_of(row)
    assert len(evidence) <= MAX_EVIDENCE_ROWS
    assert len(str(row["evidence"]).encode()) <= MAX_EVIDENCE_BYTES
    return row


@pytest.mark.parametrize(("pack", "control", "index"), FIXTURES, ids=_id)
def test_fixture_gets_expected_status(pack: Pack, control: Control, index: int) -> None:
    fixture = control.fixtures[index]
    row = _assert_row(run_fixture(pack, control, fixture), control)
    assert row["status"] == fixture.expect, f"{fixture.loc}: {fixture.note} -> {row}"
    if fixture.expect == "fail":
        assert evidence_of(row), f"{fixture.loc}: a failure must show evidence"
    if fixture.expect == "pass":
        assert row["evidence_count"] == 0
        assert evidence_of(row) == []


def _tables_read(pack: Pack, control: Control) -> list[str]:
    sql = compile_sql(control, pack, audit_context(pack, control))
    return sorted(checker_for(schema(), "linux").tables_read(sql))


EMPTIED = [(p, c, t) for p, c in CHECKED for t in _tables_read(p, c)]


@pytest.mark.parametrize(("pack", "control", "table"), EMPTIED, ids=_id)
def test_a_table_that_returns_nothing_never_passes(
    pack: Pack, control: Control, table: str
) -> None:
    """Each table the control reads, emptied on each of its passing hosts: the verdict
    may be no_evidence, error (no row) or fail, never pass or not_applicable. A table
    without a probe (it may be empty on a real host) counts only where it had rows: a
    check may pass on either of two sources (cron or a timer)."""
    for fixture in (f for f in control.fixtures if f.expect == "pass"):
        probe = f"SELECT 1 FROM {table} LIMIT 1"  # noqa: S608 - an osquery table name
        if table not in PROBES and not run_sql(pack, fixture, probe):
            continue
        rows = run_fixture(pack, control, fixture, empty=(table,))
        assert [r["status"] for r in rows] in ([], ["no_evidence"], ["fail"]), (
            f"{fixture.loc}: {control.id} with {table} empty -> {rows}"
        )


@pytest.mark.parametrize(("pack", "control"), CHECKED, ids=_id)
def test_every_check_has_pass_and_fail_fixtures(pack: Pack, control: Control) -> None:
    expects = {f.expect for f in control.fixtures}
    assert {"pass", "fail"} <= expects, f"{control.loc}: {control.id} needs pass and fail fixtures"
    assert control.automated


@pytest.mark.parametrize(("pack", "control"), CHECKED, ids=_id)
def test_compiled_query_passes_sql_checker(pack: Pack, control: Control) -> None:
    sql = compile_sql(control, pack, audit_context(pack, control))
    for platform in control.platforms:
        assert check_query(sql, schema(), platform=platform) == [], control.id
