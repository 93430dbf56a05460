"""Path functions (osquery/sql/sqlite_filesystem.cpp)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from trails.osquery.functions.values import WHITESPACE, OsqueryFunctionError, as_int, as_text


def _existing_program(command: str, escape: str, quoting: bool, shortest: bool) -> str:
    def is_file(path: str) -> bool:
        return os.path.exists(path) and not os.path.isdir(path)

    result, temp, quoted, escaped = "", "", False, False
    for ch in command.lstrip(WHITESPACE):
        if escaped:
            temp, escaped = temp + ch, False
            continue
        if quoting and ch == '"':
            quoted = not quoted
            continue
        if ch == escape:
            escaped = True
            continue
        if not quoted and ch in WHITESPACE and is_file(temp):
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
    quoting = len(args) > 1 and as_int(args[1]) != 0
    escape = "\\"
    if len(args) > 2:
        escape = as_text(args[2])
        if len(escape) != 1:
            return None
    return _existing_program(as_text(args[0]), escape, quoting, shortest)


def find_file_path_in_cmd(*args: Any) -> str:
    result = _program_args(args, shortest=True)
    if result is None:
        raise OsqueryFunctionError("Invalid inputs to find_binary_path_from_cmd")
    return result


def is_path_deterministic(*args: Any) -> int:
    shortest = _program_args(args, shortest=True)
    if shortest is not None:
        if not shortest or len(shortest) == len(as_text(args[0])):
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


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "is_path_deterministic": (-1, is_path_deterministic),
    "find_file_path_in_cmd": (-1, find_file_path_in_cmd),
    "parent_directory": (1, parent_directory),
}
