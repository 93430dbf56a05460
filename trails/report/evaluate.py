"""Evaluation: the newest evidence per (host, control) in the window -> a verdict.

DuckDB does the heavy lifting (the newest row per host and control, osquery's schedule
statistics, the per-day trend); Python walks the sorted results once to build the
model. Rules (docs/design.md §7):

* ``pass`` only from a row that says ``pass`` inside the window; ``fail`` and
  ``not_applicable`` likewise; any other status a host sends is an ``error``.
* ``error`` where osquery's schedule statistics show the query denylisted, or run
  without logging a result inside the window.
* ``stale`` when the newest row is older than the window; ``no_evidence`` when none.
* every host gets a result for every control its namespace schedules (from the signed
  release when given) plus any control it reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from trails.formats.manifest import format_time
from trails.models.evidence import ReportStatus
from trails.report.engine.duck import insert
from trails.report.model import (
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


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _dt(ts: int | None) -> datetime | None:
    return None if ts is None else _utc(ts)


def load_hosts(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[Host, ...]:
    """Every host that sent a trails row, or any line with trails' decorations (a
    namespace), up to ``until``, with its newest decorations: a host whose control
    queries never ran is still a host, with no_evidence for what its namespace schedules."""
    con.execute(
        """
        CREATE OR REPLACE TABLE host_info AS
        SELECT host_uuid, m.hostname, m.namespace, m.config_version, m.org, m.owner,
               m.owner_group, m.project, m.t
        FROM (SELECT host_uuid, max({'t': t, 'hostname': hostname, 'namespace': namespace,
                     'config_version': config_version, 'org': org, 'owner': owner,
                     'owner_group': owner_group, 'project': project}) AS m
              FROM rows WHERE first_of_line AND host_uuid IS NOT NULL AND t <= $until
                AND (kind IN ('control', 'stats', 'integrity', 'empty')
                     OR (kind = 'other' AND coalesce(namespace, '') <> ''))
              GROUP BY host_uuid)
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


def add_missing_hosts(con: duckdb.DuckDBPyConnection, missing: Sequence[Host]) -> None:
    """Add hosts that never reported (from --inventory) to ``host_info``, after
    ``load_hosts``: they get no_evidence for every control their namespace schedules."""
    insert(
        con,
        "host_info",
        [(h.host_uuid, h.hostname, h.namespace, "", "", h.owner, "", "", None) for h in missing],
    )


