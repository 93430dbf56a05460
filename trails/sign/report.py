"""Signing a report: a DSSE envelope over the name, size and SHA-256 of each report file
(``trails.formats.report_signature``), by a signer with the report-signing EKU."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from trails.errors import UsageError
from trails.formats.oids import EKU_REPORT_SIGNING
from trails.formats.report_signature import PAYLOAD_TYPE, payload
from trails.sign.signer import Signer


def sign_report(
    files: Sequence[Path],
    signer: Signer,
    *,
    fingerprint: str | None = None,
    signed_at: datetime | None = None,
) -> bytes:
    """A DSSE envelope (``PAYLOAD_TYPE``) over the name, size and SHA-256 of each file and
    the signing time (``signed_at``, default: the clock now)."""
    if not signer.has_eku(EKU_REPORT_SIGNING):
        raise UsageError(
            "the signer certificate lacks the trails report-signing EKU; issue one with "
            "`trails pki issue-signer LABEL --purpose report`"
        )
    when = signed_at or datetime.now(UTC)
    return signer.sign(payload(files, fingerprint, when), PAYLOAD_TYPE)
