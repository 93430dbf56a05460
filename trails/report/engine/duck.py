"""The embedded engine: DuckDB, on an on-disk scratch database that spills under a memory
limit, and its spellings of what engines write differently."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb

from trails.report.engine.interface import Columns, Dialect
from trails.report.engine.patterns import (
    FORMULA,
    INVISIBLE,
    PLAIN_CELL,
    UPPER_HEX,
)

BATCH = 20_000

# The text ``\u000B`` in a string is ``\\u000B`` once encoded, and stays as it is: each
# escaped backslash is first swapped for \x01 (which JSON never holds raw, so it cannot
# be in the text), then swapped back. A replace scans left to right, so it
# takes the encoding's backslashes in the pairs they were written as.
_ESCAPED_BACKSLASH = "chr(1)"


class DuckDialect:
    def json_string(self, expr: str) -> str:
        return f"to_json(CAST({expr} AS VARCHAR))"

    def lower_hex(self, text: str) -> str:
        fixed = f"replace({text}, '\\\\', {_ESCAPED_BACKSLASH})"
        for hex4 in UPPER_HEX:
            fixed = f"replace({fixed}, '\\u{hex4}', '\\u{hex4.lower()}')"
        fixed = f"replace({fixed}, {_ESCAPED_BACKSLASH}, '\\\\')"
        return f"(CASE WHEN contains({text}, '\\u00') THEN {fixed} ELSE {text} END)"

    def utc_text(self, expr: str) -> str:
        return f"strftime(make_timestamp(CAST({expr} AS BIGINT) * 1000000), '%Y-%m-%dT%H:%M:%SZ')"

    def csv_cell(self, expr: str) -> str:
        formula = (
            f"CASE WHEN regexp_matches({expr}, '{FORMULA}') THEN '''' || {expr} ELSE {expr} END"
        )
        cell = f"regexp_replace({formula}, '{INVISIBLE}', chr(65533), 'g')"
        return (
            f"(CASE WHEN {expr} = '' OR regexp_matches({expr}, '{PLAIN_CELL}') THEN {expr}"
            f" WHEN regexp_matches({cell}, '[,\"\\r\\n]')"
            f" THEN '\"' || replace({cell}, '\"', '\"\"') || '\"' ELSE {cell} END)"
        )

    def json_note(self, expr: str) -> str:
        return (
            f"CASE WHEN json_valid({expr}) THEN json_extract_string({expr}, '$[0].trails_note') END"
        )


class DuckEngine:
    """``con`` holds the ingested ``rows``; tables are real tables (a temporary one is not
    seen by the cursors that stream results)."""

    dialect: Dialect = DuckDialect()

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def table(self, name: str, select: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {select}")

    def load(self, name: str, columns: Columns, rows: Iterable[tuple[Any, ...]]) -> None:
        self.con.execute(
            f"CREATE OR REPLACE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})"
        )
        select = ", ".join(f"unnest(${n + 1})" for n in range(len(columns)))
        rows = iter(rows)
        while batch := list(islice(rows, BATCH)):
            # each column as one list, unnested: executemany costs 0.3 ms a row
            lists = [list(c) for c in zip(*batch, strict=True)]
            self.con.execute(f"INSERT INTO {name} SELECT {select}", lists)

    def load_jsonl(self, name: str, path: Path, columns: Columns) -> None:
        schema = ", ".join(f"{c}: '{t}'" for c, t in columns)
        not_null = " AND ".join(f"{c} IS NOT NULL" for c, _ in columns)
        self.con.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_json($f,"  # noqa: S608 - ours
            " format='newline_delimited', compression='gzip', ignore_errors=true,"
            f" columns={{{schema}}}) WHERE {not_null}",
            {"f": str(path)},
        )

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def batches(self, sql: str) -> Iterator[list[tuple[Any, ...]]]:
        cursor = self.con.cursor()  # its own: other queries may run while this streams
        try:
            cursor.execute(sql)
            while batch := cursor.fetchmany(BATCH):
                yield batch
        finally:
            cursor.close()

    def close(self) -> None:
        self.con.close()
