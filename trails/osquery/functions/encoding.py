"""Hashing and encoding (osquery/sql/sqlite_hashing.cpp, sqlite_encoding.cpp)."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import struct
from collections.abc import Callable
from typing import Any

from trails.osquery.functions.values import OsqueryFunctionError, as_text

_INT16 = (-(2**15), 2**15 - 1)


def _hasher(name: str) -> Callable[[Any], str | None]:
    def digest(value: Any) -> str | None:
        if value is None:
            return None
        return hashlib.new(name, as_text(value).encode("utf-8")).hexdigest()

    return digest


def _ip_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[int, int]:
    return (address.version, int(address))  # boost orders every v4 address before v6


def _community_id(strict: bool) -> Callable[..., str | None]:
    def community_id_v1(*args: Any) -> str | None:
        try:
            return _community_id_v1(*args)
        except OsqueryFunctionError:
            if strict:
                raise
            return None

    return community_id_v1


def _community_id_v1(*args: Any) -> str:
    saddr, daddr, sport, dport, proto = args[:5]
    seed = args[5] if len(args) > 5 else 0
    if type(seed) is not int:
        raise OsqueryFunctionError("Community ID seed must be an integer")
    if not _INT16[0] <= seed <= _INT16[1]:
        raise OsqueryFunctionError("Community ID seed must fit in 2 bytes")
    if not isinstance(saddr, str) or not isinstance(daddr, str):
        raise OsqueryFunctionError("Community ID IPs must be strings")
    try:
        src = ipaddress.ip_address(saddr)
    except ValueError:
        raise OsqueryFunctionError("Community ID saddr cannot be parsed as IP") from None
    try:
        dst = ipaddress.ip_address(daddr)
    except ValueError:
        raise OsqueryFunctionError("Community ID daddr cannot be parsed as IP") from None
    if type(sport) is not int or type(dport) is not int:
        raise OsqueryFunctionError("Community ID ports must be integers")
    if not (0 <= sport <= 0xFFFF and 0 <= dport <= 0xFFFF):
        raise OsqueryFunctionError("Community ID ports must fit in 2 bytes")
    if type(proto) is not int:
        raise OsqueryFunctionError("Community ID protocol must be an integer")
    if not 0 <= proto <= 0xFF:
        raise OsqueryFunctionError("Community ID protocol must fit in 1 byte")
    if not (_ip_key(src) < _ip_key(dst) or (src == dst and sport < dport)):
        src, dst, sport, dport = dst, src, dport, sport
    data = (
        struct.pack(">h", seed)
        + src.packed
        + dst.packed
        + bytes([proto, 0])
        + struct.pack(">HH", sport, dport)
    )
    return "1:" + base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode(
        "ascii"
    )


def _printable(text: str) -> bool:
    return all(0x1F < b < 0x7F for b in text.encode("utf-8"))


def to_base64(value: Any) -> str | None:
    if value is None:
        return None
    return base64.b64encode(as_text(value).encode("utf-8")).decode("ascii")


def conditional_to_base64(value: Any) -> str | None:
    if value is None:
        return None
    text = as_text(value)
    return text if _printable(text) else to_base64(text)


def from_base64(value: Any) -> str | bytes | None:
    if value is None:
        return None
    encoded = as_text(value).replace("\r\n", "").replace("\n", "").rstrip("=")
    try:
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:
        return ""  # osquery returns an empty string for invalid base64
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "md5": (1, _hasher("md5")),
    "sha1": (1, _hasher("sha1")),
    "sha256": (1, _hasher("sha256")),
    "community_id_v1": (-1, _community_id(strict=False)),
    "community_id_v1_strict": (-1, _community_id(strict=True)),
    "to_base64": (1, to_base64),
    "from_base64": (1, from_base64),
    "conditional_to_base64": (1, conditional_to_base64),
}
