"""``apparmor_profiles``: osquery/tables/system/linux/apparmor_profiles.cpp.

One row per directory under ``/sys/kernel/security/apparmor/policy/profiles`` (and,
recursively, under each profile's ``profiles``) whose ``attach``, ``mode``, ``name``
and ``sha256`` (else ``sha1``) files can be read, all trimmed; a profile missing one is
skipped with its children. ``path`` is the parent profile's *name* (not its path),
``//``, and the profile's name; a ``profiles`` that is not a directory drops its
profile. At most ``MAX_PROFILES`` rows (runtime).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._runtime import WHITESPACE, read_text

MAX_PROFILES = 100_000
_PROFILE_FILE = 64 * 1024


def _subdirectories(path: Path) -> list[Path]:
    try:
        with os.scandir(path) as entries:
            return [Path(e.path) for e in entries if not e.name.startswith(".") and e.is_dir()]
    except OSError:
        return []


def _read(path: Path) -> str | None:
    text = read_text(path, _PROFILE_FILE)
    return None if text is None else text.strip(WHITESPACE)


def _profile(path: Path, parent: str) -> Row | None:
    attach, mode, name = _read(path / "attach"), _read(path / "mode"), _read(path / "name")
    if attach is None or mode is None or name is None:
        return None
    row: Row = {"name": name, "attach": attach, "mode": mode, "sha1": "", "sha256": ""}
    # AppArmor hashes with sha256 since Linux 6.8; osquery falls back to sha1
    sha256 = _read(path / "sha256")
    if sha256 is not None:
        row["sha256"] = sha256
    else:
        sha1 = _read(path / "sha1")
        if sha1 is None:
            return None
        row["sha1"] = sha1
    row["path"] = f"{parent}//{name}" if parent else name
    return row


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    root = host.runtime.sys / "kernel" / "security" / "apparmor" / "policy" / "profiles"
    # osquery's queue: (parent name, profile directory), taken from the back
    queue = [("", p) for p in sorted(_subdirectories(root))]
    emitted = 0
    while queue and emitted < MAX_PROFILES:
        parent, path = queue.pop()
        row = _profile(path, parent)
        if row is None:
            continue
        children = path / "profiles"
        if children.exists():
            if not children.is_dir():
                # osquery cannot list it and drops the profile
                continue
            queue.extend((str(row["name"]), p) for p in sorted(_subdirectories(children)))
        emitted += 1
        yield row


TABLE = Table("apparmor_profiles", generate, runtime=True)
