"""Rollups of the ``results`` table, in SQL: the summary, per control, per requirement, per
namespace and owner, the results the renderers list, and the use of each exception.

Python receives only what is small: counts per group and status, and bounded lists.
The tables read are ``results`` (``trails.report.results``) and ``host_info`` (the
hosts, with their namespace and owner).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from trails.models.evidence import ReportStatus
from trails.report.catalog import RequirementSpec
from trails.report.engine.interface import Engine
from trails.report.model import (
    LISTED_FAILING,
    LISTED_PROBLEMS,
    MAX_LISTED_HOSTS,
    ControlInfo,
    ControlResult,
    ControlRollup,
    GroupRollup,
    Host,
    RequirementRollup,
    StatusCounts,
    worst_status,
)
from trails.report.results import COLUMNS, stream

UNJUDGED = (ReportStatus.ERROR, ReportStatus.STALE, ReportStatus.NO_EVIDENCE)
_UNJUDGED_SQL = ", ".join(f"'{s.value}'" for s in UNJUDGED)

Counts = dict[str, dict[ReportStatus, int]]
_GROUP_COUNTS = {
    column: f"SELECT coalesce(h.{column}, ''), r.status, count(*) FROM results r"  # noqa: S608
    " JOIN host_info h USING (host_uuid) GROUP BY 1, 2"
    for column in ("namespace", "owner")
}


def _counts(rows: Iterable[tuple[object, ...]]) -> Counts:
    """(key, status, count) rows -> key -> status -> count."""
    out: Counts = defaultdict(dict)
    for key, status, count in rows:
        out[str(key)][ReportStatus(str(status))] = int(str(count))
    return out


def _of(counts: dict[ReportStatus, int] | None) -> StatusCounts:
    return (
        StatusCounts.of(())
        if not counts
        else StatusCounts({**StatusCounts.of(()).by_status, **counts})
    )


def summary(engine: Engine) -> tuple[StatusCounts, int]:
    """Counts over every result, and how many hosts fail at least one control."""
    counts = _counts(
        ("", s, n) for s, n in engine.rows("SELECT status, count(*) FROM results GROUP BY 1")
    )
    ((failing,),) = engine.rows(
        "SELECT count(DISTINCT host_uuid) FROM results WHERE status = 'fail'"
    )
    return _of(counts.get("")), int(failing)


def control_rollups(engine: Engine, controls: Sequence[ControlInfo]) -> tuple[ControlRollup, ...]:
    counts = _counts(engine.rows("SELECT control_id, status, count(*) FROM results GROUP BY 1, 2"))
    failing: dict[str, list[str]] = defaultdict(list)
    for control_id, host in engine.rows(
        f"""
        SELECT control_id, host_uuid FROM (
          SELECT control_id, host_uuid,
                 row_number() OVER (PARTITION BY control_id ORDER BY host_uuid) AS n
          FROM results WHERE status = 'fail') failing
        WHERE n <= {MAX_LISTED_HOSTS} ORDER BY control_id, host_uuid
        """  # noqa: S608 - a constant
    ):
        failing[control_id].append(host)
    info_by_id = {c.id: c for c in controls}
    rollups = []
    for control_id in sorted(info_by_id.keys() | counts.keys()):
        got = _of(counts.get(control_id))
        info = info_by_id.get(control_id)
        status = (
            ReportStatus.MANUAL
            if info is not None and info.manual
            else worst_status(s for s in ReportStatus if got[s])
        )
        rollups.append(
            ControlRollup(
                control_id=control_id,
                status=status,
                counts=got,
                failing_hosts=tuple(failing.get(control_id, ())),
                failing_host_count=got[ReportStatus.FAIL],
            )
        )
    return tuple(rollups)


def requirement_rollups(
    engine: Engine,
    controls: Sequence[ControlInfo],
    specs: Sequence[RequirementSpec],
) -> tuple[RequirementRollup, ...]:
    """Every requirement named by a spec or by a control's refs, with its controls' results."""
    mapped: dict[tuple[str, str], set[str]] = defaultdict(set)
    for control in controls:
        for ref in control.refs:
            mapped[(ref.framework, ref.requirement)].add(control.id)
    refs = sorted((f, r, c) for (f, r), ids in mapped.items() for c in ids)
    engine.load(
        "control_refs",
        (("framework", "STRING"), ("requirement", "STRING"), ("control_id", "STRING")),
        refs,
    )
    counts = _counts(
        engine.rows(
            "SELECT framework || chr(31) || requirement, status, count(*)"
            " FROM results JOIN control_refs USING (control_id) GROUP BY 1, 2"
        )
    )
    failing = dict(
        engine.rows(
            "SELECT framework || chr(31) || requirement, count(DISTINCT host_uuid)"
            " FROM results JOIN control_refs USING (control_id) WHERE status = 'fail' GROUP BY 1"
        )
    )
    spec_by_key = {(s.framework, s.requirement): s for s in specs}
    manual_ids = {c.id for c in controls if c.manual}
    rollups = []
    for framework, requirement in sorted(
        mapped.keys() | spec_by_key.keys(), key=_requirement_sort_key
    ):
        spec = spec_by_key.get((framework, requirement))
        ids = sorted(mapped.get((framework, requirement), set()))
        got = _of(counts.get(f"{framework}\x1f{requirement}"))
        manual_reason = spec.manual_reason if spec else None
        if not [cid for cid in ids if cid not in manual_ids]:
            status = ReportStatus.MANUAL
            manual_reason = (
                manual_reason or "no automated control; evidence must come from elsewhere"
            )
        else:
            status = worst_status(s for s in ReportStatus if got[s])
        rollups.append(
            RequirementRollup(
                framework=framework,
                requirement=requirement,
                title=spec.title if spec else "",
                status=status,
                controls=tuple(ids),
                counts=got,
                failing_hosts=int(failing.get(f"{framework}\x1f{requirement}", 0)),
                manual_reason=manual_reason,
            )
        )
    return tuple(rollups)


def _requirement_sort_key(key: tuple[str, str]) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Sort "10.2.1" after "2.2.6": numeric parts as numbers."""
    parts = tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in key[1].split("."))
    return key[0], parts


