"""Check osquery SQL by preparing it in SQLite against the osquery schema.

osquery runs SQLite, so a statement SQLite cannot prepare will not run on a host either.
A checker builds an in-memory database holding every schema table as a plain table (with
only the columns the platform has) and osquery's SQL functions, then prepares each query
under an authorizer. It reports:

- syntax errors, unknown tables, columns and functions (SQLite's own messages);
- statements other than a single read-only SELECT;
- tables not available on the namespace's platform;
- a table with required columns (``file``: ``path`` or ``directory``; ``curl``: ``url``)
  read without a constraint on one of them. Each required column gets an index; osquery
  hands such constraints to the table, and SQLite only uses an index for them, so a
  table cursor that is scanned (``Rewind``/``Last``/``Count`` in the program) or never
  seeked through a required-column index is missing its constraint.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from trails.models.diagnostic import did_you_mean
from trails.osquery.functions import register
from trails.osquery.schema import OsquerySchema, Table

MAX_QUERY_CHARS = 64 * 1024
_SCAN_OPS = frozenset({"Rewind", "Last", "Count"})
_SEEK_OPS = frozenset({"SeekGE", "SeekGT", "SeekLE", "SeekLT"})
_OPEN_OPS = frozenset({"OpenRead", "ReopenIdx"})
_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)


@dataclass(frozen=True)
class SqlProblem:
    """One thing wrong with a query; ``code`` is a stable name like ``sql.unknown-table``."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqlChecker:
    """Prepares queries for one platform against one schema (plus optional views)."""

    def __init__(self, schema: OsquerySchema, platform: str) -> None:
        self.schema = schema
        self.platform = platform
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        register(self._conn)
        self._conn.execute("PRAGMA case_sensitive_like = ON")  # lets LIKE 'x%' use an index
        self._conn.execute("PRAGMA automatic_index = OFF")
        with self._conn:
            for table in schema.tables.values():
                self._create(table)
        # rootpage -> table name, for every table and required-column index
        self._roots: dict[int, str] = {}
        self._required_roots: set[int] = set()
        for kind, name, tbl, root in self._conn.execute(
            "SELECT type, name, tbl_name, rootpage FROM sqlite_master"
        ):
            self._roots[root] = tbl
            if kind == "index" and name.startswith("required__"):
                self._required_roots.add(root)
        self._reads: set[str] = set()
        self._denied: list[int] = []
        self._views: dict[str, str] = {}

    def _create(self, table: Table) -> None:
        cols = [c for c in table.columns if c.available_on(self.platform)] or list(table.columns)
        ddl = ", ".join(f"{_quote(c.name)} {c.type.upper()}" for c in cols)
        self._conn.execute(f"CREATE TABLE {_quote(table.name)} ({ddl})")
        for col in cols:
            if col.required:
                index = _quote(f"required__{table.name}__{col.name}")
                self._conn.execute(
                    f"CREATE INDEX {index} ON {_quote(table.name)} ({_quote(col.name)})"
                )

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None
    ) -> int:
        if action == sqlite3.SQLITE_READ and arg1 and arg1 != "sqlite_master":
            self._reads.add(arg1)
        if action not in _ALLOWED_ACTIONS:
            self._denied.append(action)
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    def add_view(self, name: str, sql: str) -> list[SqlProblem]:
        """Define an osquery ``views`` entry so later queries may use it."""
        problems = self.check(sql)
        if problems:
            return problems
        if name in self.schema.tables or name in self._views:
            return [SqlProblem("sql.view-name", f"view {name} would shadow a table or view")]
        self._conn.execute(f"CREATE VIEW {_quote(name)} AS {sql.strip().rstrip(';')}")
        self._views[name] = sql
        return []

    def check(self, sql: str) -> list[SqlProblem]:
        if len(sql) > MAX_QUERY_CHARS:
            return [
                SqlProblem("sql.too-long", f"query is longer than {MAX_QUERY_CHARS} characters")
            ]
        if not sql.strip():
            return [SqlProblem("sql.empty", "query is empty")]
        self._reads, self._denied = set(), []
        self._conn.set_authorizer(self._authorize)
        try:
            program = self._conn.execute("EXPLAIN " + sql).fetchall()
        except sqlite3.ProgrammingError as exc:  # more than one statement
            return [SqlProblem("sql.syntax", f"query must be one SELECT statement: {exc}")]
        except sqlite3.Error as exc:
            if self._denied:
                return [SqlProblem("sql.not-select", "query must be a read-only SELECT")]
            return [_classify(str(exc), self.schema, self.platform, sql, self._views)]
        finally:
            self._conn.set_authorizer(None)
        problems = self._platform_problems()
        problems.extend(self._required_problems(program))
        return problems

    def tables_read(self, sql: str) -> frozenset[str]:
        """The osquery tables ``sql`` reads (what it could read so far if it is invalid);
        CTEs and views are not tables."""
        self.check(sql)
        return frozenset(t for t in self._reads if t in self.schema.tables)

    def _platform_problems(self) -> list[SqlProblem]:
        problems = []
        for name in sorted(self._reads):
            table = self.schema.tables.get(name)
            if table is not None and self.platform not in table.platforms:
                problems.append(
                    SqlProblem(
                        "sql.platform",
                        f"table {name} is not available on {self.platform} "
                        f"(only {', '.join(table.platforms)})",
                    )
                )
        return problems

    def _required_problems(self, program: list[tuple[object, ...]]) -> list[SqlProblem]:
        cursors: dict[object, int] = {}  # cursor -> rootpage
        scanned: set[str] = set()
        seeked: set[str] = set()
        opened: set[str] = set()
        for row in program:
            opcode, p1, p2 = row[1], row[2], row[3]
            if opcode in _OPEN_OPS and isinstance(p2, int) and p2 in self._roots:
                cursors[p1] = p2
                opened.add(self._roots[p2])
            elif p1 in cursors:
                table = self._roots[cursors[p1]]
                if opcode in _SCAN_OPS:
                    scanned.add(table)
                elif opcode in _SEEK_OPS and cursors[p1] in self._required_roots:
                    seeked.add(table)
        problems = []
        for name in sorted(opened):
            spec = self.schema.tables.get(name)
            if spec is None or not spec.required_columns:
                continue
            if name in scanned or name not in seeked:
                need = " or ".join(spec.required_columns)
                problems.append(
                    SqlProblem(
                        "sql.required-column",
                        f"table {name} needs a WHERE or JOIN constraint on {need}",
                    )
                )
        return problems


