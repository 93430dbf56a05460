"""What the runtime tables share: osquery's string helpers and bounded reads of a Runtime.

``split`` and ``to_int`` mirror osquery/utils/conversions/{split.cpp,tryto.h}, whose
exact behaviour (empty pieces dropped, every piece trimmed; integers parsed from a
prefix, as ``std::stoull`` does) decides what the ported parsers keep.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from trails.collector.interface import Runtime

# osquery reads up to --read_max (50 MiB); the kernel files read here are far smaller
MAX_READ = 8 * 1024 * 1024
# boost::trim's whitespace (std::isspace in the C locale), not Python's str.strip()
WHITESPACE = " \t\n\v\f\r"
_INT_PREFIX = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
_U64 = 1 << 64
_INT_BASE0 = re.compile(r"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def read_text(path: Path | str, limit: int = MAX_READ) -> str | None:
    """The file's text (at most ``limit`` bytes; undecodable bytes replaced), or None."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit)
    except (OSError, ValueError):
        return None
    return data.decode("utf-8", errors="replace")


def split(text: str, delims: str) -> list[str]:
    """osquery's ``split(s, delims)``: cut at any of ``delims``, drop empty pieces, trim."""
    pattern = "[" + re.escape(delims) + "]"
    return [piece.strip(WHITESPACE) for piece in re.split(pattern, text) if piece]


def split_once(text: str, delim: str) -> list[str]:
    """osquery's ``split(s, delim, 1)``: the first piece, then the others joined by ``delim``."""
    pieces = split(text, delim)
    return pieces[:1] + ([delim.join(pieces[1:])] if len(pieces) > 1 else [])


def to_int(text: str, *, unsigned: bool = True) -> int | None:
    """osquery's ``tryTo<uint64_t>`` (``unsigned``) or ``tryTo<long>``: ``std::stoull``/``stol``
    parse a leading integer and ignore what follows; None where they throw."""
    match = _INT_PREFIX.match(text)
    if match is None:
        return None
    value = int(match.group(2))
    if unsigned:
        if value >= _U64:
            return None
        # stoull accepts a minus sign and wraps, as strtoull does
        return (_U64 - value) % _U64 if match.group(1) == "-" else value
    value = -value if match.group(1) == "-" else value
    return value if -(1 << 63) <= value < (1 << 63) else None


def sql_int(text: str, *, integer: bool = False) -> int | None:
    """A text value as osquery hands it to SQLite in a BIGINT column (``tryTo<long long>``
    with base 0: ``0x`` hex, ``0`` octal, a leading integer; None out of range) or, with
    ``integer``, an INTEGER column (``sqlite3_result_int`` keeps the low 32 bits)."""
    match = _INT_BASE0.match(text)
    if match is None:
        return None
    digits = match.group(2)
    base = 16 if digits[:2] in ("0x", "0X") else 8 if digits.startswith("0") else 10
    value = int(digits, base) * (-1 if match.group(1) == "-" else 1)
    if not -(1 << 63) <= value < (1 << 63):
        return None
    if integer:
        value = (value + (1 << 31)) % (1 << 32) - (1 << 31)
    return value


def is_live(runtime: Runtime) -> bool:
    """Whether ``runtime`` is the running system (its proc is the kernel's ``/proc``):
    only then may a table ask the kernel directly (statfs, realpath of a device)."""
    return os.path.realpath(runtime.proc) == "/proc"


def runtime_path(runtime: Runtime, absolute: str) -> Path | None:
    """A kernel path (``/proc/...``, ``/sys/...``) in ``runtime``; any other path only
    when the runtime is the running system (a recorded runtime holds proc and sys only)."""
    parts = [p for p in absolute.split("/") if p not in ("", ".", "..")]
    if parts and parts[0] == "proc":
        return runtime.proc.joinpath(*parts[1:])
    if parts and parts[0] == "sys":
        return runtime.sys.joinpath(*parts[1:])
    return Path(absolute) if is_live(runtime) else None
