"""``--inventory FILE``: the hosts that should report (CSV or JSON), untrusted input.

CSV: a header naming ``host_uuid`` and/or ``hostname``, ``namespace`` and optionally
``owner`` (no other column). JSON: a list of objects with those keys (string values).
Every entry names a host_uuid or a hostname, and a namespace; two entries naming the
same host_uuid or hostname are refused. A host that reported matches an entry by
host_uuid, else by hostname (case-insensitive); an entry no host matches is ``missing``.
A namespace no release schedules is fine (the host is missing with no control expected).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from trails.errors import UsageError
from trails.report.model import Host, bound_text

MAX_INVENTORY_BYTES = 64 * 1024 * 1024
MAX_FIELD = 1024  # characters in one value
KEYS = ("host_uuid", "hostname", "namespace", "owner")
# The key a missing host is listed under when the inventory names only its hostname.
HOSTNAME_KEY_PREFIX = "inventory-hostname:"


@dataclass(frozen=True)
class InventoryEntry:
    host_uuid: str
    hostname: str
    namespace: str
    owner: str = ""
    line: int = 0  # where the entry starts in the file (1-based), for messages

    @property
    def key(self) -> str:
        """The host_uuid a missing host is listed under."""
        return self.host_uuid or HOSTNAME_KEY_PREFIX + self.hostname


def _fail(path: Path, line: int | None, reason: str) -> UsageError:
    where = f"{path}:{line}" if line else str(path)
    return UsageError(
        f"--inventory {where}: {reason}; give a CSV (header host_uuid and/or hostname, "
        "namespace, owner) or a JSON list of such objects"
    )


def _entry(path: Path, line: int, values: dict[str, str]) -> InventoryEntry:
    for key, value in values.items():
        if len(value) > MAX_FIELD:
            raise _fail(path, line, f"{key} is longer than {MAX_FIELD} characters")
        if any(c < " " or c == "\x7f" for c in value):
            raise _fail(path, line, f"{key} holds a control character")
    uuid, hostname = values.get("host_uuid", "").strip(), values.get("hostname", "").strip()
    namespace = values.get("namespace", "").strip()
    if not uuid and not hostname:
        raise _fail(path, line, "the entry names neither a host_uuid nor a hostname")
    if not namespace:
        raise _fail(path, line, "the entry has no namespace")
    return InventoryEntry(uuid, hostname, namespace, values.get("owner", "").strip(), line)


def _from_csv(path: Path, text: str) -> list[InventoryEntry]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise _fail(path, 1, "empty file")
        names = [h.strip().lower() for h in header]
        unknown = [h for h in names if h not in KEYS]
        if unknown:
            raise _fail(path, 1, f"unknown column {bound_text(unknown[0], 64)!r} in the header")
        if len(set(names)) != len(names):
            raise _fail(path, 1, "a column is named twice in the header")
        if "namespace" not in names or not {"host_uuid", "hostname"} & set(names):
            raise _fail(path, 1, "the header must name namespace and host_uuid or hostname")
        entries = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if len(row) != len(names):
                raise _fail(path, line, f"{len(row)} fields, the header names {len(names)}")
            entries.append(_entry(path, line, dict(zip(names, row, strict=True))))
    except csv.Error as exc:
        raise _fail(path, reader.line_num, f"not CSV ({exc})") from None
    return entries


def _json_line(text: str, index: int) -> int:
    """The line where the ``index``-th object of the top-level list starts (best effort)."""
    return 0 if index < 0 else text.count("\n", 0, index) + 1


def _from_json(path: Path, text: str) -> list[InventoryEntry]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, exc.lineno, f"not JSON ({exc.msg})") from None
    except (ValueError, RecursionError):
        raise _fail(path, None, "not JSON (nested too deep)") from None
    if not isinstance(doc, list):
        raise _fail(path, None, "the JSON is not a list of objects")
    # Where each object starts, for messages: scan with the decoder over the list.
    starts = _object_starts(text, len(doc))
    entries = []
    for n, item in enumerate(doc):
        line = starts[n] if n < len(starts) else 0
        if not isinstance(item, dict):
            raise _fail(path, line, f"entry {n + 1} is not an object")
        unknown = [k for k in item if k not in KEYS]
        if unknown:
            raise _fail(path, line, f"entry {n + 1}: unknown key {bound_text(unknown[0], 64)!r}")
        if not all(isinstance(v, str) for v in item.values()):
            raise _fail(path, line, f"entry {n + 1}: every value must be a string")
        entries.append(_entry(path, line or n + 1, item))
    return entries


def _object_starts(text: str, count: int) -> list[int]:
    decoder = json.JSONDecoder()
    starts: list[int] = []
    pos = text.index("[") + 1
    for _ in range(count):
        while text[pos] in " \t\r\n,":
            pos += 1
        starts.append(_json_line(text, pos))
        _, pos = decoder.raw_decode(text, pos)
    return starts


def _refuse_duplicates(path: Path, entries: Iterable[InventoryEntry]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for e in entries:
        for key in (("host_uuid", e.host_uuid), ("hostname", e.hostname.lower())):
            if not key[1]:
                continue
            if key in seen:
                raise _fail(
                    path,
                    e.line,
                    f"duplicate {key[0]} {bound_text(key[1], 64)!r} (first on line {seen[key]})",
                )
            seen[key] = e.line


def load_inventory(path: Path) -> tuple[InventoryEntry, ...]:
    """Parse ``path`` strictly; every problem is a one-line ``UsageError`` (exit 2)."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_INVENTORY_BYTES + 1)
    except OSError as exc:
        raise _fail(path, None, exc.strerror or "cannot be read") from None
    if len(data) > MAX_INVENTORY_BYTES:
        raise _fail(path, None, f"larger than {MAX_INVENTORY_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(path, line, "not UTF-8") from None
    if "\x00" in text:
        raise _fail(path, text.count("\n", 0, text.index("\x00")) + 1, "holds a NUL byte")
    stripped = text.lstrip()
    entries = _from_json(path, text) if stripped[:1] in ("[", "{") else _from_csv(path, text)
    _refuse_duplicates(path, entries)
    return tuple(entries)


def missing_hosts(inventory: Sequence[InventoryEntry], hosts: Sequence[Host]) -> tuple[Host, ...]:
    """The inventory entries no reporting host matches (by host_uuid, else hostname)."""
    uuids = {h.host_uuid for h in hosts}
    names = {h.hostname.lower() for h in hosts if h.hostname}
    missing = []
    for e in inventory:
        if e.host_uuid and e.host_uuid in uuids:
            continue
        if e.hostname and e.hostname.lower() in names:
            continue
        missing.append(
            Host(
                host_uuid=bound_text(e.key),
                hostname=bound_text(e.hostname),
                namespace=bound_text(e.namespace),
                config_version="",
                owner=bound_text(e.owner),
            )
        )
    return tuple(missing)
