"""``shadow``: osquery/tables/system/linux/shadow.cpp.

``getspent`` over ``/etc/shadow`` (every entry, repeats kept), or ``getspnam`` per
``username =`` (first match). ``password_status``: ``not_set`` for exactly ``!!``;
``locked`` when the field starts with ``!``, ``*`` or ``x``; ``empty`` when it is empty
(or a bare ``+``/``-`` line has none); else ``active``. ``hash_alg`` is the ``id`` of a
field starting ``$id$`` (so ``!$6$...`` has none). Empty numeric fields are -1 (glibc);
an empty or missing ``flag`` is NULL (glibc's ``~0ul`` does not fit osquery's BIGINT).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables.nss_files import Shadow, getspnam, shadow_entries

_HASH_ALG = re.compile(r"\$(\w+)\$", re.ASCII)


def _row(entry: Shadow) -> Row:
    row: Row = {
        "last_change": entry.last_change,
        "min": entry.min,
        "max": entry.max,
        "warning": entry.warning,
        "inactive": entry.inactive,
        "expire": entry.expire,
        "flag": entry.flag,
        "username": entry.name,
    }
    password = entry.password
    if password is None or password == "":
        row["password_status"] = "empty"
    elif password == "!!":
        row["password_status"] = "not_set"
    elif password[0] in "!*x":
        row["password_status"] = "locked"
    else:
        row["password_status"] = "active"
    match = _HASH_ALG.match(password or "")
    if match:
        row["hash_alg"] = match.group(1)
    return row


def generate(host: Host, query: Query) -> Iterator[Row]:
    entries = shadow_entries(host)
    names = sorted(set(query.texts("username")))
    if names:
        found = [getspnam(entries, name) for name in names]
        yield from (_row(e) for e in found if e is not None)
        return
    yield from (_row(e) for e in entries)


TABLE = Table("shadow", generate, constrained=("username",))
