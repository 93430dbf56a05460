"""SQLite values as osquery's C++ reads them, and the error its functions raise."""

from __future__ import annotations

import math
import re
from typing import Any

WHITESPACE = " \t\n\v\f\r"


class OsqueryFunctionError(Exception):
    """The SQL function failed the way osquery's ``sqlite3_result_error`` would."""


def as_text(value: Any) -> str:
    """``sqlite3_value_text`` as a C string: numbers as SQLite prints them, cut at NUL."""
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, float):
        text = repr(value) if math.isfinite(value) else ("Inf" if value > 0 else "-Inf")
    else:
        text = str(value)
    return text.split("\x00", 1)[0]


def as_int(value: Any) -> int:
    """``sqlite3_value_int``: leading integer of text, truncated float, else 0."""
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    match = re.match(r"\s*([+-]?\d+)", as_text(value))
    return int(match.group(1)) if match else 0


def as_double(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    match = re.match(r"\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)", as_text(value))
    return float(match.group(1)) if match else 0.0
