"""String functions (osquery/sql/sqlite_string.cpp)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from trails.osquery.functions.values import WHITESPACE, OsqueryFunctionError, as_int, as_text

REGEX_MAX_SIZE = 256  # osquery's --regex_max_size default


def _token_split(text: str, tokens: str) -> list[str]:
    # osquery::split: split on any token character, drop empty pieces, trim each piece.
    pieces = re.split("[" + re.escape(tokens) + "]", text)
    return [p.strip(WHITESPACE) for p in pieces if p]


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
        token = as_text(tokens)
        if not token:
            raise OsqueryFunctionError("Invalid input to split function")
        pieces = fn(as_text(value), token)
        i = as_int(index)
        return pieces[i] if 0 <= i < len(pieces) else None

    return split


def regex_match(value: Any, pattern: Any, index: Any) -> str | None:
    if value is None or pattern is None or index is None:
        return None
    match = _compile(as_text(pattern)).search(as_text(value))
    i = as_int(index)
    if match is None or not 0 <= i <= (match.re.groups):
        return None
    return match.group(i) or ""


def concat(*args: Any) -> str | None:
    return "".join(as_text(a) for a in args if a is not None) if args else None


def concat_ws(*args: Any) -> str | None:
    if not args:
        raise OsqueryFunctionError("Missing separator to concat_ws")
    sep = as_text(args[0]) if args[0] is not None else ""
    if len(args) == 1:
        return None
    out = []
    # As osquery does: a separator follows every non-NULL value that is not last.
    for i in range(1, len(args)):
        if args[i] is None:
            continue
        out.append(as_text(args[i]))
        if sep and i + 1 < len(args):
            out.append(sep)
    return "".join(out)


def inet_aton(value: Any) -> int | None:
    if value is None:
        return None
    address = as_text(value)
    if ":" in address:
        return None
    try:
        return int(ipaddress.IPv4Address(address))
    except ValueError:
        return None


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "split": (3, _split_with(_token_split)),
    "regex_split": (3, _split_with(_regex_split)),
    "regex_match": (3, regex_match),
    "concat": (-1, concat),
    "concat_ws": (-1, concat_ws),
    "inet_aton": (1, inet_aton),
}
