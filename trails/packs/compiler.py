# ruff: noqa: S608  -- this module writes SQL; every value goes through lit() (quoted literals)
"""Compile one automated control into the one-row snapshot query of docs/design.md §7.

The control's own SQL (written or expanded from a check kind) returns observations;
the wrapper turns them into exactly one row ``control_id, status, evidence_count,
evidence``, deciding in this order:

* ``no_evidence`` when a probed table the pack's ``applies_when`` reads returned nothing,
  else ``not_applicable`` when ``applies_when`` sees nothing (not what the pack is for);
* the same for the control's ``not_applicable_when`` (its tables, then a row);
* ``no_evidence`` when a probed table the check reads returned nothing (probes.py);
* ``stale`` when the check reads the agent's audit rules and its last attempt is older
  than the pack's ``audit_max_age``;
* ``no_evidence`` when nothing was observed (``all_ok``: no row; ``no_rows``: the
  ``observe`` query returned no row);
* ``fail`` when any row is offending (``ok`` false or NULL for ``all_ok``; every row for
  ``no_rows``); ``pass`` otherwise.

Evidence is a JSON array of at most ``MAX_EVIDENCE_ROWS`` offending rows; every row is
cut to a per-row byte budget so the array never exceeds ``MAX_EVIDENCE_BYTES``; the
statuses that decide nothing carry one ``trails_note`` saying why.
"""

from __future__ import annotations

import re
from functools import cache

from trails.errors import InternalError
from trails.models.evidence import MAX_EVIDENCE_BYTES, MAX_EVIDENCE_ROWS
from trails.models.status import AUDIT_RULES, STATUS
from trails.osquery.schema import load_schema
from trails.osquery.sqlcheck import SqlChecker, checker_for
from trails.packs.model import Check, Control, Pack
from trails.packs.probes import PROBES
from trails.packs.templates import TEMPLATES, Context, Expanded, lit

# Budget of one evidence row: the array brackets and commas included, 20 rows fit.
ROW_BUDGET = (MAX_EVIDENCE_BYTES - 2) // MAX_EVIDENCE_ROWS - 1
# Evidence when nothing was observed: the report shows this note, never a pass.
NOTHING_OBSERVED = '[{"trails_note":"nothing observed: the data this check needs was not seen"}]'
STALE_NOTE = (
    '[{"trails_note":"the agent has not refreshed the loaded audit rules within the '
    "pack's freshness bound\"}]"
)
_MIN_VALUE_CHARS = 24


def expand(check: Check, ctx: Context) -> Expanded:
    if check.kind == "query":
        return Expanded(str(check.spec), check.evidence)
    try:
        template = TEMPLATES[check.kind]
    except KeyError as exc:
        raise InternalError(f"unknown check kind {check.kind!r}") from exc
    return template(check.spec, ctx)


