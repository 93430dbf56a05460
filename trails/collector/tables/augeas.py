"""``augeas``: osquery/tables/system/posix/augeas.cpp.

Patterns come from the constraints as osquery builds them: ``node =`` as given, ``node
LIKE`` with ``%%`` -> ``/*`` and ``%`` -> ``*``, ``path =`` as ``/files<path>`` plus
``/files<path>//*``, ``path LIKE`` likewise with the wildcards translated; no
constraint matches ``/files//*``. Only osquery's own lenses are loaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.libaugeas import Augeas, load


def _pattern(value: str, *, like: bool, path: bool, out: set[str]) -> None:
    pattern = "/files" + value if path else value
    if like:
        pattern = pattern.replace("%%", "/*").replace("%", "*")
    if path and not pattern.endswith("*"):
        out.add(pattern)
        pattern += "//*"
    out.add(pattern)


def patterns(query: Query) -> list[str]:
    found: set[str] = set(query.texts("node"))
    for value in query.texts("node", "LIKE"):
        if value:
            _pattern(value, like=True, path=False, out=found)
    for value in query.texts("path"):
        if value:
            _pattern(value, like=False, path=True, out=found)
    for value in query.texts("path", "LIKE"):
        if value:
            _pattern(value, like=True, path=True, out=found)
    return sorted(found)


def generate(host: Host, query: Query) -> Iterator[Row]:
    wanted = patterns(query)
    aug = host.cache.get("augeas")
    if not isinstance(aug, Augeas):  # loaded once per host, as osquery keeps its handle
        aug = host.cache["augeas"] = load(host.root)
    for node, value, label, path in aug.nodes("|".join(wanted) or "/files//*"):
        if path.startswith("/") and not _read_inside_root(host, path):
            continue
        yield {"node": node, "value": value, "label": label, "path": path}


def _read_inside_root(host: Host, path: str) -> bool:
    """libaugeas opens ``root + path`` and follows an absolute symlink on *this* machine;
    under a root that is not ``/`` such a file is another machine's file, so its nodes
    are dropped rather than reported as the root's (the host itself resolves it in its
    own ``/``, which the collector does through ``Host.path``)."""
    if host.root == Path("/"):
        return True
    seen = host.cache.setdefault("augeas_inside", {})
    if path not in seen:
        where = os.path.realpath(str(host.root).rstrip("/") + path)
        seen[path] = where == os.path.realpath(host.path(path))
    return bool(seen[path])


TABLE = Table("augeas", generate, constrained=("node", "path"))
