"""Fixture hosts for control packs: osquery tables as SQLite tables, rows from the packs.

Each fixture gets a fresh in-memory database holding every osquery 5.23.1 table with the
column names and types of the official schema (plus trails_status / trails_audit_rules),
osquery's SQL functions, and the fixture's rows. Inserting into a table or column the
schema does not have is an error, so fixtures stay shaped like real osquery output.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from trails.models.status import TABLES as STATUS_TABLES
from trails.osquery.functions import register
from trails.osquery.schema import OsquerySchema, load_schema
from trails.packs import Catalog, load_catalog
from trails.packs.compiler import compile_sql
from trails.packs.include import audit_context as include_audit_context
from trails.packs.model import Control, Fixture, Pack
from trails.packs.templates import Context

REPO = Path(__file__).resolve().parents[2]
PACKS_DIR = REPO / "cis_pci_packs"
_SQL_TYPES = {
    "text": "TEXT",
    "integer": "INTEGER",
    "bigint": "INTEGER",
    "unsigned_bigint": "INTEGER",
    "double": "REAL",
}


@cache
def catalog() -> Catalog:
    """The packs of this repository, loaded once per test session."""
    return load_catalog(PACKS_DIR)


@cache
def schema() -> OsquerySchema:
    return load_schema()


@cache
def schema_columns() -> dict[str, dict[str, str]]:
    """table -> column -> SQLite type, from the shipped compact osquery schema."""
    tables = {
        name: {c.name: _SQL_TYPES.get(c.type, "TEXT") for c in table.columns}
        for name, table in schema().tables.items()
        if "linux" in table.platforms
    }
    for status in STATUS_TABLES:
        tables[status.osquery_name] = dict.fromkeys(status.columns, "TEXT")
    return tables


@cache
def _template() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    for name, columns in schema_columns().items():
        cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
        conn.execute(f'CREATE TABLE "{name}" ({cols})')
    conn.commit()
    return conn


def host_db(tables: Mapping[str, Any]) -> sqlite3.Connection:
    """A fresh database with every osquery table and ``tables``' rows inserted."""
    conn = sqlite3.connect(":memory:")
    _template().backup(conn)
    register(conn)
    known = schema_columns()
    for table, rows in tables.items():
        if table not in known:
            raise AssertionError(f"fixture table {table!r} is not an osquery linux table")
        for row in rows:
            unknown = set(row) - set(known[table])
            if unknown:
                raise AssertionError(f"fixture columns {sorted(unknown)} not in {table}")
            cols = ", ".join(f'"{c}"' for c in row)
            marks = ", ".join("?" for _ in row)
            insert = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'  # noqa: S608 (schema names)
            conn.execute(insert, list(row.values()))
    return conn


def fixture_tables(pack: Pack, fixture: Fixture | None) -> dict[str, Any]:
    tables: dict[str, Any] = dict(pack.fixture_defaults)
    if fixture is not None:
        tables.update(fixture.tables)
    return tables


def audit_context(pack: Pack, control: Control, arch: str = "x86_64") -> Context:
    return include_audit_context(pack, control, PACKS_DIR, arch)


def run_control(
    pack: Pack, control: Control, tables: Mapping[str, Any], *, arch: str = "x86_64"
) -> list[dict[str, Any]]:
    """Run the compiled query of ``control`` (built for ``arch``) on a host made of ``tables``."""
    sql = compile_sql(control, pack, audit_context(pack, control, arch))
    conn = host_db(tables)
    try:
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()


def evidence_of(row: Mapping[str, Any]) -> list[Any]:
    value = json.loads(row["evidence"])
    assert isinstance(value, list)
    return value
