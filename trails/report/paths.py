"""The local files a ``--results`` path names: one file, a glob, or a directory read whole.

Symbolic links are followed, as ``ls -L`` and DuckDB would: a log directory is often a
link to where the logs are. Each directory is entered once (by device and inode), so a
link back up the tree (``logs/all -> ..``) is not a loop: Python's ``glob`` follows such
links until the path is too long, and two of them at each level take longer than any
report. Only regular files are results (a FIFO would block a read for ever), and a path
naming more than ``MAX_FILES`` of them (``--results /``) is refused once it reaches that
many, rather than read.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import Path

from trails.errors import UsageError

MAX_FILES = 1_000_000
_WILDCARD = re.compile(r"[*?\[]")


def local_files(pattern: str) -> list[str]:
    """The files ``pattern`` names, sorted; OSError when a directory cannot be listed."""
    if _WILDCARD.search(pattern):
        found = _glob(pattern)
    elif Path(pattern).is_dir():
        found = _tree(Path(pattern))
    else:
        return [pattern] if Path(pattern).is_file() else []
    files = []
    for path in found:
        files.append(path)
        if len(files) > MAX_FILES:
            raise UsageError(
                f"--results {pattern}: more than {MAX_FILES:,} files there; name the"
                " directory of the logs, or a glob of them"
            )
    return sorted(files)


def _tree(directory: Path) -> Iterator[str]:
    """Every file under ``directory`` (a day-partitioned tree, ``dt=2026-12-01/...``);
    names starting with ``.`` or ``_`` are the markers and checksums that data platforms
    leave beside their files (``_SUCCESS``, ``.part.crc``), not results. A stack, not
    recursion: a tree may be deeper than Python's recursion limit."""
    seen: set[tuple[int, int, int]] = set()
    stack = [str(directory)]
    while stack:
        here = stack.pop()
        if not _first_visit(here, seen):
            continue
        for entry in _entries(here):
            if entry.name.startswith((".", "_")):
                continue
            if entry.is_dir():
                stack.append(entry.path)
            elif entry.is_file():
                yield entry.path


def _glob(pattern: str) -> Iterator[str]:
    """``glob.glob(pattern, recursive=True)``'s files, each once (``**`` any depth of
    directories; no name starting with ``.`` unless its part of the pattern does), each
    directory entered once for each part of the pattern it is matched against."""
    parts = Path(pattern).parts
    first = next(i for i, part in enumerate(parts) if _WILDCARD.search(part))
    base = os.path.join(*parts[:first]) if first else os.curdir
    rest = parts[first:] + (("*",) if parts[-1] == "**" else ())  # a/**: every file below
    if not os.path.isdir(base):
        return
    found: set[str] = set()
    for path in _match(base, rest):
        name = path if first else os.path.relpath(path)
        if name not in found:
            found.add(name)
            yield name


def _match(base: str, pattern: tuple[str, ...]) -> Iterator[str]:
    """The files below ``base`` that ``pattern``'s parts match, with a stack of (directory,
    the parts left to match there), each pair visited once (links back up the tree)."""
    seen: set[tuple[int, int, int]] = set()
    stack = [(base, pattern)]
    while stack:
        directory, parts = stack.pop()
        if not _first_visit(directory, seen, len(parts)):
            continue
        head, rest = parts[0], parts[1:]
        if not _WILDCARD.search(head):  # a name (.. too), not a pattern: no listing
            path = os.path.join(directory, head)
            if not rest and os.path.isfile(path):
                yield path
            elif rest and os.path.isdir(path):
                stack.append((path, rest))
            continue
        if head == "**":
            stack.append((directory, rest))  # no directory at all
        for entry in _entries(directory):
            if entry.name.startswith(".") and not head.startswith("."):
                continue
            if head == "**":
                if entry.is_dir():
                    stack.append((entry.path, parts))
            elif fnmatch.fnmatchcase(entry.name, head):
                if not rest:
                    if entry.is_file():
                        yield entry.path
                elif entry.is_dir():
                    stack.append((entry.path, rest))


def _entries(directory: str) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as it:
        return list(it)


def _first_visit(directory: str, seen: set[tuple[int, int, int]], parts_left: int = 0) -> bool:
    """Whether ``directory`` (by device and inode, with the pattern parts left to match
    there) is seen for the first time; it is marked seen."""
    st = os.stat(directory)
    key = (st.st_dev, st.st_ino, parts_left)
    if key in seen:
        return False
    seen.add(key)
    return True
