"""``kernel_modules``: osquery/tables/system/linux/kernel_modules.cpp.

One row per line of ``/proc/modules`` that has at least six space-separated fields
(``name size refcount used_by status address``); a trailing ``,`` is cut from each
field, so ``used_by`` is ``a,b`` or ``-``; ``size`` is cast as osquery casts a BIGINT.
The running kernel's modules only (runtime).
"""

from __future__ import annotations

from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._runtime import read_text, split, sql_int


def parse(text: str) -> Iterator[Row]:
    """The rows of ``/proc/modules`` text."""
    for line in split(text, "\n"):
        details = split(line, " ")
        if len(details) < 6:
            continue
        details = [d[:-1] if d.endswith(",") else d for d in details]
        yield {
            "name": details[0],
            "size": sql_int(details[1]),
            "used_by": details[3],
            "status": details[4],
            "address": details[5],
        }


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    text = read_text(host.runtime.proc / "modules")
    if text is not None:
        yield from parse(text)


TABLE = Table("kernel_modules", generate, runtime=True)
