"""``os_version``: osquery/tables/system/linux/os_version.cpp.

Always one row: ``name`` Unknown and ``platform`` posix unless ``/etc/os-release``
says otherwise; a readable ``/etc/redhat-release`` makes ``platform`` rhel and its text
the ``version`` (major and minor parsed from it), whatever os-release said.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table

_COLUMNS = {
    "NAME": "name",
    "VERSION": "version",
    "BUILD_ID": "build",
    "ID": "platform",
    "ID_LIKE": "platform_like",
    "VERSION_CODENAME": "codename",
    "VERSION_ID": "_id",
}
_REDHAT = re.compile(r"([\w+\s]+) .* ([0-9]+)\.([0-9]+)\.?(\w+)?")


def _read(host: Host, path: str) -> str | None:
    try:
        return host.path(path).read_text(errors="replace")
    except OSError:
        return None


def generate(host: Host, query: Query) -> Iterator[Row]:
    row: Row = {"name": "Unknown", "major": "0", "minor": "0", "patch": "0", "platform": "posix"}
    for line in (_read(host, "/etc/os-release") or "").split("\n"):
        key, sep, value = line.partition("=")
        if not sep or not line:
            continue
        if key in _COLUMNS:
            column = _COLUMNS[key]
        elif "CODENAME" in key:
            column = "codename"
        else:
            continue
        if value.startswith('"'):
            value = value[1:-1]
        row[column] = value
        if column == "_id":
            parts = value.split(".", 2)
            for name, part in zip(("major", "minor", "patch"), parts, strict=False):
                row[name] = part
    row.pop("_id", None)
    row["arch"] = platform.machine()
    redhat = _read(host, "/etc/redhat-release")
    if redhat is not None:
        row["platform"] = row["platform_like"] = "rhel"
        content = " ".join(redhat.split())
        match = _REDHAT.search(content)
        if match:
            row["name"], row["major"], row["minor"] = match.group(1, 2, 3)
            row["patch"] = match.group(4) or "0"
        row["version"] = content
        row["build"] = ""
    yield row


TABLE = Table("os_version", generate)
