"""``kernel_info``: osquery/tables/system/linux/kernel_info.cpp.

One row: ``/proc/cmdline`` cut at spaces gives ``path`` (``BOOT_IMAGE=``), ``device``
(``root=``; the last one wins) and ``arguments`` (every other argument, space-joined);
``version`` is the third word of ``/proc/version`` when the second is ``version``.
osquery emits the row even when neither file can be read (runtime: none without one).
"""

from __future__ import annotations

from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._runtime import read_text, split


def parse(cmdline: str | None, version: str | None) -> Row:
    row: Row = {}
    if cmdline is not None:
        arguments = ""
        for argument in split(cmdline, " "):
            if argument.startswith("BOOT_IMAGE="):
                row["path"] = argument[len("BOOT_IMAGE=") :]
            elif argument.startswith("root="):
                row["device"] = argument[len("root=") :]
            else:
                # osquery's loop: a piece that trimmed to nothing still adds its space
                arguments = f"{arguments} {argument}" if arguments else argument
        row["arguments"] = arguments
    if version is not None:
        details = split(version, " ")
        if len(details) > 2 and details[1] == "version":
            row["version"] = details[2]
    return row


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    proc = host.runtime.proc
    yield parse(read_text(proc / "cmdline"), read_text(proc / "version"))


TABLE = Table("kernel_info", generate, runtime=True)
