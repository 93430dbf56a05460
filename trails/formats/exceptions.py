"""Exceptions (waivers) as a release ships them: ``exceptions.json`` next to osquery.conf.

An exception accepts a failing control on some hosts for a while, with a written
justification and an approver (InSpec waivers, OpenSCAP tailoring). The policy
repository declares them (``exceptions:`` in a namespace's ``policy.yaml``, docs/policies.md);
``trails build`` writes the ones that apply to a namespace into that namespace's release,
so they are signed with it and the report takes them only from verified releases. The
payload is canonical JSON::

    {"type": "trails.exceptions/v1", "namespace": "linux/pci",
     "exceptions": [{"id", "control", "hosts", "owner", "justification", "approved_by",
                     "expires", "source"}, ...]}

sorted by id, each id once. ``hosts`` (host_uuid or hostname) and ``owner`` narrow the
exception within the namespace; empty means every host of it. ``expires`` is the instant
it stops applying. Parsing is strict and bounded, like the manifest's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from trails.formats.manifest import ManifestError, format_time, parse_time
from trails.models.canonical import DuplicateKeyError, canonical_json, loads_unique
from trails.models.evidence import CONTROL_ID
from trails.models.namespace import namespace_error

EXCEPTIONS_TYPE = "trails.exceptions/v1"
EXCEPTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
MAX_EXCEPTIONS = 4096
MAX_HOSTS = 1024  # per exception; more hosts than this is a namespace or an owner
MAX_TEXT = 2048  # justification
MAX_NAME = 256  # approved_by, owner, a host name, source
_KEYS = ("id", "control", "hosts", "owner", "justification", "approved_by", "expires", "source")


class ExceptionsError(ValueError):
    """The payload is not a valid ``trails.exceptions/v1`` document."""


class ControlException(NamedTuple):
    id: str
    control: str  # a control id, as results carry it
    justification: str
    approved_by: str
    expires: datetime
    hosts: tuple[str, ...] = ()  # host_uuid or hostname; () = every host in scope
    owner: str = ""  # the hosts' owner decoration; "" = any owner
    source: str = ""  # where the policy repository declares it (file:line)

    def covers(self, host_uuid: str, hostname: str, owner: str) -> bool:
        """Whether this exception names the host (not whether it is still in force)."""
        if self.owner and owner != self.owner:
            return False
        return not self.hosts or host_uuid in self.hosts or hostname in self.hosts

    def in_force(self, at: datetime) -> bool:
        return at < self.expires

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "control": self.control,
            "hosts": list(self.hosts),
            "owner": self.owner,
            "justification": self.justification,
            "approved_by": self.approved_by,
            "expires": format_time(self.expires),
            "source": self.source,
        }


def exceptions_bytes(namespace: str, exceptions: Sequence[ControlException]) -> bytes:
    return canonical_json(
        {
            "type": EXCEPTIONS_TYPE,
            "namespace": namespace,
            "exceptions": [e.to_dict() for e in sorted(exceptions, key=lambda e: e.id)],
        }
    )


def _text(entry: Mapping[str, Any], key: str, limit: int, *, required: bool = True) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        need = "a non-empty string" if required else "a string"
        raise ExceptionsError(f"exception {key} must be {need} of at most {limit} characters")
    return value


def _entry(raw: Any) -> ControlException:
    if not isinstance(raw, dict) or set(raw) != set(_KEYS):
        raise ExceptionsError(f"each exception must be an object with exactly {', '.join(_KEYS)}")
    ident = _text(raw, "id", 64)
    if not EXCEPTION_ID.match(ident):
        raise ExceptionsError(f"exception id {ident[:80]!r} is not a plain name like EXC-2026-001")
    control = _text(raw, "control", 128)
    if not CONTROL_ID.match(control):
        raise ExceptionsError(f"exception {ident}: control {control[:80]!r} is not a control id")
    hosts = raw["hosts"]
    if (
        not isinstance(hosts, list)
        or len(hosts) > MAX_HOSTS
        or not all(isinstance(h, str) and h and len(h) <= MAX_NAME for h in hosts)
    ):
        raise ExceptionsError(f"exception {ident}: hosts must be up to {MAX_HOSTS} host names")
    try:
        expires = parse_time(raw["expires"])
    except ManifestError as exc:
        raise ExceptionsError(f"exception {ident}: expires {exc}") from None
    return ControlException(
        id=ident,
        control=control,
        justification=_text(raw, "justification", MAX_TEXT),
        approved_by=_text(raw, "approved_by", MAX_NAME),
        expires=expires,
        hosts=tuple(hosts),
        owner=_text(raw, "owner", MAX_NAME, required=False),
        source=_text(raw, "source", MAX_NAME, required=False),
    )


def parse_exceptions(data: bytes, namespace: str) -> tuple[ControlException, ...]:
    """Parse ``exceptions.json`` of ``namespace``'s release; ``ExceptionsError`` names the
    first problem. The release's signature has been checked: this guards the reader
    against a signed but malformed file (a buggy or hostile build)."""
    try:
        doc = loads_unique(data.decode("utf-8"))
    except DuplicateKeyError as exc:
        raise ExceptionsError(f"exceptions {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ExceptionsError(f"exceptions are not UTF-8 JSON: {exc}") from None
    if not isinstance(doc, dict) or set(doc) != {"type", "namespace", "exceptions"}:
        raise ExceptionsError("exceptions must be an object with type, namespace and exceptions")
    if doc["type"] != EXCEPTIONS_TYPE:
        raise ExceptionsError(
            f"exceptions type is {str(doc['type'])[:80]!r}, not {EXCEPTIONS_TYPE}"
        )
    if doc["namespace"] != namespace or namespace_error(namespace):
        raise ExceptionsError(
            f"exceptions name namespace {str(doc['namespace'])[:80]!r}, not {namespace!r}"
        )
    entries = doc["exceptions"]
    if not isinstance(entries, list) or len(entries) > MAX_EXCEPTIONS:
        raise ExceptionsError(f"exceptions must be a list of at most {MAX_EXCEPTIONS}")
    parsed = tuple(_entry(raw) for raw in entries)
    ids = [e.id for e in parsed]
    if ids != sorted(set(ids)):
        raise ExceptionsError("exceptions must be sorted by id, each id once")
    return parsed
