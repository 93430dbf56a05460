"""How a results file is read: plain or gzip, line by line, within bounds.

The engines go by the name, as Hadoop does: a file named ``*.gz`` is gzip, any other is
plain text (DuckDB is told so per file; left to itself it would also take ``.GZ``). Where
the content disagrees with the name (gzip content under another name, plain text under
``.gz``), a gzip stream breaks (truncated by a crash, corrupt) or carries what DuckDB
refuses (zero padding after it, some header flags), or a line is over ``MAX_LINE_BYTES``,
an engine would read garbage, stop the report, or take lines without a word (DuckDB
checks no CRC, and takes some overlong lines). ``misread`` finds such a file (DuckDB's
ingest checks every file first; Spark the ones it fails on or finds malformed lines in),
and it is read instead through a plain copy decoded by its content (``readable_copy``),
in which the break and each overlong line are a line that is not an object: the lines
before a break are read, and each is counted as a malformed line and located by the
sample reader, which reads the original the same way (``lines``).

Files named with another compression (``.zst``, ``.bz2``, ...) are refused up front:
DuckDB would decode some, Hadoop others, the sample reader none.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from isal import igzip, isal_zlib  # inflates at 4x zlib's speed

from trails.errors import TransportError

MAX_LINE_BYTES = 64 * 1024 * 1024  # DuckDB reads longer lines too; strings are cut later
GZIP_MAGIC = b"\x1f\x8b"
OTHER_COMPRESSION = re.compile(r"\.(bz2|deflate|lz4|lzo|snappy|xz|zip|zst|zstd)\Z", re.IGNORECASE)
BROKEN_GZIP = "the gzip stream breaks here (truncated or corrupt); the lines before it were read"
_TOO_LONG_LINE = b'"trails: a line longer than MAX_LINE_BYTES was here"\n'
_BROKEN_LINE = b'"trails: the gzip stream broke here"\n'
_CHUNK = 1 << 20
# gzip header flags DuckDB refuses (FTEXT, FHCRC, FCOMMENT, the reserved bits) where
# gzip -d, Python and Hadoop read the stream: such a file is read through its copy.
_FLAGS_DUCKDB_REFUSES = 0x01 | 0x02 | 0x10 | 0xE0
# A gzip stream that breaks: truncated, bad data, bad CRC or size, garbage after it.
# Python's reader gives every line before the break (ISA-L's loses the last block it
# inflated): it reads. ISA-L, 4x as fast, only checks.
_BROKEN: tuple[type[BaseException], ...] = (EOFError, zlib.error, gzip.BadGzipFile)
_CHECK_BROKEN: tuple[type[BaseException], ...] = (
    EOFError,
    cast(type[BaseException], isal_zlib.error),  # typed in isal as a module attribute
    igzip.BadGzipFile,
)


def named_gzip(name: str) -> bool:
    """Whether the engines read ``name`` as gzip."""
    return name.endswith(".gz")


@contextmanager
def open_results(raw: io.BufferedReader) -> Iterator[IO[bytes]]:
    """The bytes of the lines in ``raw``: decompressed when its content is gzip;
    ``raw`` is closed after."""
    with raw:
        if raw.peek(2)[:2] == GZIP_MAGIC:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
                yield cast(IO[bytes], unpacked)
        else:
            yield raw


def lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """The lines of ``stream`` without their newline (a line over ``MAX_LINE_BYTES`` cut,
    and then too long), then None if its gzip stream breaks: its rest cannot be read."""
    try:
        while chunk := stream.readline(MAX_LINE_BYTES + 1):
            if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
                while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
            yield chunk.rstrip(b"\r\n")
    except _BROKEN:
        yield None


def misread(name: str, raw: io.BufferedReader) -> bool:
    """Whether the engines, going by ``name``, misread the file ``raw`` holds: gzip
    content under another name, plain text under ``.gz``, a gzip stream that breaks, has
    a header DuckDB refuses, or is followed by anything but another gzip stream (zero
    padding too: DuckDB and Hadoop refuse it), or a line longer than ``MAX_LINE_BYTES``
    (DuckDB takes some of those as results), or fewer bytes than its size says (a sysfs
    file says 4096: DuckDB stops at it). Reads it whole; ``raw`` is closed after. A file
    cut shorter while it is read (a log rotated by copy and truncate) is a
    ``TransportError``: a copy of it now would lose its lines without a word."""
    with raw:
        size = _stated_size(raw)
        content_gzip = raw.peek(2)[:2] == GZIP_MAGIC
        if content_gzip != named_gzip(name):
            return True
        line = _LineLength()
        chunks = _inflated(raw) if content_gzip else iter(lambda: raw.read(_CHUNK), b"")
        try:
            misread_lines = any(line.over_limit(chunk) for chunk in chunks)
        except _CHECK_BROKEN:
            misread_lines = True
        if size is None:
            return misread_lines
        if (_stated_size(raw) or 0) < size:
            raise changed_while_read(name)
        return misread_lines or raw.tell() < size


def changed_while_read(name: str) -> TransportError:
    """A results file that changed while the report ran (cut shorter, or gone): run it
    again (exit 4)."""
    return TransportError(
        f"cannot read results: {name} changed while it was read (rotated?); run the report again"
    )


def _stated_size(raw: io.BufferedReader) -> int | None:
    """The size a local file's inode says it has (None for a stream from elsewhere)."""
    try:
        return os.fstat(raw.fileno()).st_size
    except OSError:  # io.UnsupportedOperation too: no file descriptor
        return None


