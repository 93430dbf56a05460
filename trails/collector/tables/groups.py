"""``groups``: osquery/tables/system/linux/groups.cpp.

``getgrent`` over ``/etc/group``, one row per gid (the first group listing a gid
wins, later ones with the same gid are dropped). With a ``gid =`` constraint, every
``gid`` constraint value is looked up with ``getgrgid_r`` (first match, ``+``/``-``
entries skipped). ``gid_signed`` is the gid as int32.
"""

from __future__ import annotations

from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._ported import to_long
from trails.collector.tables.nss_files import Group, getgrgid, group_entries


def _row(group: Group) -> Row:
    return {
        "groupname": group.name,
        "gid": group.gid,
        "gid_signed": group.gid - 2**32 if group.gid >= 2**31 else group.gid,
        "pid_with_namespace": "0",
    }


def generate(host: Host, query: Query) -> Iterator[Row]:
    entries = group_entries(host)
    if query.values("gid"):
        # getAll<long long> reads the values of every operator once one is "="
        gids = {to_long(c.value) for c in query.constraints if c.column == "gid"}
        for gid in sorted(g for g in gids if g is not None):
            found = getgrgid(entries, gid % 2**32)
            if found is not None:
                yield _row(found)
        return
    seen: set[int] = set()
    for entry in entries:
        if entry.gid not in seen:
            seen.add(entry.gid)
            yield _row(entry)


TABLE = Table("groups", generate, constrained=("gid",))
