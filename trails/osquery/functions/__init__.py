"""osquery's extra SQL functions and collations, registered into a ``sqlite3`` connection.

Ports of ``osquery/sql/sqlite_{string,hashing,encoding,network,math,filesystem,
operations,collation}.cpp`` so that (1) SQL validation does not report them as unknown
and (2) control queries can be run on fixtures with osquery's results. Where osquery
calls ``sqlite3_result_error`` these raise, which fails the query as osquery would.
``ssdeep_compare`` needs libfuzzy and is registered so that validation accepts it, but
calling it raises. One module per osquery source file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import apsw

from trails.osquery import versions
from trails.osquery.functions import arithmetic, encoding, network, operations, paths, strings

# name -> (number of arguments, -1 for any, implementation)
FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    **strings.FUNCTIONS,
    **encoding.FUNCTIONS,
    **network.FUNCTIONS,
    **arithmetic.FUNCTIONS,
    **paths.FUNCTIONS,
    **operations.FUNCTIONS,
}


def register(conn: sqlite3.Connection) -> None:
    """Add osquery's SQL functions, the ``carve`` aggregate and the version collations."""
    for name, (nargs, fn) in FUNCTIONS.items():
        conn.create_function(name, nargs, fn, deterministic=name not in {"sleep"})
    conn.create_aggregate("carve", 1, operations.Carve)  # type: ignore[arg-type]
    for name, collate in versions.COLLATIONS.items():
        conn.create_collation(name, collate)


def register_apsw(conn: apsw.Connection) -> None:
    """``register`` for an apsw connection (the collector's host databases)."""
    for name, (nargs, fn) in FUNCTIONS.items():
        flags = 0 if name == "sleep" else apsw.SQLITE_DETERMINISTIC
        conn.create_scalar_function(name, fn, nargs, deterministic=bool(flags))
    conn.create_aggregate_function("carve", _carve, 1)
    for name, collate in versions.COLLATIONS.items():
        conn.create_collation(name, collate)


def _carve() -> tuple[operations.Carve, Callable[..., None], Callable[..., str]]:
    return (
        operations.Carve(),
        lambda ctx, *values: ctx.step(*values),
        lambda ctx: ctx.finalize(),
    )
