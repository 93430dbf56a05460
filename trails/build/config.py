"""The osquery config of one namespace: what the policy says, plus what trails adds.

trails adds, to every config: tagging decorators (host identity and the release's tags,
so each result line says where it came from), ATC entries that expose the agent's
status database as ``trails_status`` / ``trails_audit_rules``, and two scheduled queries
the report relies on: ``trails.schedule_stats`` and ``trails.integrity`` (docs/design.md §6-§7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trails.build.merge import Merged
from trails.models.evidence import (
    DECORATION_KEYS,
    INSTALLED_HASH_COLUMN,
    INTEGRITY_QUERY,
    SCHEDULE_STATS_QUERY,
)
from trails.models.status import STATUS, TABLES

TRAILS_INTERVAL = 3600

SCHEDULE_STATS_SQL = (
    "SELECT name, interval, executions, last_executed, denylisted, wall_time_ms, output_size "
    "FROM osquery_schedule WHERE name LIKE 'trails.%';"
)
# Built from constants only (the status table's column names), never from input.
_STATUS_COLUMNS = ", ".join(f"s.{c}" for c in STATUS.columns)
INTEGRITY_SQL = (
    f"SELECT {_STATUS_COLUMNS}"  # noqa: S608
    f", h.sha256 AS {INSTALLED_HASH_COLUMN} FROM trails_status AS s "
    "LEFT JOIN (SELECT path, sha256 FROM hash "
    "WHERE path IN (SELECT osquery_conf_path FROM trails_status)) AS h "
    "ON h.path = s.osquery_conf_path;"
)
HOST_DECORATORS = (
    "SELECT uuid AS host_uuid FROM system_info;",
    "SELECT hostname AS hostname FROM system_info;",
)


def sql_literal(value: str) -> str:
    """A single-quoted SQL string literal; quotes doubled, control characters refused."""
    if any(ord(ch) < 0x20 for ch in value):
        raise ValueError("tag values may not contain control characters")
    return "'" + value.replace("'", "''") + "'"


def tag_decorator(values: Mapping[str, str]) -> str:
    columns = [k for k in DECORATION_KEYS if k in values]
    return "SELECT " + ", ".join(f"{sql_literal(values[k])} AS {k}" for k in columns) + ";"


def trails_schedule() -> dict[str, dict[str, Any]]:
    return {
        SCHEDULE_STATS_QUERY: {
            "query": SCHEDULE_STATS_SQL,
            "interval": TRAILS_INTERVAL,
            "snapshot": True,
        },
        INTEGRITY_QUERY: {"query": INTEGRITY_SQL, "interval": TRAILS_INTERVAL, "snapshot": True},
    }


def osquery_config(m: Merged, config_version: str) -> dict[str, Any]:
    """The JSON document written as ``osquery.conf`` (sorted by canonical_json later)."""
    tags = {**m.tags, "namespace": m.namespace, "config_version": config_version}
    conf: dict[str, Any] = {}
    if m.options:
        conf["options"] = dict(m.options)
    conf["schedule"] = {name: q.to_osquery() for name, q in m.schedule.items()}
    conf["schedule"].update(trails_schedule())
    if m.packs:
        conf["packs"] = {
            name: {
                **pack.settings,
                "queries": {n: q.to_osquery() for n, q in pack.queries.items()},
            }
            for name, pack in m.packs.items()
        }
    decorators: dict[str, Any] = {
        "load": [*HOST_DECORATORS, tag_decorator(tags)]
        + [sql for sql, _ in m.decorators.get("load", [])]
    }
    if always := m.decorators.get("always"):
        decorators["always"] = [sql for sql, _ in always]
    intervals = {
        key.split(":", 1)[1]: [sql for sql, _ in items]
        for key, items in m.decorators.items()
        if key.startswith("interval:")
    }
    if intervals:
        decorators["interval"] = intervals
    conf["decorators"] = decorators
    for key, value in (
        ("file_paths", m.file_paths),
        ("exclude_paths", m.exclude_paths),
        ("file_accesses", m.file_accesses),
        ("events", m.events),
    ):
        if value:
            conf[key] = value
    atc = dict(m.atc)
    atc.update({t.osquery_name: t.atc_entry(m.status_db) for t in TABLES})
    conf["auto_table_construction"] = atc
    if m.views:
        conf["views"] = {name: sql for name, (sql, _) in m.views.items()}
    return conf
