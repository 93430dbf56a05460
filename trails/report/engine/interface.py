"""What the report asks of an engine: run its SQL, hold the tables it makes, hand back
rows, and spell a few functions its own way.

The report's SQL (evaluation, rollups, the text of the large outputs) is one text for
every engine, written in the dialect DuckDB and Spark SQL share (window functions, no
struct literals, no ``//``, no ``::``, literals for parameters); each engine module
supplies an ``Engine`` and the ``Dialect`` for what they spell differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

# A table made in Python: (column name, SQL type) pairs.
Columns = Sequence[tuple[str, str]]


class Dialect(Protocol):
    """What each engine spells its own way."""

    def json_string(self, expr: str) -> str:
        """SQL for ``expr`` as a JSON string literal, as Python's ``json.dumps`` writes it
        (``ensure_ascii=False``: only ``"``, ``\\`` and control characters escaped), except
        that a control character's ``\\u00XX`` escape may have upper-case hex."""
        ...

    def lower_hex(self, text: str) -> str:
        """SQL for the JSON ``text`` with the hex of every ``\\u00XX`` escape in lower case,
        as ``json.dumps`` writes it: once per line, not per ``json_string``, because the
        test that finds the few texts to fix costs less on a whole line."""
        ...

    def utc_text(self, expr: str) -> str:
        """SQL for epoch seconds ``expr`` as ``YYYY-MM-DDTHH:MM:SSZ`` (NULL stays NULL)."""
        ...

    def csv_cell(self, expr: str) -> str:
        """SQL for ``trails.report.render.text.csv_cell(expr)`` then CSV quoting as the
        ``csv`` module does it (``QUOTE_MINIMAL``)."""
        ...

    def json_note(self, expr: str) -> str:
        """SQL for the string at ``$[0].trails_note`` of the JSON text ``expr``, NULL when
        it is not there or ``expr`` is not JSON."""
        ...


class Engine(Protocol):
    dialect: Dialect

    def table(self, name: str, select: str) -> None:
        """Make (or replace) the table ``name`` from ``select``, kept until ``close``."""
        ...

    def load(self, name: str, columns: Columns, rows: Iterable[tuple[Any, ...]]) -> None:
        """Make (or replace) a table from Python rows, taken a batch at a time."""
        ...

    def load_jsonl(self, name: str, path: Path, columns: Columns) -> None:
        """Make a table of the given columns from a gzip JSON Lines file (lines that are
        not objects of them are skipped)."""
        ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """A small result, whole."""
        ...

    def batches(self, sql: str) -> Iterator[list[tuple[Any, ...]]]:
        """A large result in its order, a batch at a time; other queries may run between
        batches."""
        ...

    def close(self) -> None: ...
