"""A host database: every osquery 5.23.1 Linux table, ported ones served by the collector.

Tables the collector has not ported exist with osquery's columns and no rows, so a
check that reads one sees an empty table (``no_evidence``), never invented data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, cast

import apsw

from trails.collector.interface import Host, Row
from trails.collector.tables import TABLES
from trails.collector.vtable import Module, column_sql
from trails.osquery.functions import register_apsw
from trails.osquery.schema import load_schema


def open_host_db(
    host: Host,
    *,
    raw: Mapping[str, Iterable[Row]] | None = None,
    empty: Collection[str] = (),
    only: Collection[str] | None = None,
) -> apsw.Connection:
    """An in-memory database over ``host``.

    ``raw`` replaces a table by the given rows (fixtures that no host state can
    express); ``empty`` serves a table with no rows (what a table that returned
    nothing looks like to a check); ``only`` limits the tables created to those a
    query reads (a few ms instead of some 30 for all of osquery's).
    """
    raw = raw or {}
    conn = apsw.Connection(":memory:")
    register_apsw(conn)
    schema = load_schema()
    for name, table in schema.tables.items():
        if "linux" not in table.platforms or (only is not None and name not in only):
            continue
        ported = TABLES.get(name)
        if ported is not None and name not in raw and name not in empty:
            # apsw's VTModule protocol lists optional methods (ShadowName) as required
            module = cast("apsw.VTModule", Module(ported, table, host))
            conn.create_module(name, module, use_bestindex_object=True)
            conn.execute(f'CREATE VIRTUAL TABLE temp."{name}" USING "{name}"')
            continue
        cols = column_sql(table)
        columns = ", ".join(f'"{n}" {t}' for n, t in cols)
        conn.execute(f'CREATE TABLE "{name}" ({columns})')
        rows = [] if name in empty else list(raw.get(name, ()))
        for row in rows:
            unknown = set(row) - {n for n, _ in cols}
            if unknown:
                raise ValueError(f"columns {sorted(unknown)} are not in osquery's {name}")
            names = ", ".join(f'"{c}"' for c in row)
            marks = ", ".join("?" for _ in row)
            conn.execute(f'INSERT INTO "{name}" ({names}) VALUES ({marks})', list(row.values()))  # noqa: S608
    return conn


def query(conn: apsw.Connection, sql: str) -> list[dict[str, Any]]:
    """Rows of ``sql`` as dicts (column order kept)."""
    cursor = conn.execute(sql)
    try:
        names = [d[0] for d in cursor.getdescription()]
    except apsw.ExecutionCompleteError:
        return []
    rows = cursor.fetchall()
    return [dict(zip(names, row, strict=True)) for row in rows]
