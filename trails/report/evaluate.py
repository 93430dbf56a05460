"""Evaluation: the newest evidence per (host, control) in the window -> a verdict.

The engine does all of it, in SQL both engines read the same way (the newest row per host
and control, osquery's schedule statistics, the verdicts into the ``results`` table, the
per-day trend). Rules (docs/design.md §7):

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

from trails.formats.manifest import format_time
from trails.models.evidence import ReportStatus
from trails.report.engine.interface import Columns, Engine
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


def _newest(partition: str, order: str) -> str:
    """``row_number() = 1`` picks the newest row: the window the engines agree on (a
    struct ``max`` is spelled and ordered differently in DuckDB and Spark)."""
    return f"row_number() OVER (PARTITION BY {partition} ORDER BY {order}) AS newest"


_HOST_COLUMNS = (
    "hostname",
    "namespace",
    "config_version",
    "org",
    "owner",
    "owner_group",
    "project",
)


def load_hosts(engine: Engine, window: Window) -> tuple[Host, ...]:
    """Every host that sent a trails row, or any line with trails' decorations (a
    namespace), up to ``until``, with its newest decorations: a host whose control
    queries never ran is still a host, with no_evidence for what its namespace schedules.
    They are the table ``seen_hosts``."""
    columns = ", ".join(_HOST_COLUMNS)
    ties = ", ".join(f"{c} DESC NULLS FIRST" for c in _HOST_COLUMNS)
    host_line = f"""first_of_line AND host_uuid IS NOT NULL AND t <= {window.until_ts}
        AND (kind IN ('control', 'stats', 'integrity', 'empty')
             OR (kind = 'other' AND coalesce(namespace, '') <> ''))"""
    # Only the lines at a host's newest time go through the window (the newest comes from
    # them): a few per host, not every line it sent. The lines are read twice, not shared
    # in a CTE, which DuckDB would materialize (at 100,000 hosts 4.0 s against 0.7 s).
    engine.table(
        "seen_hosts",
        f"""
        WITH newest_time AS (
          SELECT host_uuid, max(t) AS t FROM rows WHERE {host_line} GROUP BY host_uuid
        )
        SELECT host_uuid, {columns}, t FROM (
          SELECT host_uuid, {columns}, t, {_newest("host_uuid", ties)}
          FROM (SELECT host_uuid, {columns}, t FROM rows WHERE {host_line}) host_lines
          JOIN newest_time USING (host_uuid, t)) newest_lines
        WHERE newest = 1
        """,  # noqa: S608 - integers and our own names
    )
    rows = engine.rows("SELECT * FROM seen_hosts ORDER BY host_uuid")
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


HOST_TABLE: Columns = (
    ("host_uuid", "STRING"),
    *((c, "STRING") for c in _HOST_COLUMNS),
    ("t", "BIGINT"),
)


def add_missing_hosts(engine: Engine, missing: Sequence[Host]) -> None:
    """``host_info``: the hosts seen (``load_hosts``) and those of --inventory that never
    reported, which get no_evidence for every control their namespace schedules."""
    engine.load(
        "missing_hosts",
        HOST_TABLE,
        [(h.host_uuid, h.hostname, h.namespace, "", "", h.owner, "", "", None) for h in missing],
    )
    engine.table("host_info", "SELECT * FROM seen_hosts UNION ALL SELECT * FROM missing_hosts")


def prepare(engine: Engine, window: Window) -> None:
    """Build the tables evaluation reads: ``latest`` and ``stats_errors``.

    ``latest`` keeps the newest control row per host and control up to ``until``; at the
    same time a fail beats any other row and a pass loses to every one (a second result
    line must never hide a failure), then the row's content decides, deterministically.
    """
    weight = "CASE status WHEN 'fail' THEN 2 WHEN 'pass' THEN 0 ELSE 1 END"
    order = (
        f"t DESC NULLS FIRST, {weight} DESC, status DESC NULLS FIRST,"
        " evidence_count DESC NULLS FIRST, config_version DESC NULLS FIRST,"
        " evidence DESC NULLS FIRST"
    )
    engine.table(
        "latest",
        f"""
        SELECT host_uuid, control_id, t, status, evidence_count AS n, config_version AS cv,
               evidence AS e
        FROM (SELECT host_uuid, control_id, t, status, evidence_count, config_version,
                     evidence, {_newest("host_uuid, control_id", order)}
              FROM rows WHERE kind = 'control' AND t <= {window.until_ts}
                AND host_uuid IS NOT NULL AND control_id <> '') control_rows
        WHERE newest = 1
        """,  # noqa: S608 - integers and our own names
    )
    # The newest schedule statistics snapshot of each host names the controls that are
    # an error: denylisted, or run (executions > 0) without ever returning a row
    # (output_size is cumulative, and a control query always returns one row).
    engine.table(
        "stats_errors",
        f"""
        WITH newest AS (
          SELECT host_uuid, max(t) AS t FROM rows
          WHERE kind = 'stats' AND t <= {window.until_ts} AND host_uuid IS NOT NULL
          GROUP BY host_uuid)
        SELECT r.host_uuid, r.control_id, bool_or(r.denylisted) AS denylisted,
               max(r.executions) AS executions
        FROM rows r JOIN newest n ON r.host_uuid = n.host_uuid AND r.t = n.t
        WHERE r.kind = 'stats' AND coalesce(r.control_id, '') <> ''
          AND (r.denylisted OR (r.executions > 0 AND r.output_size = 0))
        GROUP BY r.host_uuid, r.control_id
        """,  # noqa: S608 - integers and our own names
    )


# The verdict of every (host, control) pair, decided in SQL (docs/design.md §7), into the
# ``results`` table the rollups and renderers read (``trails.report.results``). Pairs are
# the controls each host's namespace schedules (``expected``), the controls it reported
# and the controls its schedule statistics name; hosts are those of ``host_info``.
# A control a host reported is in ``exp`` for the host's namespace, so the pairs are those
# of ``latest`` and, added to them, the expected pairs a host did not report (looked for
# only on the hosts that reported fewer controls than their namespace expects) and those
# only the statistics name. ``latest`` then needs no join of its own: at 100,000 hosts
# 24.7 -> 7.6 s (11.8 s when every host misses a control) against a distinct over all
# pairs joined to ``latest``. A control a host reported is expected of the other hosts of
# its namespace (``spread``) only if that namespace has no signed release (which says all
# it schedules) and the id is ``defined`` (in the packs or any signed release): a host that
# invents ids, or names another namespace's controls, gets their rows, not every other host
# a no_evidence row for each; with no packs and no releases nothing is defined, and the
# hosts say what is expected.
_RESULTS_SQL = """
WITH exp AS (
  SELECT namespace, control_id FROM expected
  UNION SELECT coalesce(h.namespace, ''), l.control_id
  FROM latest l JOIN host_info h ON h.host_uuid = l.host_uuid
), spread AS (
  SELECT namespace, control_id FROM expected
  UNION
  SELECT namespace, control_id FROM exp
  WHERE namespace NOT IN (SELECT namespace FROM released)
    AND (control_id IN (SELECT control_id FROM defined) OR NOT EXISTS (SELECT 1 FROM defined))
), gaps AS (
  SELECT h.host_uuid, coalesce(h.namespace, '') AS namespace
  FROM host_info h
  JOIN (SELECT namespace, count(*) AS n FROM exp GROUP BY namespace) per_namespace
    ON per_namespace.namespace = coalesce(h.namespace, '')
  LEFT JOIN (SELECT host_uuid, count(*) AS n FROM latest GROUP BY host_uuid) reported
    ON reported.host_uuid = h.host_uuid
  WHERE coalesce(reported.n, 0) < per_namespace.n
), pairs AS (
  SELECT host_uuid, control_id, t, status, n, e, cv, TRUE AS reported FROM latest
  UNION ALL
  SELECT g.host_uuid, x.control_id, NULL, NULL, NULL, NULL, NULL, FALSE
  FROM gaps g JOIN spread x ON x.namespace = g.namespace
  WHERE NOT EXISTS (SELECT 1 FROM latest l
                    WHERE l.host_uuid = g.host_uuid AND l.control_id = x.control_id)
  UNION ALL
  SELECT s.host_uuid, s.control_id, NULL, NULL, NULL, NULL, NULL, FALSE
  FROM stats_errors s JOIN host_info h ON h.host_uuid = s.host_uuid
  WHERE NOT EXISTS (SELECT 1 FROM spread x
                    WHERE x.namespace = coalesce(h.namespace, '') AND x.control_id = s.control_id)
    AND NOT EXISTS (SELECT 1 FROM latest l
                    WHERE l.host_uuid = s.host_uuid AND l.control_id = s.control_id)
), v AS (
  SELECT p.host_uuid, p.control_id,
    CASE WHEN s.denylisted THEN 'denylisted'
         WHEN s.host_uuid IS NOT NULL THEN 'silent'
         WHEN NOT p.reported THEN 'no_evidence'
         WHEN p.t < {since} THEN 'stale'
         WHEN p.status = 'fail' AND w.exception_id IS NOT NULL THEN 'waived'
         WHEN p.status IN ('pass', 'fail', 'not_applicable') THEN p.status
         WHEN p.status IN ('no_evidence', 'stale') THEN 'host_' || p.status
         ELSE 'unknown' END AS verdict,
    p.t, p.status AS said, p.n, p.e, s.executions, w.exception_id, w.detail AS waiver,
    CASE WHEN NOT p.reported THEN ''
         ELSE coalesce(nullif(p.cv, ''), h.config_version, '') END AS cv
  FROM pairs p JOIN host_info h ON h.host_uuid = p.host_uuid
  LEFT JOIN stats_errors s ON s.host_uuid = p.host_uuid AND s.control_id = p.control_id
  LEFT JOIN waived w ON w.host_uuid = p.host_uuid AND w.control_id = p.control_id
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
    WHEN 'silent' THEN 'osquery ran the query ' || CAST(coalesce(executions, 0) AS STRING)
                       || ' times; it never returned a row'
    WHEN 'unknown' THEN coalesce('host reported unknown status ''' || said || '''',
                                 'the host''s result row has no status')
    WHEN 'stale' THEN 'newest result is older than the report window'
    WHEN 'no_evidence' THEN 'no result arrived for this control'
    WHEN 'waived' THEN waiver
    WHEN 'host_no_evidence' THEN 'the host''s check could not decide: ' || {note}
    WHEN 'host_stale' THEN 'the host''s check could not decide: ' || {note}
    ELSE '' END AS detail,
  CASE WHEN verdict = 'waived' THEN exception_id ELSE '' END AS exception
FROM v{scope}
"""


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


WAIVERS: Columns = (
    ("namespace", "STRING"),
    ("control_id", "STRING"),
    ("exception_id", "STRING"),
    ("host", "STRING"),
    ("owner", "STRING"),
    ("detail", "STRING"),
)


def evaluate_results(
    engine: Engine,
    releases: Sequence[ReleaseInfo],
    window: Window,
    defined: set[str],
    only: set[str] | None = None,
) -> None:
    """The ``results`` table: one row per host of ``host_info`` and expected control
    (``only`` these controls: --framework); ``defined``: the control ids of the packs
    (none without --packs: then what any host reports is expected of its namespace).
    Needs ``add_missing_hosts`` and ``prepare``."""
    pairs = sorted({(i.release.namespace, c) for i in releases for c in i.controls})
    engine.load("expected", (("namespace", "STRING"), ("control_id", "STRING")), pairs)
    released = sorted({i.release.namespace for i in releases})
    engine.load("released", (("namespace", "STRING"),), [(n,) for n in released])
    ids = sorted(defined | {c for _, c in pairs})
    engine.load("defined", (("control_id", "STRING"),), [(c,) for c in ids])
    engine.load("waivers", WAIVERS, _waivers(releases, window))
    # The (host, control) pairs whose failure an exception in force accepts.
    engine.table(
        "waived",
        """
        SELECT h.host_uuid, w.control_id, min(w.exception_id) AS exception_id,
               min_by(w.detail, w.exception_id) AS detail
        FROM host_info h JOIN waivers w ON w.namespace = coalesce(h.namespace, '')
          AND (w.host = '' OR w.host = h.host_uuid OR w.host = h.hostname)
          AND (w.owner = '' OR w.owner = h.owner)
        GROUP BY h.host_uuid, w.control_id
        """,
    )
    scope = ""
    if only is not None:
        engine.load("in_scope", (("control_id", "STRING"),), [(c,) for c in sorted(only)])
        scope = " WHERE control_id IN (SELECT control_id FROM in_scope)"
    note = f"coalesce(left({engine.dialect.json_note('e')}, 200), 'no detail')"
    engine.table("results", _RESULTS_SQL.format(since=window.since_ts, note=note, scope=scope))


def trend(engine: Engine, window: Window) -> tuple[TrendPoint, ...]:
    """Per UTC day of the window (at most the last ``MAX_TREND_DAYS``): the newest result
    per (host, control) collected that day inside the window.

    Statuses a host cannot report (anything but pass, fail, not_applicable, no_evidence
    and stale) count as errors; a failure an exception in force accepts is waived. Needs
    ``evaluate_results`` first (its ``waived`` table).
    """
    first_day = window.until_ts // DAY - MAX_TREND_DAYS
    day = f"CAST(floor(t / {DAY}) AS BIGINT)"
    newest = _newest(f"host_uuid, control_id, {day}", "t DESC NULLS FIRST, status DESC NULLS FIRST")
    rows = engine.rows(
        f"""
        SELECT d, CASE WHEN s = 'fail' AND v.host_uuid IS NOT NULL THEN 'waived'
                       WHEN s IN ('pass', 'fail', 'not_applicable', 'no_evidence', 'stale')
                       THEN s ELSE 'error' END AS st,
               count(*)
        FROM (SELECT host_uuid, control_id, d, status AS s FROM (
                SELECT host_uuid, control_id, status, {day} AS d,
                       {newest}
                FROM rows WHERE kind = 'control' AND t <= {window.until_ts}
                  AND t >= {window.since_ts} AND host_uuid IS NOT NULL AND control_id <> ''
                  AND {day} > {first_day}) day_rows
              WHERE newest = 1) per_day
        LEFT JOIN waived v USING (host_uuid, control_id)
        GROUP BY d, st ORDER BY d, st
        """  # noqa: S608 - integers and our own names
    )
    by_day: dict[int, dict[ReportStatus, int]] = defaultdict(dict)
    for d, status, count in rows:
        by_day[int(d)][ReportStatus(status)] = int(count)
    return tuple(
        TrendPoint(
            day=datetime.fromtimestamp(d * DAY, UTC).date(),
            counts=StatusCounts({s: counts.get(s, 0) for s in ReportStatus}),
        )
        for d, counts in sorted(by_day.items())
    )


def newest_time(engine: Engine, window: Window) -> datetime | None:
    """The newest line up to the window's end: a report's default ``generated_at``."""
    ((t,),) = engine.rows(
        f"SELECT max(t) FROM rows WHERE kind <> 'malformed' AND t <= {window.until_ts}"  # noqa: S608
    )
    return _dt(t)


def newest_line(engine: Engine, not_after: datetime) -> datetime | None:
    """The newest input line not dated after ``not_after`` (the report's clock): the
    window's end when --until is not given. A line dated later, from a host whose clock
    runs ahead or a forged one (9999-12-31), would move every host's evidence out of the
    window."""
    sql = f"SELECT max(t) FROM rows WHERE kind <> 'malformed' AND t <= {int(not_after.timestamp())}"  # noqa: S608
    ((t,),) = engine.rows(sql)
    return _dt(t)


def lines_after(engine: Engine, window: Window) -> int:
    """The input lines dated after the window's end, left out of the report."""
    ((n,),) = engine.rows(
        "SELECT count(*) FROM rows WHERE first_of_line AND kind <> 'malformed'"  # noqa: S608
        f" AND t > {window.until_ts}"
    )
    return int(n)


def default_window(until: datetime | None, since: datetime | None, now: datetime) -> Window:
    end = until or now
    return Window(since=since or end - timedelta(hours=24), until=end)