def _inflated(raw: io.BufferedReader) -> Iterator[bytes]:
    """The inflated bytes of the gzip streams ``raw`` holds, at most ``_CHUNK`` at a time
    (a small file may inflate a thousandfold); raises on a stream that breaks, on a
    header DuckDB does not read, or on anything after a stream that does not start
    another."""
    stream = None
    data = b""
    while True:
        if not data and not (data := raw.read(_CHUNK)):
            if stream is not None and stream.eof:
                return
            raise EOFError("the gzip stream ends early")
        if stream is None or stream.eof:  # a stream starts here, or nothing may follow
            data += raw.read(4 - len(data)) if len(data) < 4 else b""
            if data[:2] != GZIP_MAGIC:
                raise igzip.BadGzipFile("bytes after the gzip stream")
            if len(data) < 4 or data[3] & _FLAGS_DUCKDB_REFUSES:
                raise igzip.BadGzipFile("a gzip header DuckDB does not read")
            stream = isal_zlib.decompressobj(wbits=31)  # header, CRC and size checked
        yield stream.decompress(data, _CHUNK)
        data = stream.unconsumed_tail or (stream.unused_data if stream.eof else b"")


class _LineLength:
    """Whether a line of the bytes fed in chunks (each at most ``MAX_LINE_BYTES``, so
    only a line running across chunks can be longer) is over the limit (its ``\\r``
    counted: when in doubt the file is read through its copy)."""

    def __init__(self) -> None:
        self.run = 0  # bytes of the current line so far

    def over_limit(self, chunk: bytes) -> bool:
        first = chunk.find(b"\n")
        if first < 0:
            self.run += len(chunk)
            return self.run > MAX_LINE_BYTES
        if self.run + first > MAX_LINE_BYTES:
            return True
        self.run = len(chunk) - chunk.rfind(b"\n") - 1
        return False


def misread_files(names: Sequence[str], open_raw: Callable[[str], io.BufferedReader]) -> list[str]:
    """Those of ``names`` the engines misread (``misread``), checked on every core (ISA-L
    inflates outside the GIL)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        flags = list(pool.map(lambda name: misread(name, open_raw(name)), names))
    return [name for name, bad in zip(names, flags, strict=True) if bad]


def readable_copy(name: str, raw: io.BufferedReader, target: Path) -> Path:
    """A plain copy of the lines ``raw`` (the file ``name``) holds, decoded by content, at
    ``target``, for an engine to read instead: each overlong line and a break in the gzip
    stream become a line that is not an object (so each is counted, and located in the
    original). A file cut shorter while it is copied is ``changed_while_read``."""
    size = _stated_size(raw)
    with open_results(raw) as stream, target.open("wb") as out:
        for line in lines(stream):
            if line is None:
                out.write(_BROKEN_LINE)
            elif len(line) > MAX_LINE_BYTES:
                out.write(_TOO_LONG_LINE)
            else:
                out.write(line + b"\n")
        if size is not None and (_stated_size(raw) or 0) < size:
            raise changed_while_read(name)
    return target
