"""The one crash-safe file write of trails: temp file in the target's directory, write,
fsync the file, ``os.replace``, fsync the directory.

A reader (osquery, auditd, the next agent run, a web server publishing dist/) sees
either the whole old file or the whole new one, never a mix, even across a power cut:
the data is on disk before the rename, and the rename is on disk after it.

``atomic_write`` is used by every writer: the agent's installs and state files, ``trails
sign``'s envelopes and index, the dev PKI's files. ``trails build``, which moves a whole
dist/ tree into place only when every file is written, uses its two halves: ``write_temp``
for each file, then ``replace`` for each. ``trails report``, whose files are one set (the
signed envelope and report.json name the others' digests), writes them in a ``Staging``
directory and moves them together.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import time
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from trails.errors import TransportError

if TYPE_CHECKING:  # annotations only: the agent's 304 path imports this module
    from collections.abc import Callable

    Writer = Callable[[BinaryIO], None]

TEMP_PREFIX = ".trails-tmp-"
ABANDONED_AFTER = 24 * 3600  # seconds: a staging directory this old belongs to no run


class FileWriteError(TransportError):
    """Writing a file failed (disk full, read-only file system, permissions)."""


def io_error(verb: str, path: Path, exc: OSError, hint: str = "") -> FileWriteError:
    reason = exc.strerror or type(exc).__name__
    return FileWriteError(f"could not {verb} {path}: {reason}{hint}")


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_temp(target: Path, data: bytes | Writer, mode: int = 0o644, *, hint: str = "") -> Path:
    """Write ``data`` to a fsynced temp file next to ``target`` (``mode``) and return it.

    ``data`` may be a function that writes to the open file (a report streamed from the
    engine, too large to hold); whatever it raises, the temp file is removed."""
    # O_EXCL with a random name is what tempfile.mkstemp does, without its imports.
    name = target.parent / f"{TEMP_PREFIX}{target.name}.{os.urandom(6).hex()}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise io_error("create a temp file for", target, exc, hint) from None
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                data(f)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
    except OSError as exc:
        name.unlink(missing_ok=True)
        raise io_error("write", target, exc, hint) from None
    except BaseException:
        name.unlink(missing_ok=True)
        raise
    return name


def replace(temp: Path, target: Path, *, hint: str = "") -> None:
    """Move a ``write_temp`` file over ``target`` and make the rename durable."""
    try:
        os.replace(temp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)  # gone already if only the directory fsync failed
        raise io_error("install", target, exc, hint) from None


def atomic_write(target: Path, data: bytes | Writer, mode: int = 0o644, *, hint: str = "") -> None:
    """Replace ``target`` with ``data`` (file ``mode``), all or nothing, durably.

    ``hint`` ends the message of the ``FileWriteError`` raised on failure."""
    replace(write_temp(target, data, mode, hint=hint), target, hint=hint)


def shared_mode() -> int:
    """The mode a plain new file gets under the umask: reports are for sharing
    (``write_temp`` creates 0600 temp files)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class Staging:
    """Files that form one set in ``target``, such as a report's outputs.

    Each is written under a hidden staging directory inside ``target`` (``path(name)`` is
    where, with its final name, so a signature over the staged files names them right);
    ``commit`` moves them all into place with ``manifest``, a file naming them, then
    removes the files the earlier set's manifest named that this set does not hold. A run
    that fails or is stopped before ``commit`` leaves the earlier set as it was; leaving
    the ``with`` block removes the staging directory and what is left in it. Files the
    manifest does not name (a user's own ``report.pdf``) are never removed."""

    def __init__(self, target: Path, *, manifest: str, hint: str = "") -> None:
        self.target, self.manifest, self.hint = target, manifest, hint
        try:
            target.mkdir(parents=True, exist_ok=True)
            self.directory = target / f"{TEMP_PREFIX}{os.urandom(6).hex()}"
            self.directory.mkdir(mode=0o700)
        except OSError as exc:
            raise io_error("create", target, exc, hint) from None
        self._remove_abandoned()
        self.names: list[str] = []
        # after ``commit``: files of ``removable`` in ``target`` that no manifest named
        # (written before manifests, or by hand), left as they were
        self.unlisted: list[str] = []

    def path(self, name: str) -> Path:
        """Where to write the set's file ``name``; ``commit`` moves them in this order."""
        self.names.append(name)
        return self.directory / name

    def commit(self, removable: frozenset[str]) -> list[Path]:
        """Move the written files into ``target``, in the order ``path`` named them, then
        the manifest; remove the earlier set's files (of ``removable`` only) this one does
        not hold; make it durable (one fsync of ``target``). Return the files' paths."""
        earlier = self._earlier()
        for name in [*self.names, self.manifest]:  # would stop the renames half done
            if _directory(self.target / name):
                in_the_way = IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
                raise io_error("install", self.target / name, in_the_way, self.hint)
        self.unlisted = sorted(
            name
            for name in removable - set(self.names) - earlier
            if (self.target / name).exists() or (self.target / name).is_symlink()
        )
        listing = "".join(f"{name}\n" for name in self.names).encode()
        atomic_write(self.directory / self.manifest, listing, shared_mode(), hint=self.hint)
        moved = []
        for name in [*self.names, self.manifest]:
            final = self.target / name
            try:
                os.replace(self.directory / name, final)
            except OSError as exc:
                raise io_error("install", final, exc, self.hint) from None
            moved.append(final)
        for name in sorted((earlier & removable) - set(self.names)):
            if _directory(self.target / name):  # not a file a report wrote
                continue
            try:
                (self.target / name).unlink(missing_ok=True)
            except OSError as exc:
                raise io_error("remove the earlier", self.target / name, exc, self.hint) from None
        try:
            fsync_dir(self.target)
        except OSError as exc:
            raise io_error("sync", self.target, exc, self.hint) from None
        return moved[:-1]

    def _remove_abandoned(self) -> None:
        """Staging directories a run killed outright (SIGKILL, a power cut) left behind:
        those untouched for ``ABANDONED_AFTER`` seconds (no run takes that long)."""
        for old in self.target.glob(f"{TEMP_PREFIX}*"):
            with suppress(OSError):
                st = old.lstat()
                if stat.S_ISDIR(st.st_mode) and time.time() - st.st_mtime > ABANDONED_AFTER:
                    shutil.rmtree(old)

    def _earlier(self) -> set[str]:
        """The names the earlier set's manifest lists (none if it has none)."""
        try:
            with (self.target / self.manifest).open("rb") as f:
                return set(f.read(64 * 1024).decode("utf-8", "replace").splitlines())
        except OSError:
            return set()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _directory(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()
