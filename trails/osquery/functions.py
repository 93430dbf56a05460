"""osquery's extra SQL functions and collations, registered into a ``sqlite3`` connection.

Ports of ``osquery/sql/sqlite_{string,hashing,encoding,network,math,filesystem,
operations,collation}.cpp`` so that (1) SQL validation does not report them as unknown
and (2) control queries can be run on fixtures with osquery's results. Where osquery
calls ``sqlite3_result_error`` these raise, which fails the query as osquery would.
``ssdeep_compare`` needs libfuzzy and is registered so that validation accepts it, but
calling it raises.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
import os
import re
import sqlite3
import struct
import time
from collections.abc import Callable
from typing import Any

from trails.osquery import versions

REGEX_MAX_SIZE = 256  # osquery's --regex_max_size default
_INT16 = (-(2**15), 2**15 - 1)
_WHITESPACE = " \t\n\v\f\r"


class OsqueryFunctionError(Exception):
    """The SQL function failed the way osquery's ``sqlite3_result_error`` would."""


def _text(value: Any) -> str:
    """``sqlite3_value_text`` as a C string: numbers as SQLite prints them, cut at NUL."""
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, float):
        text = repr(value) if math.isfinite(value) else ("Inf" if value > 0 else "-Inf")
    else:
        text = str(value)
    return text.split("\x00", 1)[0]


def _int(value: Any) -> int:
    """``sqlite3_value_int``: leading integer of text, truncated float, else 0."""
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    match = re.match(r"\s*([+-]?\d+)", _text(value))
    return int(match.group(1)) if match else 0


