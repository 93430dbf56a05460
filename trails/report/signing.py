"""Signed reports: a DSSE envelope over the digests of the report files (docs/design.md §4 PKI).

``sign_report`` lists each file's name, size and SHA-256 (and the report fingerprint) in a
small JSON payload and signs it with a signer certificate that carries the trails
report-signing EKU, so a config key can never vouch for a report and vice versa.
``verify_report_envelope`` is pure (bytes, trust policy, one reference time) and parses the
payload only after the signature verified; ``check_files`` then hashes the files on disk.
An auditor holding the root certificate can tell that no byte of the PDF changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trails.errors import TransportError, UsageError, VerificationError
from trails.models.canonical import DuplicateKeyError, canonical_json, loads_unique
from trails.sign.oids import EKU_REPORT_SIGNING
from trails.sign.signer import Signer
from trails.verify.core import SignerInfo, TrustPolicy, verify_dsse
from trails.verify.errors import FileHashError, FileSizeError

PAYLOAD_TYPE = "application/vnd.trails.report+json"
SCHEMA = "trails.report-signature/v1"
MAX_FILES = 64
MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024  # 4 GiB: a report file larger than this is refused
_CHUNK = 1024 * 1024
# A file name, never a path: the verifier joins it to --dir, so it must not climb out.
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


class ReportPayloadError(VerificationError):
    """The signed payload is not a well-formed report signature."""

    check = "report-payload"


@dataclass(frozen=True)
class ReportFile:
    name: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class SignedReport:
    """What a verified envelope vouches for, and who signed it."""

    files: tuple[ReportFile, ...]
    report_fingerprint: str | None
    signer: SignerInfo


@dataclass(frozen=True)
class FileCheck:
    """One file compared with the signed digest; ``problem`` is None when it matches."""

    name: str
    expected: ReportFile
    problem: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.expected.sha256,
            "size": self.expected.size,
            "ok": self.problem is None,
            "problem": self.problem,
        }


def _digest(path: Path, limit: int) -> tuple[int, str]:
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


def payload(files: Sequence[Path], fingerprint: str | None = None) -> bytes:
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
        size, sha = _digest(path, MAX_FILE_BYTES)
        if size > MAX_FILE_BYTES:
            raise UsageError(f"report file {path} is larger than {MAX_FILE_BYTES} bytes")
        entries[path.name] = ReportFile(path.name, size, sha).to_dict()
    doc = {"schema": SCHEMA, "report_fingerprint": fingerprint, "files": entries}
    return canonical_json(doc)


def sign_report(files: Sequence[Path], signer: Signer, *, fingerprint: str | None = None) -> bytes:
    """A DSSE envelope (``PAYLOAD_TYPE``) over the name, size and SHA-256 of each file."""
    if not signer.has_eku(EKU_REPORT_SIGNING):
        raise UsageError(
            "the signer certificate lacks the trails report-signing EKU; issue one with "
            "`trails pki issue-signer LABEL --purpose report`"
        )
    return signer.sign(payload(files, fingerprint), PAYLOAD_TYPE)


def _bad(what: str) -> ReportPayloadError:
    return ReportPayloadError(f"signed report payload {what}; re-sign the report")


def _parse_payload(data: bytes) -> tuple[tuple[ReportFile, ...], str | None]:
    try:
        doc = loads_unique(data)
    except DuplicateKeyError:
        raise _bad("repeats a key") from None
    except (ValueError, RecursionError):
        raise _bad("is not JSON") from None
    if not isinstance(doc, dict) or set(doc) != {"schema", "report_fingerprint", "files"}:
        raise _bad("must hold exactly schema, report_fingerprint and files")
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
    return tuple(files), fingerprint


def verify_report_envelope(envelope: bytes, policy: TrustPolicy, now: datetime) -> SignedReport:
    """Size, form, chain to a pinned root, report EKU, revocation, signature; then the payload."""
    body, signer = verify_dsse(envelope, PAYLOAD_TYPE, policy, now, eku=EKU_REPORT_SIGNING)
    files, fingerprint = _parse_payload(body)
    return SignedReport(files=files, report_fingerprint=fingerprint, signer=signer)


class ReportFileError(VerificationError):
    """A listed report file is missing or is not a regular file."""

    check = "report-file"


def check_files(signed: SignedReport, files_dir: Path) -> tuple[FileCheck, ...]:
    """Hash every signed file in ``files_dir`` (reading at most its signed size + 1 bytes).

    A missing file or a symlink is a problem of that file (a symlink could point at any
    file the verifier can read); a file that exists but cannot be read is a
    ``TransportError``; a mismatch is reported per file.
    """
    checks = []
    for expected in signed.files:
        path = files_dir / expected.name
        if path.is_symlink():
            checks.append(FileCheck(expected.name, expected, "is a symlink, not the signed file"))
            continue
        if not path.exists():
            checks.append(FileCheck(expected.name, expected, "missing (deleted or never copied)"))
            continue
        size, sha = _digest(path, expected.size)
        problem = None
        if size != expected.size:
            problem = f"size differs (signed {expected.size} bytes)"
        elif sha != expected.sha256:
            problem = "sha256 differs from the signed digest"
        checks.append(FileCheck(expected.name, expected, problem))
    return tuple(checks)


def unlisted_files(signed: SignedReport, files_dir: Path, envelope: Path) -> tuple[str, ...]:
    """Names in ``files_dir`` that the signature does not cover (the envelope excepted):
    whatever they say, nothing vouches for them."""
    listed = {f.name for f in signed.files} | {envelope.name}
    try:
        names = sorted(p.name for p in files_dir.iterdir())
    except OSError as exc:
        raise TransportError(f"cannot list {files_dir}: {exc.strerror or exc}") from None
    return tuple(n for n in names if n not in listed)


def raise_for_mismatch(checks: Sequence[FileCheck]) -> None:
    """Refuse (exit 3) when any file differs from what was signed."""
    bad = [c for c in checks if c.problem is not None]
    if not bad:
        return
    first = bad[0]
    problem = first.problem or ""
    error: type[VerificationError] = (
        FileSizeError
        if problem.startswith("size")
        else FileHashError
        if problem.startswith("sha256")
        else ReportFileError
    )
    more = f" (and {len(bad) - 1} more files)" if len(bad) > 1 else ""
    raise error(
        f"report file {first.name}: {first.problem}{more}: it is not what was signed; "
        "do not rely on it and ask the issuer for the original"
    )


def verify_report(
    envelope: bytes, files_dir: Path, policy: TrustPolicy, now: datetime
) -> tuple[SignedReport, tuple[FileCheck, ...]]:
    """The whole check: the envelope, then every file's size and digest. Raises on any failure."""
    signed = verify_report_envelope(envelope, policy, now)
    checks = check_files(signed, files_dir)
    raise_for_mismatch(checks)
    return signed, checks
