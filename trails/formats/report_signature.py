"""The report signature payload (docs/design.md §4 PKI): what a signed report vouches for.

Canonical JSON ``{"schema": "trails.report-signature/v1", "report_fingerprint": F,
"files": {name: {"sha256", "size"}}, "signed_at": T}``, signed in a DSSE envelope of
``PAYLOAD_TYPE`` by a certificate with the report-signing EKU. ``payload`` builds it from
the files (``trails.sign.report``); ``parse_payload`` reads it strictly, after the
signature verified (``trails.report.signing``).

``signed_at`` is the signer's clock when it signed (RFC 3339 UTC): the report's own
dates come from its input, so the same input gives the same report; when it was vouched
for is said here. Payloads signed before the field existed lack it (None).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from trails.errors import TransportError, UsageError
from trails.formats.manifest import ManifestError, format_time, parse_time
from trails.models.canonical import DuplicateKeyError, canonical_json, loads_unique

PAYLOAD_TYPE = "application/vnd.trails.report+json"
SCHEMA = "trails.report-signature/v1"
MAX_FILES = 64
MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024  # 4 GiB: a report file larger than this is refused
_CHUNK = 1024 * 1024
# A file name, never a path: the verifier joins it to --dir, so it must not climb out.
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


class PayloadFormatError(ValueError):
    """The signed payload is not a well-formed report signature."""


class ReportFile(NamedTuple):
    name: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size}


def digest_file(path: Path, limit: int) -> tuple[int, str]:
    """Size and SHA-256 of a file, reading at most ``limit + 1`` bytes."""
    sha = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while size <= limit and (chunk := handle.read(min(_CHUNK, limit + 1 - size))):
                sha.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise TransportError(
            f"cannot read report file {path}: {exc.strerror or exc}; check the path"
        ) from None
    return size, sha.hexdigest()


def payload(
    files: Sequence[Path], fingerprint: str | None = None, signed_at: datetime | None = None
) -> bytes:
    """The canonical JSON payload for ``files`` (names are the files' base names)."""
    if not files:
        raise UsageError("no report files to sign; render at least one format first")
    if len(files) > MAX_FILES:
        raise UsageError(f"{len(files)} report files; at most {MAX_FILES} can be signed together")
    if fingerprint is not None and not _SHA256.match(fingerprint):
        raise UsageError("the report fingerprint must be 64 lowercase hex digits")
    entries: dict[str, dict[str, Any]] = {}
    for path in files:
        if not FILE_NAME.match(path.name):
            raise UsageError(
                f"report file name {path.name!r} must be letters, digits, '.', '_' or '-'"
            )
        if path.name in entries:
            raise UsageError(f"two report files are named {path.name}; give distinct names")
        size, sha = digest_file(path, MAX_FILE_BYTES)
        if size > MAX_FILE_BYTES:
            raise UsageError(f"report file {path} is larger than {MAX_FILE_BYTES} bytes")
        entries[path.name] = ReportFile(path.name, size, sha).to_dict()
    doc: dict[str, Any] = {"schema": SCHEMA, "report_fingerprint": fingerprint, "files": entries}
    if signed_at is not None:
        doc["signed_at"] = format_time(signed_at)
    return canonical_json(doc)


def _bad(what: str) -> PayloadFormatError:
    return PayloadFormatError(f"signed report payload {what}; re-sign the report")


class SignedPayload(NamedTuple):
    files: tuple[ReportFile, ...]
    fingerprint: str | None
    signed_at: datetime | None  # None: signed before the field existed


def parse_payload(data: bytes) -> SignedPayload:
    """The signed files, report fingerprint and signing time; ``PayloadFormatError`` names
    the problem."""
    try:
        doc = loads_unique(data)
    except DuplicateKeyError:
        raise _bad("repeats a key") from None
    except (ValueError, RecursionError):
        raise _bad("is not JSON") from None
    keys = {"schema", "report_fingerprint", "files"}
    if not isinstance(doc, dict) or not keys <= set(doc) <= keys | {"signed_at"}:
        raise _bad("must hold exactly schema, report_fingerprint, files and signed_at")
    signed_at = None
    if "signed_at" in doc:
        try:
            signed_at = parse_time(doc["signed_at"])
        except ManifestError:
            raise _bad(
                "has a signed_at that is not RFC 3339 UTC like 2026-01-31T12:00:00Z"
            ) from None
    if doc["schema"] != SCHEMA:
        raise _bad(f"has schema {str(doc['schema'])[:40]!r}, not {SCHEMA}")
    fingerprint = doc["report_fingerprint"]
    if fingerprint is not None and not (
        isinstance(fingerprint, str) and _SHA256.match(fingerprint)
    ):
        raise _bad("has a report_fingerprint that is not 64 lowercase hex digits")
    entries = doc["files"]
    if not isinstance(entries, Mapping) or not 1 <= len(entries) <= MAX_FILES:
        raise _bad(f"must list 1..{MAX_FILES} files")
    files = []
    for name, entry in sorted(entries.items()):
        if not FILE_NAME.match(name):
            raise _bad(f"names a file {name[:60]!r} that is not a plain file name")
        if not isinstance(entry, Mapping) or set(entry) != {"sha256", "size"}:
            raise _bad(f"entry {name} must hold exactly sha256 and size")
        size, sha = entry["size"], entry["sha256"]
        if type(size) is not int or not 0 <= size <= MAX_FILE_BYTES:
            raise _bad(f"entry {name} has a size that is not an integer in 0..{MAX_FILE_BYTES}")
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise _bad(f"entry {name} has a sha256 that is not 64 lowercase hex digits")
        files.append(ReportFile(name, size, sha))
    return SignedPayload(tuple(files), fingerprint, signed_at)