def _double(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    match = re.match(r"\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)", _text(value))
    return float(match.group(1)) if match else 0.0


# -- strings (sqlite_string.cpp) ---------------------------------------------------------


def _token_split(text: str, tokens: str) -> list[str]:
    # osquery::split: split on any token character, drop empty pieces, trim each piece.
    pieces = re.split("[" + re.escape(tokens) + "]", text)
    return [p.strip(_WHITESPACE) for p in pieces if p]


def _compile(pattern: str) -> re.Pattern[str]:
    if len(pattern.encode("utf-8")) > REGEX_MAX_SIZE:
        raise OsqueryFunctionError(f"Invalid regex: too big, max size is {REGEX_MAX_SIZE} bytes")
    try:
        return re.compile(pattern)
    except re.error:
        raise OsqueryFunctionError("Invalid regex") from None


def _regex_split(text: str, pattern: str) -> list[str]:
    # std::sregex_token_iterator(..., -1): the pieces between matches, no empty suffix.
    pieces, pos = [], 0
    for match in _compile(pattern).finditer(text):
        pieces.append(text[pos : match.start()])
        pos = match.end()
    if pos < len(text):
        pieces.append(text[pos:])
    return pieces


def _split_with(fn: Callable[[str, str], list[str]]) -> Callable[[Any, Any, Any], str | None]:
    def split(value: Any, tokens: Any, index: Any) -> str | None:
        if value is None or tokens is None or index is None:
            return None
        token = _text(tokens)
        if not token:
            raise OsqueryFunctionError("Invalid input to split function")
        pieces = fn(_text(value), token)
        i = _int(index)
        return pieces[i] if 0 <= i < len(pieces) else None

    return split


def regex_match(value: Any, pattern: Any, index: Any) -> str | None:
    if value is None or pattern is None or index is None:
        return None
    match = _compile(_text(pattern)).search(_text(value))
    i = _int(index)
    if match is None or not 0 <= i <= (match.re.groups):
        return None
    return match.group(i) or ""


def concat(*args: Any) -> str | None:
    return "".join(_text(a) for a in args if a is not None) if args else None


def concat_ws(*args: Any) -> str | None:
    if not args:
        raise OsqueryFunctionError("Missing separator to concat_ws")
    sep = _text(args[0]) if args[0] is not None else ""
    if len(args) == 1:
        return None
    out = []
    # As osquery does: a separator follows every non-NULL value that is not last.
    for i in range(1, len(args)):
        if args[i] is None:
            continue
        out.append(_text(args[i]))
        if sep and i + 1 < len(args):
            out.append(sep)
    return "".join(out)


def inet_aton(value: Any) -> int | None:
    if value is None:
        return None
    address = _text(value)
    if ":" in address:
        return None
    try:
        return int(ipaddress.IPv4Address(address))
    except ValueError:
        return None


# -- hashing and encoding (sqlite_hashing.cpp, sqlite_encoding.cpp) ----------------------


def _hasher(name: str) -> Callable[[Any], str | None]:
    def digest(value: Any) -> str | None:
        if value is None:
            return None
        return hashlib.new(name, _text(value).encode("utf-8")).hexdigest()

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
    return base64.b64encode(_text(value).encode("utf-8")).decode("ascii")


def conditional_to_base64(value: Any) -> str | None:
    if value is None:
        return None
    text = _text(value)
    return text if _printable(text) else to_base64(text)


def from_base64(value: Any) -> str | bytes | None:
    if value is None:
        return None
    encoded = _text(value).replace("\r\n", "").replace("\n", "").rstrip("=")
    try:
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:
        return ""  # osquery returns an empty string for invalid base64
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


# -- network (sqlite_network.cpp) --------------------------------------------------------


def in_cidr_range(cidr: Any, address: Any) -> int:
    if not isinstance(cidr, str):
        raise OsqueryFunctionError("CIDR must be a string")
    if not isinstance(address, str):
        raise OsqueryFunctionError("IP addresss must be a string")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise OsqueryFunctionError("IP address cannot be parsed") from None
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        net = None
    if net is None or net.version != ip.version:
        raise OsqueryFunctionError(f"CIDR for IP address v{ip.version} cannot be parsed")
    if ip not in net:
        return 0
    # boost's network hosts() leaves out the network and broadcast addresses.
    if net.num_addresses <= 2:
        return 1
    excluded = (
        {net.network_address, net.broadcast_address} if ip.version == 4 else {net.network_address}
    )
    return int(ip not in excluded)


# -- math (sqlite_math.cpp): osquery's log() is natural, ceil/floor return integers -------


def _double_fn(fn: Callable[[float], float]) -> Callable[[Any], float | None]:
    def call(value: Any) -> float | None:
        if value is None:
            return None
        try:
            result = fn(_double(value))
        except (ValueError, OverflowError, ZeroDivisionError) as exc:
            raise OsqueryFunctionError(str(exc)) from None
        if math.isnan(result):
            raise OsqueryFunctionError("Numerical argument out of domain")
        return result

    return call


def _rounding(fn: Callable[[float], int]) -> Callable[[Any], int | None]:
    def call(value: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        number = _double(value)
        return fn(number) if math.isfinite(number) else 0

    return call


def power(base: Any, exponent: Any) -> float | None:
    if base is None or exponent is None:
        return None
    try:
        return math.pow(_double(base), _double(exponent))
    except (ValueError, OverflowError) as exc:
        raise OsqueryFunctionError(str(exc)) from None


_MATH: dict[str, Callable[[float], float]] = {
    "sqrt": math.sqrt,
    "acos": math.acos,
    "asin": math.asin,
    "atan": math.atan,
    "cos": math.cos,
    "sin": math.sin,
    "tan": math.tan,
    "cot": lambda x: 1.0 / math.tan(x),
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "degrees": math.degrees,
    "radians": math.radians,
}


# -- filesystem (sqlite_filesystem.cpp) -------------------------------------------------


def _existing_program(command: str, escape: str, quoting: bool, shortest: bool) -> str:
    def is_file(path: str) -> bool:
        return os.path.exists(path) and not os.path.isdir(path)

    result, temp, quoted, escaped = "", "", False, False
    for ch in command.lstrip(_WHITESPACE):
        if escaped:
            temp, escaped = temp + ch, False
            continue
        if quoting and ch == '"':
            quoted = not quoted
            continue
        if ch == escape:
            escaped = True
            continue
        if not quoted and ch in _WHITESPACE and is_file(temp):
            result = temp
            if shortest:
                break
        temp += ch
    if (not result or not shortest) and is_file(temp):
        result = temp
    return result


def _program_args(args: tuple[Any, ...], shortest: bool) -> str | None:
    if not args or any(a is None for a in args):
        return None
    quoting = len(args) > 1 and _int(args[1]) != 0
    escape = "\\"
    if len(args) > 2:
        escape = _text(args[2])
        if len(escape) != 1:
            return None
    return _existing_program(_text(args[0]), escape, quoting, shortest)


def find_file_path_in_cmd(*args: Any) -> str:
    result = _program_args(args, shortest=True)
    if result is None:
        raise OsqueryFunctionError("Invalid inputs to find_binary_path_from_cmd")
    return result


def is_path_deterministic(*args: Any) -> int:
    shortest = _program_args(args, shortest=True)
    if shortest is not None:
        if not shortest or len(shortest) == len(_text(args[0])):
            return 1
        longest = _program_args(args, shortest=False)
        if longest is not None:
            return int(len(shortest) == len(longest))
    raise OsqueryFunctionError("Invalid inputs to is_path_deterministic")


def parent_directory(path: Any) -> str | None:
    if not isinstance(path, str):
        raise OsqueryFunctionError("Invalid inputs to parent_directory, TEXT was expected")
    # osquery (5.x) splits on a backslash on POSIX and a slash on Windows; kept as is.
    cut = path.split("\x00", 1)[0].rfind("\\")
    return path[:cut] if cut >= 0 else None


# -- operations (sqlite_operations.cpp) ---------------------------------------------------


class _Carve:
    """The ``carve`` aggregate; osquery's function-based carver is disabled by default."""

    def step(self, *values: Any) -> None:
        """Paths are collected by osquery; with the carver disabled nothing happens."""

    def finalize(self) -> str:
        return "Carve Failed: function disabled"[:13]  # osquery returns the first 13 bytes


def sleep(seconds: Any) -> int:
    count = _int(seconds)
    if count < 0:
        return 0
    time.sleep(count)
    return count


def ssdeep_compare(left: Any, right: Any) -> int:
    raise OsqueryFunctionError("ssdeep_compare needs libfuzzy, which trails does not bundle")


def version_compare(left: Any, right: Any, flavour: Any = None) -> int | None:
    if left is None or right is None:
        return None
    compare: Callable[[str, str], int] = versions.compare_generic
    if flavour is not None:
        compare = versions.FLAVOURS.get(_text(flavour).upper(), versions.compare_generic)
    diff = compare(_text(left), _text(right))
    return (diff > 0) - (diff < 0)


# name -> (number of arguments, -1 for any, implementation)
FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "split": (3, _split_with(_token_split)),
    "regex_split": (3, _split_with(_regex_split)),
    "regex_match": (3, regex_match),
    "concat": (-1, concat),
    "concat_ws": (-1, concat_ws),
    "inet_aton": (1, inet_aton),
    "md5": (1, _hasher("md5")),
    "sha1": (1, _hasher("sha1")),
    "sha256": (1, _hasher("sha256")),
    "community_id_v1": (-1, _community_id(strict=False)),
    "community_id_v1_strict": (-1, _community_id(strict=True)),
    "to_base64": (1, to_base64),
    "from_base64": (1, from_base64),
    "conditional_to_base64": (1, conditional_to_base64),
    "in_cidr_range": (2, in_cidr_range),
    "in_cidr_block": (2, in_cidr_range),  # the name osquery's documentation uses
    "power": (2, power),
    "ceil": (1, _rounding(math.ceil)),
    "floor": (1, _rounding(math.floor)),
    "pi": (0, lambda: math.pi),
    "is_path_deterministic": (-1, is_path_deterministic),
    "find_file_path_in_cmd": (-1, find_file_path_in_cmd),
    "parent_directory": (1, parent_directory),
    "sleep": (1, sleep),
    "ssdeep_compare": (2, ssdeep_compare),
    "version_compare": (-1, version_compare),
    **{name: (1, _double_fn(fn)) for name, fn in _MATH.items()},
}


def register(conn: sqlite3.Connection) -> None:
    """Add osquery's SQL functions, the ``carve`` aggregate and the version collations."""
    for name, (nargs, fn) in FUNCTIONS.items():
        conn.create_function(name, nargs, fn, deterministic=name not in {"sleep"})
    conn.create_aggregate("carve", 1, _Carve)  # type: ignore[arg-type]
    for name, collate in versions.COLLATIONS.items():
        conn.create_collation(name, collate)
