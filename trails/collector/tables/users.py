"""``users``: osquery/tables/system/linux/users.cpp.

By default osquery reads ``/etc/passwd`` itself with ``fgetpwent_r`` and a 1024-byte
buffer (so a line of 1023 bytes or more ends the list), keeping the entries whose
name is one of the ``username =`` values, else whose uid is one of the ``uid =``
values, else all; ``include_remote`` is 0. ``include_remote = 1`` asks NSS instead
(``getpwuid_r`` per ``uid =``, else ``getpwnam_r`` per ``username =``, else
``getpwent``), which here is the same file: first match per value, ``+``/``-`` entries
not matched. ``uuid`` is never filled on Linux; ``uid_signed`` is the uid as int32.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._ported import to_long
from trails.collector.tables.nss_files import Passwd, getpwnam, getpwuid, passwd_entries

_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "=": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _row(entry: Passwd, include_remote: str) -> Row:
    row: Row = {
        "uid": entry.uid,
        "gid": entry.gid,
        "uid_signed": entry.uid - 2**32 if entry.uid >= 2**31 else entry.uid,
        "gid_signed": entry.gid - 2**32 if entry.gid >= 2**31 else entry.gid,
        "username": entry.name,
        "pid_with_namespace": "0",
        "include_remote": include_remote,
    }
    for column, value in (
        ("description", entry.gecos),
        ("directory", entry.dir),
        ("shell", entry.shell),
    ):
        if value is not None:
            row[column] = value
    return row


def _include_remote(query: Query) -> bool:
    """``constraints["include_remote"].matches<int>(1)``: every constraint on it holds
    for 1, an operator it cannot compare (LIKE, !=) ending the check as a match."""
    constraints = [c for c in query.constraints if c.column == "include_remote"]
    if not any(c.op == "=" for c in constraints):
        return False
    for c in constraints:
        value = to_long(c.value)
        if value is None or not -(2**31) <= value < 2**31:
            return False
        compare = _COMPARE.get(c.op)
        if compare is None:
            return True
        if not compare(1, value):
            return False
    return True


def _uids(query: Query) -> list[int]:
    """The ``uid =`` values as ``uid_t`` (a negative one wraps, as in C)."""
    values = (to_long(v) for v in sorted(set(query.texts("uid"))))
    return [v % 2**32 for v in values if v is not None]


def generate(host: Host, query: Query) -> Iterator[Row]:
    entries = passwd_entries(host)
    usernames = sorted(set(query.texts("username")))
    if _include_remote(query):
        if query.texts("uid"):
            found = [getpwuid(entries, uid) for uid in _uids(query)]
        elif usernames:
            found = [getpwnam(entries, name) for name in usernames]
        else:
            found = list(entries)
        yield from (_row(e, "1") for e in found if e is not None)
        return
    uids = set(_uids(query))
    for entry in entries:
        if usernames:
            if entry.name not in usernames:
                continue
        elif uids and entry.uid not in uids:
            continue
        yield _row(entry, "0")


TABLE = Table("users", generate, constrained=("uid", "username", "include_remote"))
