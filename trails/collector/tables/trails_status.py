"""``trails_status`` and ``trails_audit_rules``: the trails agent's own database
(trails/models/status.py), which osquery reads through auto_table_construction.

As osquery's ATC (osquery/sql/virtual_sqlite_table.cpp): ``<root>/var/lib/trails/
trails.db`` opened read-only (retried with ``immutable=1`` when the query cannot be
prepared), the ATC query run, integers printed in decimal, reals as C's ``%f``, NULL
left NULL; every column is TEXT. A missing or unreadable database, or one without the
table or a column, gives no rows.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table, Value
from trails.models.status import AUDIT_RULES, DEFAULT_DB_PATH, STATUS, StatusTable


def _text(value: object) -> Value:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float):
        return f"{value:f}"
    return str(value)


def _rows(host: Host, table: StatusTable) -> Iterator[Row]:
    path = host.path(DEFAULT_DB_PATH)
    if not path.is_file():
        return
    sql = str(table.atc_entry()["query"])
    base = "file:" + urllib.parse.quote(str(path))
    for uri in (base + "?mode=ro", base + "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(uri, uri=True)
        except sqlite3.Error:
            continue
        try:
            try:
                cursor = conn.execute(sql)
            except sqlite3.Error:
                continue
            names = [d[0] for d in cursor.description]
            while True:
                try:
                    found = cursor.fetchone()
                except sqlite3.Error:  # osquery keeps the rows stepped so far
                    return
                if found is None:
                    return
                yield {n: _text(v) for n, v in zip(names, found, strict=True)}
        finally:
            conn.close()


def _generator(table: StatusTable) -> Table:
    def generate(host: Host, query: Query) -> Iterator[Row]:
        yield from _rows(host, table)

    return Table(table.osquery_name, generate)


STATUS_TABLE = _generator(STATUS)
AUDIT_RULES_TABLE = _generator(AUDIT_RULES)
