"""``selinux_settings``: osquery/tables/system/linux/selinux_settings.cpp.

Only when ``/proc/mounts`` has a ``selinuxfs`` (its first one): a row per root key
(``checkreqprot``, ``deny_unknown``, ``enforce``, ``mls``, ``policyvers``,
``reject_unknown``; scope ``""``, raw file content, no value when unreadable), then the
files under ``booleans`` (``1 1`` on, ``0 0`` off, other values skipped),
``policy_capabilities`` and ``initial_contexts`` (raw content) keyed by file name, and
every ``class/<path>/<file>`` but ``index`` as key ``<path>``, value ``<file>``.
A recorded runtime has the selinuxfs only when it is mounted under ``/sys``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._runtime import read_text, runtime_path
from trails.collector.tables.mounts import read_mounts

MAX_ROWS = 200_000
_ROOT_KEYS = ("checkreqprot", "deny_unknown", "enforce", "mls", "policyvers", "reject_unknown")
_SCOPES = ("booleans", "policy_capabilities", "initial_contexts")
_BOOLEANS = {"0 0": "off", "1 1": "on"}
_VALUE = 64 * 1024


def _files(directory: Path) -> list[str]:
    """Relative paths of the files under ``directory`` (osquery's ``**`` file glob)."""
    found: list[str] = []
    for base, dirs, files in os.walk(directory):
        # glob's ``*`` never matches a dot name
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = os.path.relpath(base, directory)
        for name in sorted(f for f in files if not f.startswith(".")):
            found.append(name if rel == "." else os.path.join(rel, name))
            if len(found) >= MAX_ROWS:
                return found
    return found


def settings(selinuxfs: Path) -> Iterator[Row]:
    for key in _ROOT_KEYS:
        row: Row = {"scope": "", "key": key}
        value = read_text(selinuxfs / key, _VALUE)
        if value is not None:
            row["value"] = value
        yield row
    for scope in _SCOPES:
        for rel in _files(selinuxfs / scope):
            # osquery reads <scope>/<file name> even for a file found deeper down
            key = os.path.basename(rel)
            raw = read_text(selinuxfs / scope / key, _VALUE)
            value = _BOOLEANS.get(raw or "") if scope == "booleans" else raw
            if value is not None:
                yield {"scope": scope, "key": key, "value": value}
    for rel in _files(selinuxfs / "class"):
        key, _, value = rel.rpartition("/")
        # a file right under class/: osquery's substr runs to the end, key = file name
        key = key or value
        if value != "index":
            yield {"scope": "class", "key": key, "value": value}


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    mounts = read_mounts(host.runtime)
    mount = next((path for _, path, kind, _ in mounts if kind == "selinuxfs"), None)
    if not mount:
        return
    selinuxfs = runtime_path(host.runtime, mount)
    if selinuxfs is None:
        for key in _ROOT_KEYS:
            yield {"scope": "", "key": key}
        return
    yield from settings(selinuxfs)


TABLE = Table("selinux_settings", generate, runtime=True)