def _columns_near(sql: str, schema: OsquerySchema, platform: str) -> list[str]:
    """Column names of the tables ``sql`` names (every word that is a table), else all."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql))
    tables = [t for name, t in schema.tables.items() if name in words] or list(
        schema.tables.values()
    )
    return sorted({c.name for t in tables for c in t.columns if c.available_on(platform)})


def _classify(
    message: str, schema: OsquerySchema, platform: str, sql: str = "", views: Iterable[str] = ()
) -> SqlProblem:
    if message.startswith("no such table:"):
        name = message[15:]
        hint = did_you_mean(name.rsplit(".", 1)[-1], [*schema.tables, *views])
        return SqlProblem("sql.unknown-table", f"unknown osquery table: {name}{hint}")
    if message.startswith("no such column:"):
        column = message[16:].rsplit(".", 1)[-1]
        elsewhere = sorted(
            t.name
            for t in schema.tables.values()
            if (c := t.column(column)) is not None and not c.available_on(platform)
        )
        hint = (
            f" (not available on {platform}; see {', '.join(elsewhere[:3])})"
            if elsewhere
            else did_you_mean(column, _columns_near(sql, schema, platform))
        )
        return SqlProblem("sql.unknown-column", f"unknown column: {message[16:]}{hint}")
    if message.startswith(("no such function:", "wrong number of arguments")):
        return SqlProblem("sql.unknown-function", message)
    return SqlProblem("sql.syntax", f"SQL error: {message}")


@functools.lru_cache(maxsize=16)
def checker_for(schema: OsquerySchema, platform: str) -> SqlChecker:
    """A shared checker without views (cached per schema object and platform)."""
    return SqlChecker(schema, platform)


def check_query(
    sql: str, schema: OsquerySchema, *, platform: str, views: Mapping[str, str] | None = None
) -> list[SqlProblem]:
    """Problems that keep ``sql`` from running on ``platform``; empty when it is fine."""
    if not views:
        return checker_for(schema, platform).check(sql)
    checker = SqlChecker(schema, platform)
    for name, view_sql in views.items():
        if problems := checker.add_view(name, view_sql):
            return problems
    return checker.check(sql)
