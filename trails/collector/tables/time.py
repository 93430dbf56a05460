"""``time``: osquery/tables/utility/time.cpp on Linux.

One row for the current clock, in UTC (``timezone`` UTC): ``weekday`` in English,
``timestamp`` as ``asctime`` plus `` UTC``, ``datetime`` and ``iso_8601`` as
``YYYY-MM-DDTHH:MM:SSZ``; ``local_timezone`` is the local zone's abbreviation, UTC when
it is empty or, as osquery's 5-byte buffer cannot hold it, 5 characters or longer.
Not a runtime table: every host has a clock, and it is this machine's.
"""

from __future__ import annotations

import time as clock
from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def time_row(now: int) -> Row:
    """The row for ``now`` (seconds since the epoch)."""
    utc = clock.gmtime(now)
    zone = clock.strftime("%Z", clock.localtime(now))
    iso = clock.strftime("%Y-%m-%dT%H:%M:%SZ", utc)
    return {
        "weekday": _WEEKDAYS[utc.tm_wday],
        "year": utc.tm_year,
        "month": utc.tm_mon,
        "day": utc.tm_mday,
        "hour": utc.tm_hour,
        "minutes": utc.tm_min,
        "seconds": utc.tm_sec,
        "timezone": "UTC",
        "local_timezone": zone if 0 < len(zone.encode()) < 5 else "UTC",
        "unix_time": now,
        "timestamp": clock.asctime(utc) + " UTC",
        "datetime": iso,
        "iso_8601": iso,
    }


def generate(host: Host, query: Query) -> Iterator[Row]:
    yield time_row(max(int(clock.time()), 0))


TABLE = Table("time", generate)
