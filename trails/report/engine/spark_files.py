"""The Spark engine's input files, wherever Spark reads them from.

A local path is read with Python's own I/O. A URL (``s3a://``, ``hdfs://``, ``gs://``,
``file://``) is read through the session's Hadoop FileSystem: the connector and the
credentials Spark itself is configured with, so trails reads exactly what Spark reads
and needs no second configuration. trails reads an input itself only to check it: its
size (did Spark's line reader skip an overlong line?) and, for the few files that hold
malformed or overlong lines, the bounded second read of ``trails.report.ingest``. Over a
URL that read goes through py4j (about 17 MB/s here): slow, but only for those files.

This module imports pyspark; only the Spark engine imports it.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlparse

from py4j.protocol import Py4JJavaError  # type: ignore[import-untyped]
from pyspark.errors import IllegalArgumentException
from pyspark.sql import SparkSession

from trails.errors import TransportError, UsageError
from trails.report.ingest import URL, expand_inputs, open_raw, unreadable

CHUNK = 4 << 20  # bytes per py4j call
_GLOB = re.compile(r"[*?\[{]")  # Hadoop's glob characters (braces too)
# Hadoop has no FileSystem class for the scheme, or it is not on the classpath
_NO_CONNECTOR = re.compile(r"No FileSystem for scheme|FileSystem not found")


@contextmanager
def _hadoop(name: str) -> Iterator[None]:
    """A Java exception from Hadoop (no such bucket, no credentials, no connector for the
    scheme, a connection lost) as a transport error naming the file."""
    try:
        yield
    except Py4JJavaError as exc:
        problem = str(exc.java_exception.toString()).splitlines()[0][:300]
        remedy = (
            "put the scheme's connector on Spark's classpath (s3a://: spark.jars.packages"
            " org.apache.hadoop:hadoop-aws at Spark's Hadoop version)"
            if _NO_CONNECTOR.search(problem)
            else "check the URL, its credentials and the Spark configuration for its scheme"
        )
        raise TransportError(f"cannot read {name}: {problem}; {remedy}") from None


class _HadoopStream(io.RawIOBase):
    """A Hadoop ``FSDataInputStream`` read over py4j (``readNBytes`` returns a byte[])."""

    def __init__(self, name: str, stream: Any) -> None:
        self._name = name
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with _hadoop(self._name):
            data = self._stream.readNBytes(min(len(buffer), CHUNK))
        buffer[: len(data)] = data
        return len(data)

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET:
            raise io.UnsupportedOperation("only absolute seeks")
        with _hadoop(self._name):
            self._stream.seek(offset)
        return offset

    def tell(self) -> int:
        return int(self._stream.getPos())

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


def _via_hadoop(name: str) -> bool:
    # a URL pattern, or a name Hadoop gave (it writes local files as file:/path)
    return bool(URL.match(name)) or name.startswith("file:/")


def key(name: str) -> str:
    """One spelling of a file named by ``SparkFiles.expand`` (or a local copy): local
    paths become ``file:`` URLs, as Spark reports them (``source_key``)."""
    return name if _via_hadoop(name) else "file:" + os.path.abspath(name)


def source_key(src: str) -> str:
    """``key`` of the file Spark names in ``_metadata.file_path`` (a URL-encoded URI;
    Hadoop's ``Path.toString`` of it is unencoded)."""
    url = urlparse(src)
    authority = f"//{url.netloc}" if url.netloc else ""
    return f"{url.scheme}:{authority}{unquote(url.path)}"


@contextmanager
def _no_colon(pattern: str) -> Iterator[None]:
    """Hadoop's glob stops at a file whose name holds ':' (IllegalArgumentException)."""
    try:
        yield
    except IllegalArgumentException as exc:
        if "Relative path in absolute URI" not in str(exc):
            raise
        raise UsageError(
            f"--results {pattern}: Spark (Hadoop) cannot list it: a file there has ':' in"
            " its name; rename it, or read it with --engine duckdb"
        ) from None


def _path_of(name: str) -> str:
    """The path part of ``name``: a local path, or a URL's path."""
    return urlparse(name).path if _via_hadoop(name) else name


def spark_path(name: str) -> str:
    """``name`` as Spark reads it literally (Hadoop expands glob characters)."""
    literal = name if _via_hadoop(name) else os.path.abspath(name)
    return re.sub(r"([\\{}\[\]*?])", r"\\\1", literal)


def _local_size(name: str) -> int:
    try:
        return os.path.getsize(name)
    except OSError as exc:
        raise unreadable(name, exc) from None


class SparkFiles:
    """Lists, sizes and opens the inputs of one Spark session."""

    def __init__(self, spark: SparkSession) -> None:
        self._jvm: Any = spark._jvm
        self._conf: Any = spark._jsc.hadoopConfiguration()

    def expand(self, patterns: Sequence[str]) -> tuple[str, ...]:
        """``ingest.expand_inputs``, URLs too: one object, a Hadoop glob, or a prefix
        read whole (less names starting with ``.`` or ``_``). A file whose name holds a
        ``:`` is refused: Hadoop lists it, then fails to read it (its checksum file's
        path, HADOOP-3257); a directory's name may hold one."""
        names = expand_inputs(patterns, self._expand_url)
        if colon := next((n for n in names if ":" in posixpath.basename(_path_of(n))), None):
            raise UsageError(
                f"--results: Spark (Hadoop) cannot read a file whose name holds ':' ({colon});"
                " rename it, or read it with --engine duckdb"
            )
        return names

    def _expand_url(self, pattern: str) -> list[str]:
        path = self._jvm.org.apache.hadoop.fs.Path(pattern)
        with _hadoop(pattern), _no_colon(pattern):
            fs = path.getFileSystem(self._conf)
            if _GLOB.search(pattern):
                found = fs.globStatus(path) or []
                return sorted(str(s.getPath().toString()) for s in found if s.isFile())
            if not fs.exists(path):
                return []
            if fs.getFileStatus(path).isFile():
                return [str(fs.makeQualified(path).toString())]
            base = str(fs.makeQualified(path).toString()).rstrip("/")
            names = []
            listing = fs.listFiles(path, True)
            while listing.hasNext():
                name = str(listing.next().getPath().toString())
                if not any(p.startswith((".", "_")) for p in name[len(base) :].split("/") if p):
                    names.append(name)
            return sorted(names)

    def local_sizes(self, names: Sequence[str]) -> dict[str, int]:
        """The sizes of the local ones of ``names``, a stat each. Names read through
        Hadoop (URLs, ``file://`` too) are left out: on an object store each would cost a
        request."""
        return {name: _local_size(name) for name in names if not _via_hadoop(name)}

    def size(self, name: str) -> int:
        if not _via_hadoop(name):
            return _local_size(name)
        with _hadoop(name):
            path = self._jvm.org.apache.hadoop.fs.Path(name)
            return int(path.getFileSystem(self._conf).getFileStatus(path).getLen())

    def tail(self, name: str, count: int, size: int) -> bytes:
        """The last ``count`` bytes of ``name`` of ``size`` bytes (fewer when shorter)."""
        with self.open(name) as f:
            f.seek(max(0, size - count))
            return f.read(count)

    def open(self, name: str) -> io.BufferedReader:
        if not _via_hadoop(name):
            return open_raw(name)  # the caller closes it
        with _hadoop(name):
            path = self._jvm.org.apache.hadoop.fs.Path(name)
            stream = path.getFileSystem(self._conf).open(path)
        return io.BufferedReader(_HadoopStream(name, stream), CHUNK)
