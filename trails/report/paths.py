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
    leave beside their files (``_SUCCESS``, ``.part.crc``), not results."""
    seen: set[tuple[int, int]] = set()
    for root, dirs, names in os.walk(directory, followlinks=True, onerror=_raise):
        if not _first_visit(root, seen):
            dirs.clear()
            continue
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in names:
            path = os.path.join(root, name)
            if not name.startswith((".", "_")) and os.path.isfile(path):
                yield path


def _glob(pattern: str) -> Iterator[str]:
    """``glob.glob(pattern, recursive=True)``'s files (``**`` any depth of directories;
    no name starting with ``.`` unless its part of the pattern does), each directory
    entered once for each part of the pattern it is matched against."""
    parts = Path(pattern).parts
    first = next(i for i, part in enumerate(parts) if _WILDCARD.search(part))
    base = os.path.join(*parts[:first]) if first else os.curdir
    rest = parts[first:] + (("*",) if parts[-1] == "**" else ())  # a/**: every file below
    if os.path.isdir(base):
        found = _match(base, rest, set())
        yield from dict.fromkeys(p if first else os.path.relpath(p) for p in found)


def _match(
    directory: str, parts: tuple[str, ...], seen: set[tuple[int, int, int]]
) -> Iterator[str]:
    """The files below ``directory`` that ``parts`` match; ``seen``: the directories
    entered so far, with the number of parts left to match there."""
    st = os.stat(directory)
    if (st.st_dev, st.st_ino, len(parts)) in seen:  # a link back up the tree
        return
    seen.add((st.st_dev, st.st_ino, len(parts)))
    head, rest = parts[0], parts[1:]
    with os.scandir(directory) as it:
        entries = sorted(it, key=lambda e: e.name)
    if head == "**":
        yield from _match(directory, rest, seen)  # no directory at all
    for entry in entries:
        if entry.name.startswith(".") and not head.startswith("."):
            continue
        if head == "**":
            if entry.is_dir():
                yield from _match(entry.path, parts, seen)
        elif fnmatch.fnmatchcase(entry.name, head):
            if not rest:
                if entry.is_file():
                    yield entry.path
            elif entry.is_dir():
                yield from _match(entry.path, rest, seen)


def _first_visit(directory: str, seen: set[tuple[int, int]]) -> bool:
    st = os.stat(directory)
    key = (st.st_dev, st.st_ino)
    if key in seen:
        return False
    seen.add(key)
    return True


def _raise(exc: OSError) -> None:
    raise exc
