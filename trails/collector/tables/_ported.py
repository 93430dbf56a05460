"""What several ported tables share: osquery's bounded ``readFile``, its
``listFilesInDirectory``, the ``tryTo<long>`` it parses constraint values with, and the
one way the collector asks a system tool (rpm, systemctl) where osquery links a library.

Reads are capped (osquery refuses files over ``--read_max``, 50 MiB; the collector
refuses them over ``MAX_BYTES``) and only regular files are read, so a FIFO or device
under the root never blocks a scan.
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
import stat
import subprocess

from trails.collector.interface import Host, Value

MAX_BYTES = 8 * 1024 * 1024
C_SPACE = " \t\n\v\f\r"  # C's isspace in the "C" locale (str.strip would take more)
_LONG = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+")
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def read_bytes(host: Host, path: str) -> bytes | None:
    """The content of the regular file at host ``path`` (symlinks followed), or None
    when it is missing, not a regular file, unreadable or larger than ``MAX_BYTES``."""
    try:
        # ".." as the kernel takes it (symlinks aside): Host.path drops it
        fd = os.open(host.path(path), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_BYTES:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
        return None
    except OSError:
        return None
    finally:
        os.close(fd)


def read_text(host: Host, path: str) -> str | None:
    data = read_bytes(host, path)
    return None if data is None else data.decode("utf-8", errors="replace")


def list_files(host: Host, directory: str) -> list[str]:
    """osquery's ``listFilesInDirectory``: the host paths ``glob(directory/*)`` finds
    (sorted, no dot files) that are not directories once symlinks are followed."""
    base = posixpath.normpath("/" + directory.lstrip("/")) if directory else "/"
    real = host.path(base)
    if not real.is_dir():
        return []
    prefix = base.rstrip("/") + "/"
    found = []
    for hit in sorted(glob.glob(glob.escape(str(real)) + "/*")):
        if not os.path.isdir(hit):
            found.append(prefix + os.path.basename(hit))
    return found


def to_long(value: Value) -> int | None:
    """osquery's ``tryTo<long>(expr, 10)`` of a constraint's value as SQLite prints it."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value)
        if not _LONG.fullmatch(text):
            return None
        number = int(text.lstrip(C_SPACE))
    return number if _LONG_MIN <= number <= _LONG_MAX else None


def tool_output(argv: list[str], timeout: float, locale: str = "C") -> str | None:
    """A tool's standard output (bounded time, a fixed locale, no shell), or None when it
    cannot run, times out or fails: the table is then empty, as osquery's is when its
    library call fails."""
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": locale},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", errors="replace") if done.returncode == 0 else None
