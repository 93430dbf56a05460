"""Operations (osquery/sql/sqlite_operations.cpp): carve, sleep, ssdeep_compare,
version_compare."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from trails.osquery import versions
from trails.osquery.functions.values import OsqueryFunctionError, as_int, as_text


class Carve:
    """The ``carve`` aggregate; osquery's function-based carver is disabled by default."""

    def step(self, *values: Any) -> None:
        """Paths are collected by osquery; with the carver disabled nothing happens."""

    def finalize(self) -> str:
        return "Carve Failed: function disabled"[:13]  # osquery returns the first 13 bytes


def sleep(seconds: Any) -> int:
    count = as_int(seconds)
    if count < 0:
        return 0
    time.sleep(count)
    return count


def ssdeep_compare(left: Any, right: Any) -> int:
    raise OsqueryFunctionError("ssdeep_compare needs libfuzzy, which trails does not bundle")


def version_compare(left: Any, right: Any, flavour: Any = None) -> int | None:
    if left is None or right is None:
        return None
    compare: Callable[[str, str], int] = versions.compare_generic
    if flavour is not None:
        compare = versions.FLAVOURS.get(as_text(flavour).upper(), versions.compare_generic)
    diff = compare(as_text(left), as_text(right))
    return (diff > 0) - (diff < 0)


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "sleep": (1, sleep),
    "ssdeep_compare": (2, ssdeep_compare),
    "version_compare": (-1, version_compare),
}
