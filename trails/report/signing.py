"""Signed reports, verified: a DSSE envelope over the digests of the report files
(docs/design.md §4 PKI; the payload's format is ``trails.formats.report_signature``, the
signing ``trails.sign.report``).

The signer certificate must carry the trails report-signing EKU, so a config key can
never vouch for a report and vice versa. ``verify_report_envelope`` is pure (bytes, trust
policy, one reference time) and parses the payload only after the signature verified;
``check_files`` then hashes the files on disk. An auditor holding the root certificate
can tell that no byte of the PDF changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trails.errors import TransportError, VerificationError
from trails.formats.oids import EKU_REPORT_SIGNING
from trails.formats.report_signature import (
    PAYLOAD_TYPE,
    PayloadFormatError,
    ReportFile,
    digest_file,
    parse_payload,
)
from trails.report.model import FILE_LIST
from trails.verify.core import SignerInfo, TrustPolicy, verify_dsse
from trails.verify.errors import FileHashError, FileSizeError

__all__ = ["PAYLOAD_TYPE", "ReportFile", "ReportPayloadError", "SignedReport", "verify_report"]


class ReportPayloadError(VerificationError):
    """The signed payload is not a well-formed report signature."""

    check = "report-payload"


@dataclass(frozen=True)
class SignedReport:
    """What a verified envelope vouches for, and who signed it."""

    files: tuple[ReportFile, ...]
    report_fingerprint: str | None
    signer: SignerInfo
    signed_at: datetime | None = None  # the signer's clock; None: signed before it was said


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


def verify_report_envelope(envelope: bytes, policy: TrustPolicy, now: datetime) -> SignedReport:
    """Size, form, chain to a pinned root, report EKU, revocation, signature; then the payload."""
    body, signer = verify_dsse(envelope, PAYLOAD_TYPE, policy, now, eku=EKU_REPORT_SIGNING)
    try:
        files, fingerprint, signed_at = parse_payload(body)
    except PayloadFormatError as exc:
        raise ReportPayloadError(str(exc)) from None
    return SignedReport(
        files=files, report_fingerprint=fingerprint, signer=signer, signed_at=signed_at
    )


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
        size, sha = digest_file(path, expected.size)
        problem = None
        if size != expected.size:
            problem = f"size differs (signed {expected.size} bytes)"
        elif sha != expected.sha256:
            problem = "sha256 differs from the signed digest"
        checks.append(FileCheck(expected.name, expected, problem))
    return tuple(checks)


def unlisted_files(signed: SignedReport, files_dir: Path, envelope: Path) -> tuple[str, ...]:
    """Names in ``files_dir`` that the signature does not cover (the envelope and the
    report run's own list of its files excepted): whatever they say, nothing vouches for
    them."""
    listed = {f.name for f in signed.files} | {envelope.name, FILE_LIST}
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
