"""``sudoers``: osquery/tables/system/posix/sudoers.cpp.

``/etc/sudoers`` (only when readable), line by line, each line trimmed of spaces,
tabs and vertical tabs: blank and ``#`` lines are skipped except ``#include``,
``#includedir``, ``@include`` and ``@includedir`` with a target. A row is the first
word (``header``), the rest trimmed (``rule_details``) and the file (``source``). A
line ending in ``\\`` continues on the next line, appended to the previous row (its
backslash dropped, no space added). An include row is followed by the included file's
rows (a relative target is taken from the including file's directory); an includedir
reads its files in order, skipping names with a ``.`` or ending in ``~``. Each include
raises the nesting level (per include, not per depth); past 128 a file is not read.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._ported import C_SPACE, list_files, read_text

SUDOERS = "/etc/sudoers"
MAX_NEST = 128
# osquery's levels bound depth, not work: a file including itself twice is read
# Fibonacci(128) times; the collector stops reading files past this many
MAX_FILES = 10_000
_WHITESPACE = "\t\v "


class _Walk:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.rows: list[Row] = []
        self.files = 0

    def file(self, filename: str, level: int) -> None:
        if level > MAX_NEST or self.files >= MAX_FILES:
            return
        self.files += 1
        contents = read_text(self.host, filename)
        if contents is None:
            return
        long_line = False
        for raw in contents.split("\n"):
            line = raw.strip(C_SPACE)
            if not line:
                continue
            if long_line:
                long_line = line.endswith("\\")
                last = self.rows[-1]
                if last["rule_details"]:
                    last["rule_details"] = str(last["rule_details"])[:-1]
                else:
                    last["header"] = str(last["header"])[:-1]
                last["rule_details"] = str(last["rule_details"]) + line
                continue
            cut = next((i for i, ch in enumerate(line) if ch in _WHITESPACE), len(line))
            header = line[:cut]
            include = header in ("#include", "@include")
            includedir = header in ("#includedir", "@includedir")
            if line[0] == "#" and not include and not includedir:
                continue
            details = line[cut:].strip(_WHITESPACE)
            if not details and (include or includedir):
                continue
            if not include and not includedir and line.endswith("\\"):
                long_line = True
            self.rows.append({"header": header, "source": filename, "rule_details": details})
            target = details
            if (include or includedir) and not target.startswith("/"):
                target = posixpath.join(posixpath.dirname(filename), target)
            if includedir:
                for path in list_files(self.host, target):
                    name = posixpath.basename(path)
                    if name and "." not in name and not name.endswith("~"):
                        level += 1
                        self.file(path, level)
            elif include:
                level += 1
                self.file(target, level)


def generate(host: Host, query: Query) -> Iterator[Row]:
    walk = _Walk(host)
    walk.file(SUDOERS, 1)
    yield from walk.rows


TABLE = Table("sudoers", generate)
