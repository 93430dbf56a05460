"""One policy file's ``exceptions:`` list, read entry by entry (docs/policies.md).

Each entry is checked on its own here: its keys, their types and values, and its
``expires`` (a date means through the end of that day UTC; or an RFC 3339 UTC time).
What needs the whole repository (unique ids, the packs' control ids, which namespaces
exist and schedule the control, the clock) is ``trails.build.exception_checks``.
Exception values are not templates: what an auditor reads is what was approved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from trails.build.policy import PolicyFile, error
from trails.errors import SourceLoc
from trails.formats.exceptions import (
    EXCEPTION_ID,
    MAX_HOSTS,
    MAX_NAME,
    MAX_TEXT,
    ControlException,
)
from trails.formats.manifest import ManifestError, parse_time
from trails.models.diagnostic import Diagnostic, did_you_mean
from trails.models.evidence import CONTROL_ID
from trails.models.namespace import namespace_error

EXCEPTIONS_KEY = "exceptions"
REQUIRED = ("id", "control", "justification", "approved_by", "expires")
OPTIONAL = ("hosts", "namespaces", "owner")
KEYS = (*REQUIRED, *OPTIONAL)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
MAX_ID = 64
MAX_CONTROL = 128


class Problem(ValueError):
    """A value that is not what its key needs: ``code`` and a message without the key."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Declared:
    """A well-formed exception and where it was declared."""

    exception: ControlException  # source is "<file>:<line>" as diagnostics show it
    namespace: str  # the declaring namespace
    namespaces: tuple[str, ...]  # the `namespaces` narrowing; () = the declaring one
    loc: SourceLoc  # the entry (its first key)
    locs: Mapping[str, SourceLoc]  # each key's line

    @property
    def scope(self) -> tuple[str, ...]:
        return self.namespaces or (self.namespace,)

    def applies_to(self, namespace: str) -> bool:
        """Declared in N: N and every namespace below it, narrowed by ``namespaces``
        (each of which covers itself and the namespaces below it)."""
        return any(namespace == s or namespace.startswith(s + "/") for s in self.scope)