def prepare(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    """Build the tables evaluation reads: ``latest`` and ``stats_errors``.

    ``latest`` keeps the newest control row per host and control up to ``until``; at the
    same time a fail beats any other row and a pass loses to every one (a second result
    line must never hide a failure), then the row's content decides, deterministically.
    """
    con.execute(
        """
        CREATE OR REPLACE TABLE latest AS
        SELECT host_uuid, control_id, m.t AS t, m.s AS status, m.n AS n, m.cv AS cv, m.e AS e
        FROM (SELECT host_uuid, control_id,
                     max({'t': t,
                          'w': CASE status WHEN 'fail' THEN 2 WHEN 'pass' THEN 0 ELSE 1 END,
                          's': status, 'n': evidence_count, 'cv': config_version,
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


# The verdict of every (host, control) pair, decided in SQL (docs/design.md §7), into the
# ``results`` table the rollups and renderers read (``trails.report.results``). Pairs are
# the controls each host's namespace schedules (``expected``), the controls it reported
# and the controls its schedule statistics name; hosts are those of ``host_info``.
_RESULTS_SQL = """
CREATE OR REPLACE TABLE results AS
WITH exp AS (
  SELECT namespace, control_id FROM expected
  UNION SELECT coalesce(h.namespace, ''), l.control_id
  FROM latest l JOIN host_info h USING (host_uuid)
), pairs AS (
  SELECT h.host_uuid, e.control_id
  FROM host_info h JOIN exp e ON e.namespace = coalesce(h.namespace, '')
  UNION SELECT host_uuid, control_id FROM latest
  UNION SELECT host_uuid, control_id FROM stats_errors
), v AS (
  SELECT p.host_uuid, p.control_id,
    CASE WHEN s.denylisted THEN 'denylisted'
         WHEN s.host_uuid IS NOT NULL THEN 'silent'
         WHEN l.host_uuid IS NULL THEN 'no_evidence'
         WHEN l.t < $since THEN 'stale'
         WHEN l.status = 'fail' AND w.exception_id IS NOT NULL THEN 'waived'
         WHEN l.status IN ('pass', 'fail', 'not_applicable') THEN l.status
         WHEN l.status IN ('no_evidence', 'stale') THEN 'host_' || l.status
         ELSE 'unknown' END AS verdict,
    l.t, l.status AS said, l.n, l.e, s.executions, w.exception_id, w.detail AS waiver,
    CASE WHEN l.host_uuid IS NULL THEN ''
         ELSE coalesce(nullif(l.cv, ''), h.config_version, '') END AS cv
  FROM pairs p JOIN host_info h USING (host_uuid)
  LEFT JOIN latest l USING (host_uuid, control_id)
  LEFT JOIN stats_errors s USING (host_uuid, control_id)
  LEFT JOIN waived w USING (host_uuid, control_id)
)
SELECT host_uuid, control_id,
  CASE verdict WHEN 'denylisted' THEN 'error' WHEN 'silent' THEN 'error'
               WHEN 'unknown' THEN 'error' WHEN 'host_no_evidence' THEN 'no_evidence'
               WHEN 'host_stale' THEN 'stale' ELSE verdict END AS status,
  t, cv,
  CASE WHEN verdict IN ('fail', 'waived') THEN greatest(coalesce(n, 0), 0) ELSE 0 END
    AS evidence_count,
  CASE WHEN verdict IN ('fail', 'waived') THEN e END AS evidence,
  CASE verdict
    WHEN 'denylisted' THEN 'query denylisted by osquery (it exceeded the watchdog limits)'
    WHEN 'silent' THEN 'osquery ran the query ' || coalesce(executions, 0)
                       || ' times; it never returned a row'
    WHEN 'unknown' THEN 'host reported unknown status ''' || said || ''''
    WHEN 'stale' THEN 'newest result is older than the report window'
    WHEN 'no_evidence' THEN 'no result arrived for this control'
    WHEN 'waived' THEN waiver
    WHEN 'host_no_evidence' THEN 'the host''s check could not decide: ' || {note}
    WHEN 'host_stale' THEN 'the host''s check could not decide: ' || {note}
    ELSE '' END AS detail,
  CASE WHEN verdict = 'waived' THEN exception_id ELSE '' END AS exception
FROM v
"""
# What a host's undecided check said: its one ``trails_note`` (trails/packs/compiler.py).
_NOTE = (
    "coalesce(CASE WHEN json_valid(e) THEN left(json_extract_string(e, '$[0].trails_note'), 200)"
    " END, 'no detail')"
)


def _waivers(
    releases: Sequence[ReleaseInfo], window: Window
) -> list[tuple[str, str, str, str, str, str]]:
    """One row per (exception in force at the window's end, host it names; "" = all)."""
    rows = []
    for info in releases:
        for e in info.exceptions:
            if not e.in_force(window.until):
                continue
            detail = (
                f"failure accepted by exception {e.id} until {format_time(e.expires)}"
                f" (approved by {e.approved_by})"
            )
            for host in e.hosts or ("",):
                rows.append((info.release.namespace, e.control, e.id, host, e.owner, detail))
    return rows


def evaluate_results(
    con: duckdb.DuckDBPyConnection, releases: Sequence[ReleaseInfo], window: Window
) -> None:
    """The ``results`` table: one row per host of ``load_hosts`` and expected control.
    Needs ``load_hosts`` and ``prepare(con, window)`` first."""
    con.execute("CREATE OR REPLACE TEMP TABLE expected (namespace VARCHAR, control_id VARCHAR)")
    pairs = sorted({(i.release.namespace, c) for i in releases for c in i.controls})
    insert(con, "expected", pairs)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE waivers (namespace VARCHAR, control_id VARCHAR,"
        " exception_id VARCHAR, host VARCHAR, owner VARCHAR, detail VARCHAR)"
    )
    waivers = _waivers(releases, window)
    insert(con, "waivers", waivers)
    # The (host, control) pairs whose failure an exception in force accepts.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE waived AS
        SELECT h.host_uuid, w.control_id, min(w.exception_id) AS exception_id,
               min_by(w.detail, w.exception_id) AS detail
        FROM host_info h JOIN waivers w ON w.namespace = coalesce(h.namespace, '')
          AND (w.host = '' OR w.host = h.host_uuid OR w.host = h.hostname)
          AND (w.owner = '' OR w.owner = h.owner)
        GROUP BY ALL
        """
    )
    con.execute(_RESULTS_SQL.replace("{note}", _NOTE), {"since": window.since_ts})


def trend(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[TrendPoint, ...]:
    """Per UTC day of the window (at most the last ``MAX_TREND_DAYS``): the newest result
    per (host, control) collected that day inside the window.

    Statuses a host cannot report (anything but pass, fail, not_applicable, no_evidence
    and stale) count as errors; a failure an exception in force accepts is waived. Needs
    ``evaluate_results`` first (its ``waived`` table).
    """
    rows = con.execute(
        """
        SELECT d, CASE WHEN m.s = 'fail' AND v.host_uuid IS NOT NULL THEN 'waived'
                       WHEN m.s IN ('pass', 'fail', 'not_applicable', 'no_evidence', 'stale')
                       THEN m.s ELSE 'error' END,
               count(*)
        FROM (SELECT host_uuid, control_id, t // 86400 AS d, max({'t': t, 's': status}) AS m
              FROM rows WHERE kind = 'control' AND t <= $until AND t >= $since
                AND host_uuid IS NOT NULL AND control_id <> ''
                AND t // 86400 > $until // 86400 - $max_days
              GROUP BY ALL) per_day
        LEFT JOIN waived v USING (host_uuid, control_id)
        GROUP BY ALL ORDER BY 1, 2
        """,
        {"until": window.until_ts, "since": window.since_ts, "max_days": MAX_TREND_DAYS},
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


def newest_line(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The newest input line at all: the window's end when --until is not given."""
    (t,) = con.execute("SELECT max(t) FROM rows WHERE kind <> 'malformed'").fetchone() or (None,)
    return _dt(t)


def default_window(until: datetime | None, since: datetime | None, now: datetime) -> Window:
    end = until or now
    return Window(since=since or end - timedelta(hours=24), until=end)


def keep_controls(con: duckdb.DuckDBPyConnection, control_ids: set[str]) -> None:
    """--framework: drop the results of controls outside it."""
    con.execute("CREATE OR REPLACE TEMP TABLE in_scope (control_id VARCHAR)")
    insert(con, "in_scope", [(c,) for c in sorted(control_ids)])
    con.execute("DELETE FROM results WHERE control_id NOT IN (SELECT control_id FROM in_scope)")
