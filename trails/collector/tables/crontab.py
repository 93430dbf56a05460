"""``crontab``: osquery/tables/system/posix/crontab.cpp.

``/etc/crontab`` then the files (not directories, no dot files, sorted) of
``/etc/cron.d/``, ``/var/at/tabs/``, ``/var/spool/cron/`` and
``/var/spool/cron/crontabs/``. Each trimmed line not starting with ``#`` is split on
spaces and tabs: an ``@`` first word is the ``event`` and the rest the ``command``;
otherwise five time fields then the command (words rejoined by single spaces, so a
system crontab's user is part of ``command``). A line with no command (``VAR=value``,
too few fields) gives no row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._ported import C_SPACE, list_files, read_text

SYSTEM_CRON = "/etc/crontab"
SEARCH_DIRS = ("/etc/cron.d/", "/var/at/tabs/", "/var/spool/cron/", "/var/spool/cron/crontabs/")
_FIELDS = ("minute", "hour", "day_of_month", "month", "day_of_week")
_SPLIT = re.compile(r"[ \t]")


def parse_line(path: str, line: str) -> Row | None:
    # osquery's split(): drop empty words, then trim each (a lone "\v" stays, as "")
    words = [w.strip(C_SPACE) for w in _SPLIT.split(line) if w]
    row: Row = {"path": path}
    command: list[str] = []
    index = 0
    for word in words:
        if index == 0 and word.startswith("@"):
            row["event"] = word
            index = 5
            continue
        if index < 5:
            row[_FIELDS[index]] = word
        else:
            command.append(word)
        index += 1
    row["command"] = " ".join(command)
    if not row["command"]:
        return None
    row["pid_with_namespace"] = "0"
    return row


def generate(host: Host, query: Query) -> Iterator[Row]:
    paths = [SYSTEM_CRON]
    for directory in SEARCH_DIRS:
        paths.extend(list_files(host, directory))
    for path in paths:
        content = read_text(host, path)
        if content is None:
            continue
        for raw in content.split("\n"):
            line = raw.strip(C_SPACE)
            if line and line[0] != "#":
                row = parse_line(path, line)
                if row is not None:
                    yield row


TABLE = Table("crontab", generate)