def parse_expires(value: Any) -> datetime:
    """The instant an exception stops applying: a date (YAML's or text) is the next day's
    00:00:00Z; a time must be UTC (a YAML timestamp or RFC 3339 text with ``Z``)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() != timedelta(0):
            raise Problem("exception.expires", "must be UTC, like 2027-03-31T23:59:59Z (or a date)")
        if value.microsecond:
            raise Problem("exception.expires", "must be whole seconds, like 2027-03-31T23:59:59Z")
        return value.astimezone(UTC)
    if isinstance(value, str) and _DATE.match(value):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise Problem("exception.expires", f"{value!r} is not a real date") from None
    if isinstance(value, date):
        try:
            return datetime.combine(value + timedelta(days=1), time(0), UTC)
        except OverflowError:
            raise Problem("exception.expires", f"{value} is too far in the future") from None
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ManifestError:
            raise Problem(
                "exception.expires",
                f"{value[:80]!r} is neither a date like 2027-03-31 nor an RFC 3339 UTC "
                "time like 2027-03-31T23:59:59Z",
            ) from None
    raise Problem("exception.type", "must be a date like 2027-03-31")


def _text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Problem("exception.type", "must be text")
        if not value.strip():
            raise Problem("exception.empty", "must not be empty")
        if len(value) > limit:
            raise Problem("exception.limit", f"is longer than {limit} characters")
        return value

    return check


def _pattern(limit: int, pattern: re.Pattern[str], code: str, like: str) -> Callable[[Any], str]:
    text = _text(limit)

    def check(value: Any) -> str:
        found = text(value)
        if not pattern.match(found):
            raise Problem(code, f"{found[:80]!r} is not a name like {like}")
        return found

    return check


def _names(limit: int) -> Callable[[Any], tuple[str, ...]]:
    item = _text(MAX_NAME)

    def check(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise Problem("exception.type", "must be a list")
        if not value:
            raise Problem("exception.empty", "must not be empty (leave it out to mean all)")
        if len(value) > limit:
            raise Problem("exception.limit", f"has more than {limit} entries")
        try:
            return tuple(item(v) for v in value)
        except Problem as exc:
            raise Problem(exc.code, f"entries {exc}") from None

    return check


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "id": _pattern(MAX_ID, EXCEPTION_ID, "exception.id", "EXC-2026-001"),
    "control": _pattern(MAX_CONTROL, CONTROL_ID, "exception.control", "cis-ubuntu2204-5.2.4"),
    "justification": _text(MAX_TEXT),
    "approved_by": _text(MAX_NAME),
    "expires": parse_expires,
    "hosts": _names(MAX_HOSTS),
    "namespaces": _names(MAX_HOSTS),
    "owner": _text(MAX_NAME),
}


def _scope_problem(entry: str, declaring: str) -> str | None:
    """Why a ``namespaces`` entry cannot narrow an exception declared in ``declaring``."""
    if problem := namespace_error(entry):
        return problem
    if entry != declaring and not entry.startswith(declaring + "/"):
        return f"{entry} is not {declaring} or a namespace below it"
    return None


class _Entry:
    """One entry's checks; ``diags`` collects every problem, not only the first."""

    def __init__(self, policy: PolicyFile, raw: Mapping[str, Any], line: int) -> None:
        self.policy = policy
        self.raw = raw
        self.line = line
        self.lines: Mapping[str, int] = getattr(raw, "key_lines", {})
        self.diags: list[Diagnostic] = []
        ident = raw.get("id")
        self.name = f"exception {ident}" if isinstance(ident, str) and ident else "exception"

    def loc(self, key: str | None = None) -> SourceLoc:
        return SourceLoc(self.policy.display, self.lines.get(key, self.line) if key else self.line)

    def problem(self, key: str | None, code: str, message: str) -> None:
        self.diags.append(error(self.loc(key), f"{self.name}: {message}", code))

    def read(self) -> Declared | None:
        for key in self.raw:
            if key not in KEYS:
                hint = did_you_mean(str(key), KEYS)
                self.problem(key, "exception.key", f"unknown key {key!r}{hint}")
        missing = [k for k in REQUIRED if k not in self.raw]
        if missing:
            self.problem(
                None,
                "exception.missing",
                f"lacks {', '.join(missing)} (every exception needs {', '.join(REQUIRED)})",
            )
        values: dict[str, Any] = {}
        for key, check in _CHECKS.items():
            if key in self.raw:
                try:
                    values[key] = check(self.raw[key])
                except Problem as exc:
                    self.problem(key, exc.code, f"{key} {exc}")
        for entry in values.get("namespaces", ()):
            if why := _scope_problem(entry, self.policy.namespace):
                self.problem("namespaces", "exception.namespace", f"namespaces: {why}")
        if len(str(self.loc())) > MAX_NAME:
            self.problem(
                None,
                "exception.limit",
                f"its file and line are longer than the {MAX_NAME} characters a release's "
                "source field holds; declare it in a namespace with a shorter path",
            )
        if self.diags:
            return None
        return Declared(
            exception=ControlException(
                id=values["id"],
                control=values["control"],
                justification=values["justification"],
                approved_by=values["approved_by"],
                expires=values["expires"],
                hosts=values.get("hosts", ()),
                owner=values.get("owner", ""),
                source=str(self.loc()),
            ),
            namespace=self.policy.namespace,
            namespaces=values.get("namespaces", ()),
            loc=self.loc(),
            locs={key: self.loc(key) for key in self.raw},
        )


@dataclass(frozen=True)
class FileExceptions:
    declared: tuple[Declared, ...]  # the well-formed entries
    ids: tuple[tuple[str, SourceLoc], ...]  # every entry's id (for uniqueness), with its line
    diagnostics: tuple[Diagnostic, ...]


def read_exceptions(policy: PolicyFile) -> FileExceptions:
    """The entries of ``policy``'s ``exceptions:`` list, each checked on its own."""
    if EXCEPTIONS_KEY not in policy.doc:
        return FileExceptions((), (), ())
    raw = policy.doc[EXCEPTIONS_KEY]
    at = SourceLoc(policy.display, policy.doc.key_lines.get(EXCEPTIONS_KEY, 1))
    if not isinstance(raw, list):
        message = "exceptions must be a list of exceptions (- id: EXC-2026-001 ...)"
        return FileExceptions((), (), (error(at, message, "exception.type"),))
    lines = getattr(raw, "item_lines", [at.line] * len(raw))
    declared: list[Declared] = []
    ids: list[tuple[str, SourceLoc]] = []
    diags: list[Diagnostic] = []
    for item, line in zip(raw, lines, strict=True):
        if not isinstance(item, dict):
            diags.append(
                error(
                    SourceLoc(policy.display, line),
                    f"each exception must be a mapping of {', '.join(KEYS)}",
                    "exception.type",
                )
            )
            continue
        entry = _Entry(policy, item, line)
        found = entry.read()
        if isinstance(item.get("id"), str):
            ids.append((item["id"], entry.loc("id")))
        diags.extend(entry.diags)
        if found is not None:
            declared.append(found)
    return FileExceptions(tuple(declared), tuple(ids), tuple(diags))
