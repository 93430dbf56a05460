"""Read rule files from disk in bounded memory: lines are streamed and capped in length."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from trails.audit_rules.model import ParseResult
from trails.audit_rules.parser import MAX_LINE, LineError, parse_lines
from trails.errors import UsageError

_CHUNK = 1 << 16


def iter_lines(stream: BinaryIO) -> Iterator[str | LineError]:
    """Decoded lines without their newline; an over-long or non-UTF-8 line is a LineError."""
    while True:
        raw = stream.readline(MAX_LINE + 2)
        if not raw:
            return
        if not raw.endswith(b"\n") and len(raw) == MAX_LINE + 2:
            size = len(raw)
            while True:  # skip the rest of the line without keeping it
                chunk = stream.readline(_CHUNK)
                size += len(chunk)
                if not chunk or chunk.endswith(b"\n"):
                    break
            yield LineError(f"line is {size} bytes; auditctl reads at most {MAX_LINE}")
            continue
        try:
            yield raw.removesuffix(b"\n").decode("utf-8")
        except UnicodeDecodeError as exc:
            yield LineError(f"not UTF-8 text (byte {exc.start + 1} of the line)")


def read_file(path: Path | str) -> ParseResult:
    """Parse a rule file; a file that cannot be opened is a UsageError."""
    try:
        with open(path, "rb") as stream:
            return parse_lines(iter_lines(stream), str(path))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}; check the path") from None
