"""``mounts``: osquery/tables/system/linux/mounts.cpp over osquery/filesystem/linux/mounts.cpp.

One row per entry of ``/proc/mounts`` as glibc's ``getmntent_r`` reads it (4096-byte
line buffer, ``#`` lines skipped, ``\\040``-style escapes decoded); ``flags`` is the
options field. ``device_alias`` is ``realpath(device)`` (resolved from ``/``, osqueryd's
working directory) or the device itself; block and inode counts come from ``statfs``,
truncated to 32 bits as osquery stores them, and are 0 for autofs or when statfs fails.
Both ask the kernel, so only a live runtime has them: a recorded one gives the device
as its alias and leaves the counts empty.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from trails.collector.interface import Host, Query, Row, Runtime, Table
from trails.collector.tables._runtime import MAX_READ, is_live

# getmntent_r's buffer in osquery; fgets keeps one byte for the terminating NUL
_LINE = 4096 - 1
_ESCAPES = {b"\\040": b" ", b"\\011": b"\t", b"\\012": b"\n", b"\\\\": b"\\", b"\\134": b"\\"}
_ESCAPE = re.compile(rb"\\040|\\011|\\012|\\\\|\\134")
_BLANK = b" \t"
_COUNTS = ("blocks_size", "blocks", "blocks_free", "blocks_available", "inodes", "inodes_free")


def _decode(field: bytes) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], field).decode("utf-8", errors="replace")


def _lines(data: bytes) -> Iterator[bytes]:
    """What successive ``fgets(buffer, 4096)`` calls leave in the buffer, newline chopped."""
    raw_lines = data.split(b"\n")
    for i, raw in enumerate(raw_lines):
        has_newline = i < len(raw_lines) - 1
        if not has_newline and not raw:
            return
        line = raw.split(b"\0", 1)[0]
        if len(raw) < _LINE and has_newline and line == raw:
            yield line.rstrip(_BLANK)
        else:
            # no newline in the buffer: glibc keeps the first 4095 bytes as they are
            # and throws the rest of the line away
            yield line[:_LINE]


def _fields(line: bytes) -> list[bytes] | None:
    """fsname, dir, type and opts as getmntent_r's ``strsep`` walk cuts them."""
    head: bytes | None = line.lstrip(_BLANK)
    if not head or head.startswith(b"#"):
        return None
    fields = []
    for _ in range(4):
        if head is None:
            fields.append(b"")
            continue
        cut = re.search(rb"[ \t]", head)
        if cut is None:
            fields.append(head)
            head = None
        else:
            fields.append(head[: cut.start()])
            head = head[cut.end() :].lstrip(_BLANK)
    return fields


def parse(data: bytes) -> Iterator[tuple[str, str, str, str]]:
    """(device, path, type, options) of each ``/proc/mounts`` entry."""
    for line in _lines(data):
        fields = _fields(line)
        if fields is not None:
            device, path, kind, options = (_decode(f) for f in fields)
            yield device, path, kind, options


def read_mounts(runtime: Runtime) -> Iterator[tuple[str, str, str, str]]:
    """The runtime's mount table (empty when ``/proc/mounts`` cannot be read)."""
    try:
        with open(runtime.proc / "mounts", "rb") as handle:
            data = handle.read(MAX_READ)
    except (OSError, ValueError):
        return
    yield from parse(data)


def _alias(device: str) -> str:
    if not device:
        return device
    try:
        return os.path.realpath(Path("/", device), strict=True)
    except (OSError, ValueError):
        return device


def _counts(path: str, kind: str) -> dict[str, int]:
    if kind != "autofs":
        try:
            st = os.statvfs(path)
        except (OSError, ValueError):
            pass
        else:
            values = (st.f_bsize, st.f_blocks, st.f_bfree, st.f_bavail, st.f_files, st.f_ffree)
            return {c: v & 0xFFFFFFFF for c, v in zip(_COUNTS, values, strict=True)}
    return dict.fromkeys(_COUNTS, 0)


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    live = is_live(host.runtime)
    for device, path, kind, options in read_mounts(host.runtime):
        row: Row = {"device": device, "path": path, "type": kind, "flags": options}
        row["device_alias"] = _alias(device) if live else device
        if live:
            row.update(_counts(path, kind))
        yield row


TABLE = Table("mounts", generate, runtime=True)
