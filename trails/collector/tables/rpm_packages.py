"""``rpm_packages``: osquery/tables/system/linux/rpm_packages.cpp, through the ``rpm``
binary instead of librpm.

Every package of the root's rpm database (``/var/lib/rpm``: ``rpmdb.sqlite``,
``Packages`` or ``Packages.db``), read with ``rpm -qa`` and the host's own rpm configuration,
as osquery reads it with librpm; rpm runs on a copy of the database (even a query
creates sqlite's ``-shm``/``-wal`` files beside it) and its output is kept per host. Every
column is filled; a tag the header lacks is empty text (NULL for the integer columns
``epoch``, ``install_time``, ``size``). ``name =`` keeps the packages matching every
given name (librpm's iterator patterns). No ``rpm`` binary or no database: no rows.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._ported import tool_output

DBPATH = "/var/lib/rpm"
DB_FILES = ("rpmdb.sqlite", "Packages", "Packages.db")
TIMEOUT_SECONDS = 120
_TAGS = {
    "name": "NAME",
    "version": "VERSION",
    "release": "RELEASE",
    "source": "SOURCERPM",
    "size": "SIZE",
    "sha1": "SHA1HEADER",
    "arch": "ARCH",
    "epoch": "EPOCH",
    "install_time": "INSTALLTIME",
    "vendor": "VENDOR",
    "package_group": "GROUP",
}
_FIELD, _RECORD = "\x1f", "\x1e"
# a missing tag prints as nothing (osquery's empty string), not rpm's "(none)"
QUERY_FORMAT = _FIELD.join(f"%|{t}?{{%{{{t}}}}}:{{}}|" for t in _TAGS.values()) + _RECORD


def _query(host: Host) -> str | None:
    rpm = shutil.which("rpm")
    if rpm is None:
        return None
    source = host.path(DBPATH)
    if not any((source / name).is_file() for name in DB_FILES):
        return None
    with tempfile.TemporaryDirectory(prefix="trails-rpm-") as scratch:
        copy = Path(scratch) / DBPATH.lstrip("/")
        copy.mkdir(parents=True)
        try:
            for entry in source.iterdir():
                if entry.is_file() and not entry.is_symlink():
                    shutil.copyfile(entry, copy / entry.name)
        except OSError:
            return None
        command = [rpm, "--root", scratch, "--dbpath", DBPATH, "-qa", "--qf", QUERY_FORMAT]
        return tool_output(command, TIMEOUT_SECONDS)


def generate(host: Host, query: Query) -> Iterator[Row]:
    output = host.cache.get("rpm_packages")
    if not isinstance(output, str):
        output = host.cache["rpm_packages"] = _query(host) or ""
    names = set(query.texts("name"))
    for record in output.split(_RECORD):
        values = record.split(_FIELD)
        if len(values) != len(_TAGS):
            continue
        row: Row = dict(zip(_TAGS, values, strict=True))
        if any(row["name"] != name for name in names):
            continue
        row["pid_with_namespace"] = "0"
        yield row


TABLE = Table("rpm_packages", generate, constrained=("name",))
