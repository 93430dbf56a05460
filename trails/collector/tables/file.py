"""``file``: osquery/tables/utility/file.cpp on Linux.

Rows exist only for paths named by ``path =`` / ``path LIKE`` (``%`` is a glob ``*``,
a trailing ``%%`` recurses; matched directories end in ``/``) or for the entries of a
``directory =`` / ``directory LIKE`` directory. ``stat`` follows symlinks (``symlink``
1 and the target's mode); ``mode`` is four octal digits.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table

_TYPES = {
    stat.S_IFREG: "regular",
    stat.S_IFDIR: "directory",
    stat.S_IFLNK: "symlink",
    stat.S_IFBLK: "block",
    stat.S_IFCHR: "character",
    stat.S_IFIFO: "fifo",
    stat.S_IFSOCK: "socket",
}
MAX_GLOB_RESULTS = 100_000


def resolve_pattern(host: Host, pattern: str, *, folders_only: bool = False) -> list[str]:
    """osquery's ``resolveFilePattern``: host paths matching a LIKE pattern under the root."""
    if not pattern.startswith("/"):
        return []
    pattern = pattern.replace("%", "*")
    recursive = pattern.endswith("**")
    if recursive:
        pattern = pattern[:-1]
    root = str(host.root).rstrip("/")
    found: list[str] = []
    for hit in sorted(glob.glob(glob.escape(root) + pattern)):
        host_path = hit[len(root) :] or "/"
        is_dir = os.path.isdir(hit)
        found.append(host_path + "/" if is_dir and not host_path.endswith("/") else host_path)
        if recursive and is_dir:
            for base, dirs, files in os.walk(hit):
                rel = base[len(root) :] or "/"
                found.extend(os.path.join(rel, d) + "/" for d in sorted(dirs))
                found.extend(os.path.join(rel, f) for f in sorted(files))
        if len(found) > MAX_GLOB_RESULTS:
            break
    if folders_only:
        found = [p for p in found if p.endswith("/")]
    return found[:MAX_GLOB_RESULTS]


def _parent(path: str) -> str:
    """boost's ``parent_path``: of a directory matched with its trailing ``/`` (osquery's
    glob marks directories so) it is the directory itself, whose ``filename`` is ``.``."""
    if path.endswith("/") and len(path) > 1:
        return path[:-1]
    return path.rsplit("/", 1)[0] or "/"


def stat_row(host: Host, path: str, parent: str) -> Row | None:
    """One row for ``path`` (a host path), or None when it cannot be lstat'ed."""
    real = host.path(path, follow=False)
    try:
        link = os.lstat(real)
    except OSError:
        return None
    row: Row = {
        "path": path,
        "filename": "." if path.endswith("/") and path != "/" else os.path.basename(path) or "/",
        "directory": parent,
        "symlink": "0",
    }
    if stat.S_ISLNK(link.st_mode):
        row["symlink"] = "1"
        row["symlink_target_path"] = os.readlink(real)
    try:
        st = os.stat(host.path(path))
    except OSError:
        st = link
    row.update(
        {
            "inode": st.st_ino,
            "uid": st.st_uid,
            "gid": st.st_gid,
            "mode": f"{stat.S_IMODE(st.st_mode):04o}",
            "device": st.st_rdev,
            "size": st.st_size,
            "block_size": st.st_blksize,
            "hard_links": st.st_nlink,
            "atime": int(st.st_atime),
            "mtime": int(st.st_mtime),
            "ctime": int(st.st_ctime),
            "btime": 0,
            "type": _TYPES.get(stat.S_IFMT(st.st_mode), "unknown"),
        }
    )
    return row


def generate(host: Host, query: Query) -> Iterator[Row]:
    paths = set(query.texts("path"))
    for pattern in query.texts("path", "LIKE"):
        paths.update(resolve_pattern(host, pattern))
    for path in sorted(paths):
        row = stat_row(host, path, _parent(path))
        if row is not None:
            yield row
    directories = set(query.texts("directory"))
    for pattern in query.texts("directory", "LIKE"):
        directories.update(resolve_pattern(host, pattern, folders_only=True))
    for directory in sorted(directories):
        real = host.path(directory)
        if not real.is_dir():
            continue
        for entry in sorted(os.listdir(real)):
            row = stat_row(host, directory.rstrip("/") + "/" + entry, directory)
            if row is not None:
                yield row


TABLE = Table("file", generate, constrained=("path", "directory"))