def _row_json(columns: tuple[str, ...]) -> str:
    """json_object over the evidence columns, text values cut to fit the row budget."""
    overhead = 2 + sum(len(c) + 6 for c in columns)
    cap = max(_MIN_VALUE_CHARS, (ROW_BUDGET - overhead) // len(columns))
    parts = []
    for col in columns:
        value = (
            f"CASE WHEN typeof({col}) IN ('integer', 'real', 'null') THEN {col} "
            f"ELSE substr(CAST({col} AS TEXT), 1, {cap}) END"
        )
        parts.append(f"{lit(col)}, {value}")
    return f"json_object({', '.join(parts)})"


def _one_line(sql: str) -> str:
    return re.sub(r"\s*\n\s*", " ", sql.strip()).rstrip(";").strip()


@cache
def shipped_checker() -> SqlChecker:
    """The checker of the shipped osquery schema on Linux, built once: each build parses
    the schema and creates its tables (0.05 s)."""
    return checker_for(load_schema(), "linux")


def _probes(*sqls: str) -> list[tuple[str, str]]:
    """(table, probe) for every probed osquery table the queries read, sorted."""
    tables: set[str] = set()
    for sql in sqls:
        if sql:
            tables |= shipped_checker().tables_read(sql)
    return [(t, PROBES[t]) for t in sorted(tables) if t in PROBES]


def _missing(probes: list[tuple[str, str]]) -> str:
    """SQL text: the names of the probed tables that returned nothing, or ''."""
    if not probes:
        return "''"
    parts = [f"CASE WHEN {probe} THEN '' ELSE {lit(t + ' ')} END" for t, probe in probes]
    return "rtrim(" + " || ".join(parts) + ")"


def compile_sql(control: Control, pack: Pack, ctx: Context) -> str:
    """The osquery SQL of ``control``'s one-row query."""
    if control.check is None:
        raise InternalError(f"{control.id} is manual and has no query")
    body = expand(control.check, ctx)
    no_rows = control.check.kind == "query" and control.check.pass_rule == "no_rows"
    offending = "1" if no_rows else "NOT coalesce(ok, 0)"
    if no_rows:
        observe = _one_line(str(control.check.observe))
        observed = f"EXISTS ({observe})"
    else:
        observe = ""
        observed = "EXISTS (SELECT 1 FROM trails_q)"
    # Applicability in two steps, each decided only from tables that returned rows:
    # first the pack's (is this host what the benchmark is for?), then the control's.
    applies = _one_line(pack.applies_when) if pack.applies_when else ""
    exempt = _one_line(control.not_applicable_when) if control.not_applicable_when else ""
    pack_na = f"NOT EXISTS ({applies})" if applies else "0"
    control_na = f"EXISTS ({exempt})" if exempt else "0"
    check_sqls = [_one_line(body.sql)] + ([observe] if observe else [])
    reads_audit = AUDIT_RULES.osquery_name in set().union(
        *(shipped_checker().tables_read(q) for q in check_sqls)
    )
    stale = (
        f"NOT EXISTS (SELECT 1 FROM {STATUS.osquery_name} WHERE CAST(strftime('%s', "
        f"last_attempt_at) AS INTEGER) >= CAST(strftime('%s', 'now') AS INTEGER) - "
        f"{pack.audit_max_age})"
        if reads_audit
        else "0"
    )
    row_json = _row_json(body.evidence)
    evidence = (
        "(SELECT coalesce(json_group_array(json(e)), '[]') FROM ("
        f"SELECT CASE WHEN length(CAST(j AS BLOB)) <= {ROW_BUDGET} THEN j "
        "ELSE json_object('trails_truncated', length(CAST(j AS BLOB))) END AS e "
        f"FROM (SELECT {row_json} AS j FROM trails_bad) ORDER BY e LIMIT {MAX_EVIDENCE_ROWS}))"
    )
    unread = "json_array(json_object('trails_note', 'no rows from osquery table(s): ' || {}))"
    return (
        f"WITH trails_q AS MATERIALIZED ({_one_line(body.sql)}), "
        f"trails_bad AS MATERIALIZED (SELECT * FROM trails_q WHERE {offending}), "
        f"trails_n AS MATERIALIZED (SELECT {_missing(_probes(applies))} AS pack_unread, "
        f"{_missing(_probes(exempt))} AS control_unread, "
        f"{_missing(_probes(*check_sqls))} AS check_unread), "
        "trails_a AS MATERIALIZED (SELECT *, "
        f"CASE WHEN pack_unread = '' THEN ({pack_na}) ELSE 0 END AS pack_na, "
        f"CASE WHEN control_unread = '' THEN ({control_na}) ELSE 0 END AS control_na "
        "FROM trails_n), "
        "trails_v AS MATERIALIZED (SELECT "
        "CASE WHEN pack_unread <> '' OR pack_na THEN pack_unread "
        "WHEN control_unread <> '' OR control_na THEN control_unread "
        "ELSE check_unread END AS unread, "
        "pack_na OR (pack_unread = '' AND control_na) AS na, "
        f"({observed}) AS seen, ({stale}) AS stale, "
        "(SELECT count(*) FROM trails_bad) AS bad FROM trails_a) "
        f"SELECT {lit(control.id)} AS control_id, "
        "CASE WHEN unread <> '' THEN 'no_evidence' WHEN na THEN 'not_applicable' "
        "WHEN stale THEN 'stale' "
        "WHEN NOT seen THEN 'no_evidence' WHEN bad > 0 THEN 'fail' ELSE 'pass' END AS status, "
        "CASE WHEN na OR unread <> '' OR stale OR NOT seen THEN 0 "
        "ELSE bad END AS evidence_count, "
        f"CASE WHEN unread <> '' THEN {unread.format('unread')} WHEN na THEN '[]' "
        f"WHEN stale THEN {lit(STALE_NOTE)} "
        f"WHEN NOT seen THEN {lit(NOTHING_OBSERVED)} "
        f"ELSE {evidence} END AS evidence FROM trails_v;"
    )
