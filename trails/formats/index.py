"""The release index (an extension of docs/design.md §4): ``dist/index.dsse.json``, one DSSE
envelope over the SET of releases that one ``trails sign`` run signed.

Per-release signatures cannot show that a namespace's directory was deleted or that an
older, still unexpired release was put back; a signed list of every namespace with the
SHA-256 of its manifest can. The payload is canonical JSON::

    {"type": "trails.index/v1", "created": T, "expires": T,
     "releases": [{"namespace", "version", "config_version", "manifest_sha256"}, ...]}

with the releases sorted by namespace, each namespace once. ``manifest_sha256`` is the
SHA-256 of the manifest's canonical JSON, which is exactly the payload ``trails sign``
puts in that namespace's ``release.dsse.json``.

Parsing is hand-written and strict, like the manifest's; ``trails/schemas/index.schema.json``
publishes the same rules and a test keeps the two in agreement.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any, NamedTuple

from trails.formats.manifest import Manifest, ManifestError, format_time, parse_time
from trails.models.canonical import DuplicateKeyError, canonical_json, loads_unique
from trails.models.namespace import is_namespace

INDEX_TYPE = "trails.index/v1"
INDEX_PAYLOAD_TYPE = "application/vnd.trails.index+json"
MAX_INDEX_RELEASES = 1024  # ~200 bytes each: the envelope stays well under 1 MiB
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_CONFIG_VERSION = re.compile(r"[0-9]{14}-[0-9a-f]{7,40}\Z")
_DOC_KEYS = {"type", "created", "expires", "releases"}
_ENTRY_KEYS = {"namespace", "version", "config_version", "manifest_sha256"}


class IndexFormatError(ValueError):
    """The payload is not a valid ``trails.index/v1`` document."""


class IndexEntry(NamedTuple):
    namespace: str
    version: int
    config_version: str
    manifest_sha256: str

    @classmethod
    def of(cls, manifest: Manifest) -> IndexEntry:
        """The entry for a manifest as ``trails sign`` signs it (``expires`` set)."""
        digest = hashlib.sha256(manifest.to_bytes()).hexdigest()
        return cls(manifest.namespace, manifest.version, manifest.config_version, digest)


class ReleaseIndex(NamedTuple):
    created: datetime
    expires: datetime
    releases: tuple[IndexEntry, ...]  # sorted by namespace, each namespace once

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "type": INDEX_TYPE,
                "created": format_time(self.created),
                "expires": format_time(self.expires),
                "releases": [e._asdict() for e in sorted(self.releases)],
            }
        )


def _object(value: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or value.keys() != keys:
        raise IndexFormatError(
            f"index {what} must be an object with exactly {', '.join(sorted(keys))}"
        )
    return value


def _time(value: Any, what: str) -> datetime:
    try:
        return parse_time(value)
    except ManifestError as exc:
        raise IndexFormatError(f"index {what}: {exc}") from None


def _entry(raw: Any, position: int) -> IndexEntry:
    doc = _object(raw, _ENTRY_KEYS, f"releases[{position}]")
    namespace, version = doc["namespace"], doc["version"]
    config_version, digest = doc["config_version"], doc["manifest_sha256"]
    if not isinstance(namespace, str) or not is_namespace(namespace):
        raise IndexFormatError(f"index releases[{position}].namespace is not a namespace")
    if type(version) is not int or not 0 < version < 10**15:
        raise IndexFormatError(f"index releases[{position}].version must be a positive integer")
    if not isinstance(config_version, str) or not _CONFIG_VERSION.match(config_version):
        raise IndexFormatError(f"index releases[{position}].config_version is not TIMESTAMP-SHA")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise IndexFormatError(
            f"index releases[{position}].manifest_sha256 must be 64 lowercase hex digits"
        )
    return IndexEntry(namespace, version, config_version, digest)


def parse_index(data: bytes) -> ReleaseIndex:
    """Parse and check an index payload; ``IndexFormatError`` names the first problem."""
    try:
        doc = loads_unique(data.decode("utf-8"))
    except DuplicateKeyError as exc:
        raise IndexFormatError(f"index {exc}") from None
    except (UnicodeDecodeError, RecursionError, json.JSONDecodeError):
        raise IndexFormatError("index is not UTF-8 JSON") from None
    doc = _object(doc, _DOC_KEYS, "document")
    if doc["type"] != INDEX_TYPE:
        raise IndexFormatError(f"index type is {str(doc['type'])[:80]!r}, expected {INDEX_TYPE!r}")
    created, expires = _time(doc["created"], "created"), _time(doc["expires"], "expires")
    if expires <= created:
        raise IndexFormatError("index expires before it was created")
    raw = doc["releases"]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_INDEX_RELEASES:
        raise IndexFormatError(f"index releases must list 1..{MAX_INDEX_RELEASES} releases")
    entries = tuple(_entry(item, i) for i, item in enumerate(raw))
    names = [e.namespace for e in entries]
    if names != sorted(set(names)):
        raise IndexFormatError("index releases must be sorted by namespace, each one once")
    return ReleaseIndex(created, expires, entries)
