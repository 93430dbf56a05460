"""The release manifest (docs/design.md §4): the payload that ``trails sign`` signs.

Parsing is hand-written and strict so that the agent's fetch path needs no jsonschema;
``trails/schemas/manifest.schema.json`` publishes the same rules for other tools, and a
test keeps the two in agreement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from trails.errors import TrailsError
from trails.models.canonical import DuplicateKeyError, canonical_json, loads_unique
from trails.models.namespace import namespace_error

SCHEMA = "trails.manifest/v1"
PAYLOAD_TYPE = "application/vnd.trails.manifest+json"
TAG_KEYS = ("org", "owner", "owner_group", "project")
# A file name in a release: one plain path segment, so a manifest can never name
# "../../etc/shadow" or an absolute path.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_CONFIG_VERSION = re.compile(r"[0-9]{14}-[0-9a-f]{7,40}\Z")
_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
MAX_FILES = 64
MAX_EPOCH = 1_000_000  # also the range of the signer certificate's epoch extension
MAX_FILE_SIZE = 64 * 1024 * 1024


class ManifestError(TrailsError):
    """The manifest is not a valid ``trails.manifest/v1`` document."""


def format_time(t: datetime) -> str:
    """RFC 3339 UTC with second precision and a ``Z``: the only form manifests use."""
    return t.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# ``version`` is the commit time as YYYYMMDDHHMMSS and ``created`` that same commit time:
# a version later than created (plus this skew) claims a future no build produces.
VERSION_SKEW = timedelta(minutes=5)


def latest_version(created: datetime) -> int:
    """The highest ``version`` a manifest created at ``created`` may carry."""
    return int((created.astimezone(UTC) + VERSION_SKEW).strftime("%Y%m%d%H%M%S"))


def parse_time(text: str) -> datetime:
    if not isinstance(text, str) or not _RFC3339_UTC.match(text):
        raise ManifestError(f"time {text!r} is not RFC 3339 UTC like 2026-01-31T12:00:00Z")
    try:  # fromisoformat: no _strptime import (~10 ms on the fetch path)
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:  # e.g. month 13: a ManifestError, never an internal error
        raise ManifestError(f"time {text!r} is not a real date and time") from None


# NamedTuples, not dataclasses: the agent's 304 path imports this module (for the time
# format) and must not pay for importing ``dataclasses`` (issue 4).
class FileEntry(NamedTuple):
    sha256: str
    size: int


class Manifest(NamedTuple):
    namespace: str
    version: int
    config_version: str
    created: datetime
    source_repo: str
    source_commit: str
    tags: Mapping[str, str]
    files: Mapping[str, FileEntry]
    expires: datetime | None = None  # set by ``trails sign``; required once signed
    # Raised only with a signer certificate that grants it; a higher epoch resets the
    # rollback floor (docs/pki.md, "Recovering from a compromised signer"). 0: omitted.
    epoch: int = 0

    def with_expiry(self, expires: datetime) -> Manifest:
        return self._replace(expires=expires)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "schema": SCHEMA,
            "namespace": self.namespace,
            "version": self.version,
            "config_version": self.config_version,
            "created": format_time(self.created),
            "source": {"repo": self.source_repo, "commit": self.source_commit},
            "tags": {k: self.tags[k] for k in TAG_KEYS},
            "files": {
                name: {"sha256": f.sha256, "size": f.size} for name, f in sorted(self.files.items())
            },
        }
        if self.expires is not None:
            doc["expires"] = format_time(self.expires)
        if self.epoch:
            doc["epoch"] = self.epoch
        return doc

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_dict())


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ManifestError(f"manifest {what} must be a JSON object")
    return value


def _str(doc: Mapping[str, Any], key: str, what: str, limit: int = 1024) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ManifestError(f"manifest {what}.{key} must be a non-empty string")
    return value


def _exact_keys(doc: Mapping[str, Any], required: set[str], optional: set[str], what: str) -> None:
    missing = required - doc.keys()
    unknown = doc.keys() - required - optional
    if missing:
        raise ManifestError(f"manifest {what} lacks {', '.join(sorted(missing))}")
    if unknown:
        raise ManifestError(f"manifest {what} has unknown keys {', '.join(sorted(unknown))}")


def parse_manifest(data: bytes, *, require_expires: bool = True) -> Manifest:
    """Parse and check a manifest; raise ``ManifestError`` naming the first problem."""
    try:
        doc = loads_unique(data.decode("utf-8"))
    except DuplicateKeyError as exc:  # before JSONDecodeError: both are ValueErrors
        raise ManifestError(f"manifest {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"manifest is not UTF-8 JSON: {exc}") from None
    doc = _obj(doc, "document")
    required = {"schema", "namespace", "version", "config_version", "created", "source", "tags"}
    required |= {"files"} | ({"expires"} if require_expires else set())
    _exact_keys(doc, required, {"expires", "epoch"}, "document")
    if doc["schema"] != SCHEMA:
        raise ManifestError(f"manifest schema is {doc['schema']!r}, expected {SCHEMA!r}")
    namespace = _str(doc, "namespace", "document", 600)
    if err := namespace_error(namespace):
        raise ManifestError(f"manifest {err}")
    version = doc["version"]
    if type(version) is not int or not 0 < version < 10**15:
        raise ManifestError("manifest version must be a positive integer (YYYYMMDDHHMMSS)")
    config_version = _str(doc, "config_version", "document", 64)
    if not _CONFIG_VERSION.match(config_version):
        raise ManifestError(f"manifest config_version {config_version!r} is not TIMESTAMP-SHA")
    source = _obj(doc["source"], "source")
    _exact_keys(source, {"repo", "commit"}, set(), "source")
    tags = _obj(doc["tags"], "tags")
    _exact_keys(tags, set(TAG_KEYS), set(), "tags")
    files_doc = _obj(doc["files"], "files")
    if not files_doc or len(files_doc) > MAX_FILES:
        raise ManifestError(f"manifest files must list 1..{MAX_FILES} files")
    files: dict[str, FileEntry] = {}
    for name, raw_entry in files_doc.items():
        if not _FILE_NAME.match(name):
            raise ManifestError(f"manifest file name {name!r} is not a plain file name")
        entry = _obj(raw_entry, f"files.{name}")
        _exact_keys(entry, {"sha256", "size"}, set(), f"files.{name}")
        size, digest = entry["size"], entry["sha256"]
        if type(size) is not int or not 0 <= size <= MAX_FILE_SIZE:
            raise ManifestError(f"manifest files.{name}.size must be 0..{MAX_FILE_SIZE}")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise ManifestError(f"manifest files.{name}.sha256 must be 64 lowercase hex digits")
        files[name] = FileEntry(sha256=digest, size=size)
    expires = parse_time(doc["expires"]) if "expires" in doc else None
    epoch = doc.get("epoch", 0)
    if type(epoch) is not int or not 0 <= epoch <= MAX_EPOCH:
        raise ManifestError(f"manifest epoch must be an integer 0..{MAX_EPOCH}")
    return Manifest(
        epoch=epoch,
        namespace=namespace,
        version=version,
        config_version=config_version,
        created=parse_time(doc["created"]),
        expires=expires,
        source_repo=_str(source, "repo", "source"),
        source_commit=_str(source, "commit", "source", 64),
        tags={k: _str(tags, k, "tags", 256) for k in TAG_KEYS},
        files=files,
    )
