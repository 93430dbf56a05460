"""The agent's files: trusted reads, the run lock, and the journal's rename rule. Writes
go through the one atomic write of trails (``trails.fileio``: temp file in the target's
directory, fsync, ``os.replace``, fsync of the directory).

The agent runs as root and acts on what it reads from its config and state (which
programs to run, which files to replace, which kernel rules to delete), so those are
read only through ``read_trusted``: a regular file (never through a symlink) owned by
root or the user running trails, that neither group nor others can write, in a
directory that ``check_trusted_dir`` accepts on the same terms.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from trails.errors import TransportError, UntrustedFileError
from trails.fileio import TEMP_PREFIX, FileWriteError, io_error

# Writing or reading a file failed (disk full, read-only file system, permissions).
InstallIOError = FileWriteError
KEPT = "; the previous files are kept"  # the hint of every agent I/O error


class Busy(TransportError):
    """Another agent run holds the lock."""


def _untrusted(path: Path, why: str) -> UntrustedFileError:
    return UntrustedFileError(
        f"{path} is {why}; trails runs as root and acts on it: make it root's and writable "
        f"only by root (chown root: {path}; chmod go-w {path})"
    )


def _why_untrusted(st: os.stat_result, *, sticky_ok: bool = False) -> str | None:
    if st.st_uid not in (0, os.geteuid()):
        return f"owned by uid {st.st_uid}, not root"
    writable = st.st_mode & 0o022
    if writable and not (sticky_ok and st.st_mode & stat.S_ISVTX):
        return f"writable by group or others (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def check_trusted_dir(directory: Path, *, sticky_ok: bool = False) -> None:
    """Refuse a directory someone other than root (or this user) could write into.

    ``sticky_ok``: a sticky directory (``/tmp``) is fine, others cannot replace our files.
    """
    try:
        st = os.stat(directory)
    except OSError as exc:
        raise _io_error("inspect", directory, exc) from None
    if not stat.S_ISDIR(st.st_mode):
        raise _untrusted(directory, "not a directory")
    why = _why_untrusted(st, sticky_ok=sticky_ok)
    if why is not None:
        raise _untrusted(directory, why)


def open_trusted(path: Path, flags: int = os.O_RDONLY, mode: int = 0o600) -> int:
    """Open ``path`` (a regular file, never through a symlink) only if it is trusted."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UntrustedFileError(
                f"{path} is a symlink; trails reads it only as a regular file: replace the "
                "link with the file itself"
            ) from None
        raise
    try:
        st = os.fstat(fd)
        why = "not a regular file" if not stat.S_ISREG(st.st_mode) else _why_untrusted(st)
        if why is not None:
            raise _untrusted(path, why)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_trusted(path: Path, limit: int) -> bytes | None:
    """Like ``read_optional``, for a file the agent acts on: see ``open_trusted``."""
    try:
        fd = open_trusted(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _io_error("read", path, exc) from None
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise _io_error("read", path, exc) from None
    if len(data) > limit:
        raise InstallIOError(f"{path} is larger than {limit} bytes; remove or fix it")
    return data


def check_renames(renames: Sequence[tuple[Path, Path]], targets: Sequence[Path]) -> None:
    """A journal may only rename a trails temp file over a configured target, in that
    target's own directory (``write_temp`` names): refuse anything else, untouched."""
    for temp, target in renames:
        ok = (
            target in targets
            and temp.parent == target.parent
            and temp.name.startswith(f"{TEMP_PREFIX}{target.name}.")
            and (not os.path.lexists(temp) or stat.S_ISREG(os.lstat(temp).st_mode))
        )
        if not ok:
            raise UntrustedFileError(
                f"the install journal renames {temp} over {target}, which is not a trails "
                "temp file of a configured target; inspect pending.json and remove it"
            )


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an flock on ``path`` for the block; refuse at once if another process has it.

    The lock's directory (the agent's state directory) and the lock itself must be
    trusted (``check_trusted_dir``, ``open_trusted``).
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _io_error("open the lock file", path, exc) from None
    check_trusted_dir(path.parent)
    try:
        fd = open_trusted(path, os.O_RDWR | os.O_CREAT, 0o600)
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
    return io_error(verb, path, exc, KEPT)
