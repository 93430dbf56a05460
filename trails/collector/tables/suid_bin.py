"""``suid_bin``: osquery/tables/system/posix/suid_bin.cpp.

Walks ``/bin``, ``/sbin``, ``/usr/bin``, ``/usr/sbin``, ``/usr/local/bin``,
``/usr/local/sbin`` and ``/tmp`` recursively (a top directory that is a symlink is
followed, as ``/bin`` -> ``usr/bin`` on merged-/usr systems, so such binaries appear
under both paths; symlinked subdirectories are not entered). A row for every entry
that is a regular file once symlinks are followed and has the setuid or setgid bit:
``permissions`` ``S``, ``G`` or ``SG``; ``username``/``groupname`` from the root's
``/etc/passwd``/``/etc/group`` (``getpwuid``/``getgrgid``), else the numeric id.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from pathlib import Path

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables.nss_files import (
    getgrgid,
    getpwuid,
    group_entries,
    passwd_entries,
)

SEARCH_PATHS = (
    "/bin",
    "/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/tmp",  # noqa: S108 (a path on the host, read only)
)
MAX_ENTRIES = 1_000_000  # a bound on hostile trees; osquery has none


def _entries(host: Host, shown: str, real: Path) -> list[tuple[str, Path, os.stat_result, bool]]:
    """(host path, real path, stat following symlinks within the root, enter it)."""
    try:
        names = sorted(os.listdir(real))
    except OSError:
        return []
    entries = []
    for name in names:
        path, entry = posixpath.join(shown, name), real / name
        try:
            info = os.lstat(entry)
            if stat.S_ISLNK(info.st_mode):
                # resolved inside the root; a symlink loop stays a symlink, not a file
                entries.append((path, entry, os.lstat(host.path(path)), False))
            else:
                entries.append((path, entry, info, stat.S_ISDIR(info.st_mode)))
        except OSError:
            continue
    return entries


def _walk(host: Host, top: str) -> Iterator[tuple[str, os.stat_result]]:
    """Every entry below ``top`` in boost's recursive_directory_iterator order."""
    start = host.path(top)
    if not start.is_dir():
        return
    stack = [iter(_entries(host, top, start))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        path, real, info, enter = item
        yield path, info
        if enter:
            stack.append(iter(_entries(host, path, real)))


def generate(host: Host, query: Query) -> Iterator[Row]:
    users = passwd_entries(host, None)
    groups = group_entries(host)
    seen = 0
    for top in SEARCH_PATHS:
        for path, info in _walk(host, top):
            seen += 1
            if seen > MAX_ENTRIES:
                return
            if not stat.S_ISREG(info.st_mode) or not info.st_mode & (stat.S_ISUID | stat.S_ISGID):
                continue
            user = getpwuid(users, info.st_uid)
            group = getgrgid(groups, info.st_gid)
            yield {
                "path": path,
                "username": user.name if user else str(info.st_uid),
                "groupname": group.name if group else str(info.st_gid),
                "permissions": ("S" if info.st_mode & stat.S_ISUID else "")
                + ("G" if info.st_mode & stat.S_ISGID else ""),
                "pid_with_namespace": "0",
            }


TABLE = Table("suid_bin", generate)
