"""``system_controls``: osquery/tables/system/{posix/system_controls,linux/sysctl_utils}.cpp.

``config_value`` comes from ``/etc/sysctl.conf`` then every ``*.conf`` of
``/run/sysctl.d``, ``/etc/sysctl.d``, ``/usr/local/lib/sysctl.d``, ``/usr/lib/sysctl.d``,
``/lib/sysctl.d`` in that order, the last file read winning (osquery's order, which is
not systemd-sysctl's precedence); a line counts only as ``key = value`` with exactly one
``=``. Rows are the controls of ``/proc/sys`` (runtime: none when the root is not the
running system); ``name =`` asks for one control, and osquery emits its row even when
``/proc/sys`` lacks it.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table

_FILES = ("/etc/sysctl.conf",)
_DIRS = (
    "/run/sysctl.d",
    "/etc/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)


def config_values(host: Host) -> dict[str, str]:
    paths = [host.path(p) for p in _FILES]
    for directory in _DIRS:
        paths.extend(sorted(host.path(directory).glob("*.conf")))
    config: dict[str, str] = {}
    for path in paths:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for raw in text.split("\n"):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            parts = [p for p in line.split("=") if p]
            if len(parts) == 2:
                config[parts[0].strip()] = parts[1].strip()
    return config


def _row(name: str, proc_sys: str, config: dict[str, str]) -> Row:
    row: Row = {"name": name, "subsystem": name.split(".", maxsplit=1)[0], "type": "string"}
    try:
        with open(proc_sys, errors="replace") as handle:
            row["current_value"] = handle.read().strip()
    except OSError:
        pass
    if name in config:
        row["config_value"] = config[name]
    return row


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    config = config_values(host)
    base = str(host.runtime.proc / "sys")
    names = query.texts("name")
    if names:
        for name in names:
            yield _row(name, os.path.join(base, *name.split(".")), config)
        return
    for path in sorted(glob.glob(base + "/**", recursive=True)):
        if os.path.isfile(path):
            name = path[len(base) + 1 :].replace("/", ".")
            yield _row(name, path, config)


TABLE = Table("system_controls", generate, runtime=True, constrained=("name",))
