"""Evaluation: the newest evidence per (host, control) in the window -> a verdict.

DuckDB does the heavy lifting (the newest row per host and control, osquery's schedule
statistics, the per-day trend); Python walks the sorted results once to build the
model. Rules (DESIGN.md §7):

* ``pass`` only from a row that says ``pass`` inside the window; ``fail`` and
  ``not_applicable`` likewise; any other status a host sends is an ``error``.
* ``error`` where osquery's schedule statistics show the query denylisted, or run
  without logging a result inside the window.
* ``stale`` when the newest row is older than the window; ``no_evidence`` when none.
* every host gets a result for every control its namespace schedules (from the signed
  release when given) plus any control it reported.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from trails.models.evidence import MAX_EVIDENCE_ROWS, ReportStatus
from trails.report.model import (
    MAX_EVIDENCE_FIELDS,
    MAX_EVIDENCE_VALUE,
    ControlResult,
    EvidenceRow,
    Host,
    StatusCounts,
    TrendPoint,
    bound_text,
)
from trails.report.releases import ReleaseInfo

DAY = 86400
MAX_TREND_DAYS = 92
# What a control row may say; anything else is an error.
_REPORTED = {
    s.value: s for s in (ReportStatus.PASS, ReportStatus.FAIL, ReportStatus.NOT_APPLICABLE)
}


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime

    @property
    def since_ts(self) -> int:
        return int(self.since.timestamp())

    @property
    def until_ts(self) -> int:
        return int(self.until.timestamp())


def _dt(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def load_hosts(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[Host, ...]:
    """Every host that sent a trails row up to ``until``, with its newest decorations."""
    con.execute(
        """
        CREATE OR REPLACE TABLE host_info AS
        SELECT host_uuid, m.hostname, m.namespace, m.config_version, m.org, m.owner,
               m.owner_group, m.project, m.t
        FROM (SELECT host_uuid, max({'t': t, 'hostname': hostname, 'namespace': namespace,
                     'config_version': config_version, 'org': org, 'owner': owner,
                     'owner_group': owner_group, 'project': project}) AS m
              FROM rows WHERE kind IN ('control', 'stats', 'integrity') AND first_of_line
                AND host_uuid IS NOT NULL AND t <= $until GROUP BY host_uuid)
        """,
        {"until": window.until_ts},
    )
    rows = con.execute("SELECT * FROM host_info ORDER BY host_uuid").fetchall()
    return tuple(
        Host(
            host_uuid=bound_text(uuid),
            hostname=bound_text(hostname or ""),
            namespace=bound_text(namespace or ""),
            config_version=bound_text(cv or ""),
            org=bound_text(org or ""),
            owner=bound_text(owner or ""),
            owner_group=bound_text(group or ""),
            project=bound_text(project or ""),
            last_seen=_dt(t),
        )
        for uuid, hostname, namespace, cv, org, owner, group, project, t in rows
    )


def prepare(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    """Build the tables evaluation reads: ``latest`` and ``stats_errors``.

    ``latest`` keeps the newest control row per host and control up to ``until`` (ties
    broken by the row's content, so the choice is deterministic).
    """
    con.execute(
        """
        CREATE OR REPLACE TABLE latest AS
        SELECT host_uuid, control_id, m.t AS t, m.s AS status, m.n AS n, m.cv AS cv, m.e AS e
        FROM (SELECT host_uuid, control_id,
                     max({'t': t, 's': status, 'n': evidence_count, 'cv': config_version,
                          'e': evidence}) AS m
              FROM rows WHERE kind = 'control' AND t <= $until AND host_uuid IS NOT NULL
                AND control_id <> '' GROUP BY ALL)
        """,
        {"until": window.until_ts},
    )
    # The newest schedule statistics snapshot of each host names the controls that are
    # an error: denylisted, or run (executions > 0) without ever returning a row
    # (output_size is cumulative, and a control query always returns one row).
    con.execute(
        """
        CREATE OR REPLACE TABLE stats_errors AS
        WITH newest AS (
          SELECT host_uuid, max(t) AS t FROM rows
          WHERE kind = 'stats' AND t <= $until AND host_uuid IS NOT NULL GROUP BY host_uuid)
        SELECT r.host_uuid, r.control_id, bool_or(r.denylisted) AS denylisted,
               max(r.executions) AS executions
        FROM rows r JOIN newest n ON r.host_uuid = n.host_uuid AND r.t = n.t
        WHERE r.kind = 'stats' AND coalesce(r.control_id, '') <> ''
          AND (r.denylisted OR (r.executions > 0 AND r.output_size = 0))
        GROUP BY ALL
        """,
        {"until": window.until_ts},
    )


def _evidence(text: str | None) -> tuple[EvidenceRow, ...]:
    if not text:
        return ()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, list):
        return (EvidenceRow((("evidence", bound_text(text, MAX_EVIDENCE_VALUE)),)),)
    rows = []
    for item in doc[:MAX_EVIDENCE_ROWS]:
        if isinstance(item, dict):
            fields = tuple(
                (
                    bound_text(str(k), 64),
                    bound_text(v if isinstance(v, str) else json.dumps(v), MAX_EVIDENCE_VALUE),
                )
                for k, v in list(item.items())[:MAX_EVIDENCE_FIELDS]
            )
        else:
            fields = (("value", bound_text(json.dumps(item), MAX_EVIDENCE_VALUE)),)
        rows.append(EvidenceRow(fields))
    return tuple(rows)


def _verdict(
    row: tuple[Any, ...] | None, stats: tuple[bool, int] | None, window: Window
) -> tuple[ReportStatus, str]:
    if stats is not None:
        denylisted, executions = stats
        if denylisted:
            return (
                ReportStatus.ERROR,
                "query denylisted by osquery (it exceeded the watchdog limits)",
            )
        return (
            ReportStatus.ERROR,
            f"osquery ran the query {executions} times; it never returned a row",
        )
    if row is None:
        return ReportStatus.NO_EVIDENCE, "no result arrived for this control"
    t, status = row[2], row[3]
    if t < window.since_ts:
        return ReportStatus.STALE, "newest result is older than the report window"
    reported = _REPORTED.get(status or "")
    if reported is None:
        return ReportStatus.ERROR, f"host reported unknown status {bound_text(str(status), 32)!r}"
    return reported, ""


def _latest_rows(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[Any, ...]]:
    cursor = con.execute(
        "SELECT host_uuid, control_id, t, status, n, cv, e FROM latest ORDER BY 1, 2"
    )
    while batch := cursor.fetchmany(50_000):
        yield from batch


def evaluate_results(
    con: duckdb.DuckDBPyConnection,
    hosts: Sequence[Host],
    releases: Sequence[ReleaseInfo],
    window: Window,
) -> tuple[ControlResult, ...]:
    """One result per host and expected control, sorted by (host_uuid, control_id).

    Needs ``prepare(con, window)`` first.
    """
    expected: dict[str, set[str]] = defaultdict(set)
    for info in releases:
        expected[info.release.namespace].update(info.controls)
    for namespace, control in con.execute(
        "SELECT DISTINCT coalesce(h.namespace, ''), l.control_id"
        " FROM latest l LEFT JOIN host_info h USING (host_uuid)"
    ).fetchall():
        expected[namespace].add(control)
    ordered = {ns: sorted(controls) for ns, controls in expected.items()}
    stats = {
        (u, c): (bool(d), int(x or 0))
        for u, c, d, x in con.execute("SELECT * FROM stats_errors").fetchall()
    }
    errored: dict[str, set[str]] = defaultdict(set)
    for uuid, control in stats:
        errored[uuid].add(control)
    rows = _latest_rows(con)
    pending = next(rows, None)
    results: list[ControlResult] = []
    fail = ReportStatus.FAIL
    for host in hosts:
        uuid = host.host_uuid
        own: dict[str, tuple[Any, ...]] = {}
        while pending is not None and pending[0] <= uuid:
            if pending[0] == uuid:
                own[pending[1]] = pending
            pending = next(rows, None)
        controls = ordered.get(host.namespace, [])
        extra = (own.keys() | errored.get(uuid, set())) - expected[host.namespace]
        if extra:
            controls = sorted(expected[host.namespace] | extra)
        for control in controls:
            row = own.get(control)
            status, detail = _verdict(row, stats.get((uuid, control)), window)
            if row is None:
                results.append(ControlResult(uuid, control, status, None, "", 0, (), detail))
                continue
            failed = status is fail
            results.append(
                ControlResult(
                    uuid,
                    control,
                    status,
                    datetime.fromtimestamp(row[2], UTC),
                    row[5] or host.config_version,
                    max(0, int(row[4] or 0)) if failed else 0,
                    _evidence(row[6]) if failed else (),
                    detail,
                )
            )
    return tuple(results)


def trend(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[TrendPoint, ...]:
    """Per UTC day the input covers: the newest result per (host, control) collected that day.

    Statuses other than pass, fail and not_applicable count as errors.
    """
    rows = con.execute(
        """
        SELECT d, CASE WHEN m.s IN ('pass', 'fail', 'not_applicable') THEN m.s ELSE 'error' END,
               count(*)
        FROM (SELECT host_uuid, control_id, t // 86400 AS d, max({'t': t, 's': status}) AS m
              FROM rows WHERE kind = 'control' AND t <= $until AND host_uuid IS NOT NULL
                AND control_id <> '' AND t // 86400 > $until // 86400 - $max_days
              GROUP BY ALL)
        GROUP BY ALL ORDER BY 1, 2
        """,
        {"until": window.until_ts, "max_days": MAX_TREND_DAYS},
    ).fetchall()
    by_day: dict[int, dict[ReportStatus, int]] = defaultdict(dict)
    for day, status, count in rows:
        by_day[int(day)][ReportStatus(status)] = int(count)
    return tuple(
        TrendPoint(
            day=datetime.fromtimestamp(day * DAY, UTC).date(),
            counts=StatusCounts({s: counts.get(s, 0) for s in ReportStatus}),
        )
        for day, counts in sorted(by_day.items())
    )


def newest_time(con: duckdb.DuckDBPyConnection, window: Window) -> datetime | None:
    """The newest line up to the window's end: a report's default ``generated_at``."""
    (t,) = con.execute(
        "SELECT max(t) FROM rows WHERE kind <> 'malformed' AND t <= $until",
        {"until": window.until_ts},
    ).fetchone() or (None,)
    return _dt(t)


def default_window(until: datetime | None, since: datetime | None, now: datetime) -> Window:
    end = until or now
    return Window(since=since or end - timedelta(hours=24), until=end)


def status_counts(results: Sequence[ControlResult]) -> StatusCounts:
    return StatusCounts.of(r.status for r in results)
