"""``user_groups``: osquery/tables/system/linux/user_groups.cpp (and user_groups.h).

For each user (``getpwent``, first user per uid; or ``getpwuid_r`` per ``uid =``, both
with the 1024-byte passwd buffer), ``getgrouplist(name, primary gid)``: a row for the
primary group from ``/etc/passwd`` (whether or not ``/etc/group`` has it), then one per
``/etc/group`` line whose member list names the user and whose gid is not the primary
one, in file order, repeats kept. glibc's initgroups parses every raw line of
``/etc/group``, so a commented-out ``#name:x:gid:user`` line still counts.
"""

from __future__ import annotations

from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._ported import to_long
from trails.collector.tables.nss_files import (
    Passwd,
    getgrouplist,
    getpwuid,
    initgroups_entries,
    passwd_entries,
)


def generate(host: Host, query: Query) -> Iterator[Row]:
    entries = passwd_entries(host)
    users: list[Passwd] = []
    if query.values("uid"):
        for text in sorted(set(query.texts("uid"))):
            uid = to_long(text)
            found = None if uid is None else getpwuid(entries, uid % 2**32)
            if found is not None:
                users.append(found)
    else:
        seen: set[int] = set()
        for entry in entries:
            if entry.uid not in seen:
                seen.add(entry.uid)
                users.append(entry)
    groups = initgroups_entries(host)
    for user in users:
        for gid in getgrouplist(groups, user.name, user.gid):
            yield {"uid": user.uid, "gid": gid}


TABLE = Table("user_groups", generate, constrained=("uid",))
