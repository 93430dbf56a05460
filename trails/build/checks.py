"""Validation shared by ``trails build`` and ``trails lint``: SQL, numbers, names.

Every query that osquery runs (schedule, inline packs and their discovery queries,
decorators, views) is prepared by SQLite against the osquery schema for the namespace's
platform. ATC queries run against the agent's SQLite file, not osquery, and are skipped.
"""

from __future__ import annotations

import functools

from trails.build.merge import Merged
from trails.build.policy import PolicyFile, error
from trails.errors import SourceLoc
from trails.models.diagnostic import Diagnostic, Severity
from trails.models.fragment import ScheduledQuery
from trails.models.status import TABLES
from trails.osquery.flags import OsqueryFlags, load_flags
from trails.osquery.schema import OsquerySchema
from trails.osquery.sqlcheck import SqlChecker, SqlProblem, checker_for

MIN_INTERVAL, MAX_INTERVAL = 1, 604800
MIN_SHARD, MAX_SHARD = 1, 100
_RESERVED_ATC = frozenset(t.osquery_name for t in TABLES)


def _sql(checker: SqlChecker, sql: str, loc: SourceLoc, what: str) -> list[Diagnostic]:
    return [error(loc, f"{what}: {p.message}", p.code) for p in checker.check(sql)]


def _runs_on(query_platform: str | None, platform: str) -> bool:
    """osquery's per-query ``platform`` filter: a comma list; posix, any and all widen it."""
    if not query_platform:
        return True
    names = {p.strip() for p in query_platform.split(",")}
    if names & {"any", "all", platform}:
        return True
    return "posix" in names and platform != "windows"


def _query(checker: SqlChecker, q: ScheduledQuery, what: str) -> list[Diagnostic]:
    if not _runs_on(q.platform, checker.platform):
        return [
            Diagnostic(
                q.loc,
                Severity.WARNING,
                f"{what}: platform {q.platform!r} never "
                f"runs on this namespace's {checker.platform} hosts",
                "query.platform",
            )
        ]
    return _numbers(q, what) + _sql(checker, q.query, q.loc, what)


def _numbers(q: ScheduledQuery, what: str) -> list[Diagnostic]:
    found = []
    if not MIN_INTERVAL <= q.interval <= MAX_INTERVAL:
        found.append(
            error(
                q.loc,
                f"{what}: interval {q.interval} is outside {MIN_INTERVAL}..{MAX_INTERVAL} seconds",
                "query.interval",
            )
        )
    if q.shard is not None and not MIN_SHARD <= q.shard <= MAX_SHARD:
        found.append(
            error(
                q.loc, f"{what}: shard {q.shard} is outside {MIN_SHARD}..{MAX_SHARD}", "query.shard"
            )
        )
    return found


@functools.lru_cache(maxsize=64)
def _checker_with_views(
    schema: OsquerySchema, platform: str, views: tuple[tuple[str, str], ...]
) -> tuple[SqlChecker, tuple[tuple[SqlProblem, ...], ...]]:
    """One checker per distinct set of views: descendants usually share their ancestor's."""
    if not views:
        return checker_for(schema, platform), ()
    checker = SqlChecker(schema, platform)
    return checker, tuple(tuple(checker.add_view(name, sql)) for name, sql in views)


def check_options(m: Merged, flags: OsqueryFlags) -> list[Diagnostic]:
    """Each ``options`` key against osquery's flags: unknown names and bad values."""
    found = []
    for name, value in m.options.items():
        problem = flags.check(name, value)
        if problem is not None:
            severity = Severity.ERROR if problem.error else Severity.WARNING
            loc = m.option_locs.get(name, SourceLoc(m.namespace))
            found.append(Diagnostic(loc, severity, problem.message, problem.code))
    return found


def check_namespace(
    m: Merged, schema: OsquerySchema, flags: OsqueryFlags | None = None
) -> list[Diagnostic]:
    found: list[Diagnostic] = check_options(m, flags or load_flags())
    views = tuple((name, sql) for name, (sql, _) in m.views.items())
    checker, view_problems = _checker_with_views(schema, m.platform, views)
    for (name, (_, loc)), problems in zip(m.views.items(), view_problems, strict=True):
        found.extend(error(loc, f"view {name}: {p.message}", p.code) for p in problems)
    for name, q in m.schedule.items():
        found.extend(_query(checker, q, f"query {name}"))
    for pack in m.packs.values():
        shard = pack.settings.get("shard")
        if shard is not None and (type(shard) is not int or not MIN_SHARD <= shard <= MAX_SHARD):
            found.append(
                error(
                    pack.loc,
                    f"pack {pack.name}: shard must be an integer {MIN_SHARD}..{MAX_SHARD}",
                    "query.shard",
                )
            )
        for sql in pack.settings.get("discovery", []):
            found.extend(_sql(checker, sql, pack.loc, f"pack {pack.name} discovery"))
        for name, q in pack.queries.items():
            found.extend(_query(checker, q, f"pack {pack.name} query {name}"))
    for kind, items in m.decorators.items():
        for sql, loc in items:
            found.extend(_sql(checker, sql, loc, f"{kind} decorator"))
    for name in m.atc:
        if name in _RESERVED_ATC:
            found.append(
                error(
                    m.locs.get("atc", SourceLoc(m.namespace)),
                    f"auto_table_construction {name} is reserved for trails",
                    "policy.reserved",
                )
            )
    return found


_PLATFORMS = ("linux", "darwin", "windows")


def _is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def check_unmerged(
    policy: PolicyFile, platform: object, schema: OsquerySchema, flags: OsqueryFlags | None = None
) -> list[Diagnostic]:
    """What can still be checked in a file that fails the policy schema, so one run
    reports it too: its own ``options`` and its own schedule queries whose SQL has no
    template (against ``platform``, the file's or its nearest ancestor's)."""
    osquery = policy.doc.get("osquery")
    if not isinstance(osquery, dict):
        return []
    found: list[Diagnostic] = []
    options = osquery.get("options")
    if isinstance(options, dict):
        lines = getattr(options, "key_lines", {})
        for name, value in options.items():
            if not isinstance(name, str):
                continue
            problem = (flags or load_flags()).check(name, value)
            templated = isinstance(value, str) and _is_template(value)
            if problem is not None and not (templated and problem.code == "option.type"):
                loc = SourceLoc(policy.display, lines.get(name, 0))
                severity = Severity.ERROR if problem.error else Severity.WARNING
                found.append(Diagnostic(loc, severity, problem.message, problem.code))
    schedule = osquery.get("schedule")
    if platform not in _PLATFORMS or not isinstance(schedule, dict):
        return found
    checker = checker_for(schema, str(platform))
    for name, entry in schedule.items():
        sql = entry.get("query") if isinstance(entry, dict) else None
        if isinstance(sql, str) and not _is_template(sql):
            loc = SourceLoc(policy.display, getattr(entry, "line", 0))
            found.extend(_sql(checker, sql, loc, f"query {name}"))
    return found
