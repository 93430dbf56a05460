"""Collector tables as SQLite virtual tables (apsw), with osquery's constraint pushdown.

osquery hands each table generator the constraints SQLite offers on its columns
(``QueryContext``); ``path IN (...)`` arrives as one scan per value. The same happens
here: every usable constraint on a table's ``constrained`` columns reaches the
generator, nothing is omitted (SQLite re-checks every row, as in osquery), and values
take the column types of osquery's schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import apsw

from trails.collector.interface import Constraint, Host, Query, Row, Table, Value
from trails.osquery.schema import Table as SchemaTable

_OPS = {
    apsw.SQLITE_INDEX_CONSTRAINT_EQ: "=",
    apsw.SQLITE_INDEX_CONSTRAINT_LIKE: "LIKE",
    apsw.SQLITE_INDEX_CONSTRAINT_GLOB: "GLOB",
    apsw.SQLITE_INDEX_CONSTRAINT_GT: ">",
    apsw.SQLITE_INDEX_CONSTRAINT_GE: ">=",
    apsw.SQLITE_INDEX_CONSTRAINT_LT: "<",
    apsw.SQLITE_INDEX_CONSTRAINT_LE: "<=",
    apsw.SQLITE_INDEX_CONSTRAINT_NE: "!=",
}
_INTEGER = frozenset({"integer", "bigint", "unsigned_bigint"})
SQL_TYPES = {
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "unsigned_bigint": "BIGINT",
    "double": "DOUBLE",
}


def column_sql(schema: SchemaTable) -> list[tuple[str, str]]:
    """(name, SQL type) of the table's Linux columns, hidden ones marked HIDDEN."""
    cols = []
    for c in schema.columns:
        if c.available_on("linux"):
            kind = SQL_TYPES.get(c.type, "TEXT")
            cols.append((c.name, f"{kind} HIDDEN" if c.hidden else kind))
    return cols


_INT64 = range(-(2**63), 2**63)


def _typed(value: Value, kind: str) -> Value:
    """A generator's value as osquery's column type gives it to SQLite (an integer
    SQLite cannot hold is NULL, as osquery's conversion fails)."""
    if isinstance(value, int):
        return value if value in _INT64 else None
    if value is None or not isinstance(value, str):
        return value
    if kind in _INTEGER:
        try:
            number = int(value)
        except ValueError:
            return None
        return number if number in _INT64 else None
    if kind == "double":
        try:
            return float(value)
        except ValueError:
            return None
    return value


class _Cursor:
    def __init__(self, table: _VTable) -> None:
        self._table = table
        self._rows: list[Row] = []
        self._at = 0

    def Filter(self, indexnum: int, indexname: str | None, args: Sequence[Value]) -> None:
        plan = [] if not indexname else indexname.split("\x1f")
        constraints = tuple(
            Constraint(column=spec.split(" ", 1)[0], op=spec.split(" ", 1)[1], value=value)
            for spec, value in zip(plan, args, strict=True)
        )
        self._rows = list(self._table.generate(Query(constraints)))
        self._at = 0

    def Eof(self) -> bool:
        return self._at >= len(self._rows)

    def Rowid(self) -> int:
        return self._at

    def Column(self, number: int) -> Value:
        if number == -1:
            return self._at
        name, kind = self._table.columns[number]
        return _typed(self._rows[self._at].get(name), kind)

    def Next(self) -> None:
        self._at += 1

    def Close(self) -> None:
        self._rows = []


class _VTable:
    def __init__(self, table: Table, schema: SchemaTable, host: Host) -> None:
        self.table = table
        self.host = host
        self.columns = [(c.name, c.type) for c in schema.columns if c.available_on("linux")]
        self._index = {name: i for i, (name, _) in enumerate(self.columns)}

    def generate(self, query: Query) -> list[Row]:
        return list(self.table.generate(self.host, query))

    def BestIndexObject(self, info: apsw.IndexInfo) -> bool:
        plan = []
        wanted = {self._index[c] for c in self.table.constrained if c in self._index}
        for i in range(info.nConstraint):
            op = _OPS.get(info.get_aConstraint_op(i))
            column = info.get_aConstraint_iColumn(i)
            if op is None or column not in wanted or not info.get_aConstraint_usable(i):
                continue
            plan.append(f"{self.columns[column][0]} {op}")
            info.set_aConstraintUsage_argvIndex(i, len(plan))
        info.idxStr = "\x1f".join(plan)
        # a constrained scan is cheap, a full one dear: SQLite then drives lookups
        # (``path IN (SELECT ...)``) into this table, as it does with osquery's tables
        info.estimatedCost = 10.0 if plan else 1e9
        return True

    def Open(self) -> _Cursor:
        return _Cursor(self)

    def Disconnect(self) -> None:
        return None

    Destroy = Disconnect


class Module:
    """An apsw module serving one collector table."""

    def __init__(self, table: Table, schema: SchemaTable, host: Host) -> None:
        self._vtable = _VTable(table, schema, host)
        cols = ", ".join(f'"{n}" {t}' for n, t in column_sql(schema))
        self._sql = f'CREATE TABLE "{table.name}" ({cols})'

    def Connect(self, *args: Any) -> tuple[str, _VTable]:
        return self._sql, self._vtable

    Create = Connect
