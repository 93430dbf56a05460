"""What the report asks of an engine beyond standard SQL: its spelling of a few functions.

The report's SQL (evaluation, rollups, the text of the large outputs in
``trails.report.lines``) is one text for every engine; each engine module supplies a
``Dialect`` for the functions the engines spell differently.
"""

from __future__ import annotations

from typing import Protocol

# (head, evidence or None, tail): a line with the evidence left out.
Line = tuple[str, "str | None", str]


class Dialect(Protocol):
    """What each engine spells its own way (trails.report.engine)."""

    def json_string(self, expr: str) -> str:
        """SQL for ``expr`` as a JSON string literal, as Python's ``json.dumps`` writes it
        (``ensure_ascii=False``: only ``"``, ``\\`` and control characters escaped)."""
        ...

    def utc_text(self, expr: str) -> str:
        """SQL for epoch seconds ``expr`` as ``YYYY-MM-DDTHH:MM:SSZ`` (NULL stays NULL)."""
        ...

    def csv_cell(self, expr: str) -> str:
        """SQL for ``trails.report.render.text.csv_cell(expr)`` then CSV quoting as the
        ``csv`` module does it (``QUOTE_MINIMAL``)."""
        ...
