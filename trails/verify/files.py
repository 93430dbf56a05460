"""Crash-safe file writes: temp file in the target's directory, fsync, ``os.replace``.

A reader (osquery, auditd, the next agent run) sees either the whole old file or the
whole new one, never a mix, even across a power cut: the data is fsynced before the
rename and the directory is fsynced after it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trails.errors import TransportError

TEMP_PREFIX = ".trails-tmp-"


class InstallIOError(TransportError):
    """Writing a file failed (disk full, read-only file system, permissions)."""


class Busy(TransportError):
    """Another agent run holds the lock."""


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an flock on ``path`` for the block; refuse at once if another process has it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _io_error("open the lock file", path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"another trails fetch holds {path}; let it finish") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_temp(target: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write ``data`` to a fsynced temp file next to ``target`` and return its path."""
    # O_EXCL with a random name is what tempfile.mkstemp does, without its imports.
    name = target.parent / f"{TEMP_PREFIX}{target.name}.{os.urandom(6).hex()}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _io_error("create a temp file for", target, exc) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
    except OSError as exc:
        name.unlink(missing_ok=True)
        raise _io_error("write", target, exc) from None
    return name


def replace(temp: Path, target: Path) -> None:
    try:
        os.replace(temp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)  # gone already if only the directory fsync failed
        raise _io_error("install", target, exc) from None


def atomic_write(target: Path, data: bytes, mode: int = 0o644) -> None:
    replace(write_temp(target, data, mode), target)


def read_optional(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None when it does not exist; refuse files over ``limit``."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _io_error("read", path, exc) from None
    if len(data) > limit:
        raise InstallIOError(f"{path} is larger than {limit} bytes; remove or fix it")
    return data


def _io_error(verb: str, path: Path, exc: OSError) -> InstallIOError:
    reason = exc.strerror or type(exc).__name__
    return InstallIOError(f"could not {verb} {path}: {reason}; the previous files are kept")