def group_rollups(engine: Engine, hosts: Sequence[Host], column: str) -> tuple[GroupRollup, ...]:
    """Per value of ``host_info.<column>`` (namespace or owner)."""
    key: Callable[[Host], str] = {"namespace": lambda h: h.namespace, "owner": lambda h: h.owner}[
        column
    ]
    host_count: dict[str, int] = defaultdict(int)
    for host in hosts:
        host_count[key(host)] += 1
    counts = _counts(engine.rows(_GROUP_COUNTS[column]))
    return tuple(
        GroupRollup(name=name, hosts=host_count[name], counts=_of(counts.get(name)))
        for name in sorted(host_count)
    )


def listed_results(engine: Engine) -> tuple[ControlResult, ...]:
    """Per control: the first ``LISTED_FAILING`` failing and waived hosts and the first
    ``LISTED_PROBLEMS`` hosts without a usable result, by host_uuid."""
    engine.table(
        "listed",
        f"""
        SELECT {COLUMNS} FROM (
          SELECT *, row_number() OVER (
              PARTITION BY control_id,
                           CASE WHEN status IN ({_UNJUDGED_SQL}) THEN 'unjudged' ELSE status END
              ORDER BY host_uuid) AS n
          FROM results WHERE status IN ('fail', 'waived', {_UNJUDGED_SQL})) listed_rows
        WHERE n <= CASE WHEN status IN ('fail', 'waived') THEN {LISTED_FAILING}
                        ELSE {LISTED_PROBLEMS} END
        """,  # noqa: S608 - constants
    )
    return tuple(stream(engine, "listed", "control_id, status, host_uuid"))


def exception_use(engine: Engine) -> dict[tuple[str, str], int]:
    """(namespace, exception id) -> the failures it waived."""
    rows = engine.rows(
        "SELECT coalesce(h.namespace, ''), r.exception, count(*) FROM results r"
        " JOIN host_info h USING (host_uuid) WHERE r.status = 'waived' GROUP BY 1, 2"
    )
    return {(str(ns), str(e)): int(n) for ns, e, n in rows}
