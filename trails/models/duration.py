"""One duration grammar for every option that takes one: ``90s``, ``90m``, ``12h``, ``30d``."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"([1-9][0-9]{0,5})([smhd])\Z")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
GRAMMAR = "a positive number and a unit, like 90s, 90m, 12h or 30d"


def parse_duration(text: str) -> timedelta | None:
    """The duration ``text`` names, or None when it is not one."""
    match = _DURATION.match(text.strip())
    if match is None:
        return None
    return timedelta(seconds=int(match.group(1)) * _SECONDS[match.group(2)])
