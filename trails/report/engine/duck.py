"""DuckDB's spellings of what engines write differently (``trails.report.lines.Dialect``)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

# DuckDB's to_json escapes control characters with upper-case hex; json.dumps (the
# reference) with lower case. Only these escapes contain a letter (\b, \t, \n, \f and \r
# have short forms in both), so only text holding one of these characters is fixed up.
_UPPER_HEX = ("000B", "000E", "000F", "001A", "001B", "001C", "001D", "001E", "001F")
_NEEDS_LOWER_HEX = r"[\x0b\x0e\x0f\x1a-\x1f]"
# trails.report.render.text: control and bidi-override characters become U+FFFD.
_INVISIBLE = (
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{fffe}\x{ffff}"
    r"\x{202a}-\x{202e}\x{2066}-\x{2069}\x{200e}\x{200f}\x{61c}]"
)
_FORMULA = r"^( *[=+\-@]|[\t\r])"
# A cell kept as it is: printable ASCII without comma or quote, not starting with a space
# or a formula character. Most cells are; the full treatment costs three regexes.
_PLAIN_CELL = r"^[!#-*./-<>?A-~][ !#-+.-~-]*$"


class DuckDialect:
    def json_string(self, expr: str) -> str:
        quoted = f"to_json(CAST({expr} AS VARCHAR))"
        fixed = quoted
        for hex4 in _UPPER_HEX:
            fixed = f"replace({fixed}, '\\u{hex4}', '\\u{hex4.lower()}')"
        return (
            f"(CASE WHEN regexp_matches({expr}, '{_NEEDS_LOWER_HEX}') THEN {fixed}"
            f" ELSE {quoted} END)"
        )

    def utc_text(self, expr: str) -> str:
        return f"strftime(make_timestamp(CAST({expr} AS BIGINT) * 1000000), '%Y-%m-%dT%H:%M:%SZ')"

    def csv_cell(self, expr: str) -> str:
        formula = (
            f"CASE WHEN regexp_matches({expr}, '{_FORMULA}') THEN '''' || {expr} ELSE {expr} END"
        )
        cell = f"regexp_replace({formula}, '{_INVISIBLE}', chr(65533), 'g')"
        return (
            f"(CASE WHEN {expr} = '' OR regexp_matches({expr}, '{_PLAIN_CELL}') THEN {expr}"
            f" WHEN regexp_matches({cell}, '[,\"\\r\\n]')"
            f" THEN '\"' || replace({cell}, '\"', '\"\"') || '\"' ELSE {cell} END)"
        )


DUCKDB = DuckDialect()


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple[object, ...]]) -> None:
    """Append Python rows to ``table`` in one statement: each column as one list parameter,
    unnested (``executemany`` costs a third of a millisecond per row)."""
    if not rows:
        return
    columns = [list(c) for c in zip(*rows, strict=True)]
    select = ", ".join(f"unnest(${n + 1})" for n in range(len(columns)))
    con.execute(f"INSERT INTO {table} SELECT {select}", columns)
