"""``trails verify-report``: check a signed report envelope and every file it names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from trails.commands.common import emit_json
from trails.formats.dsse import MAX_ENVELOPE_BYTES
from trails.formats.manifest import format_time
from trails.report.signing import (
    check_files,
    raise_for_mismatch,
    unlisted_files,
    verify_report_envelope,
)
from trails.verify.errors import SizeError
from trails.verify.fetch import load_trust_policy, read_bounded


@click.command("verify-report")
@click.argument("envelope", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--roots",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM file of the pinned root CA certificate(s).",
)
@click.option(
    "--dir",
    "files_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory holding the report files [default: the envelope's directory].",
)
@click.option(
    "--crl",
    "crls",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CRL (PEM or DER) to check revocation against. Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict per file as JSON.")
def verify_report(
    envelope: Path, roots: Path, files_dir: Path | None, crls: tuple[Path, ...], as_json: bool
) -> None:
    """Verify a signed report ENVELOPE and the report files it lists.

    \b
    Exit 0: the signature chains to --roots with the report-signing EKU and every file
            has the signed size and SHA-256.
    Exit 3: refused (bad signature, untrusted or revoked signer, altered file).
    Exit 4: a file could not be read.
    """
    now = datetime.now(UTC)
    data = read_bounded(envelope, MAX_ENVELOPE_BYTES)
    if len(data) > MAX_ENVELOPE_BYTES:
        raise SizeError(
            f"report envelope {envelope} is larger than {MAX_ENVELOPE_BYTES} bytes; "
            "it is not a trails envelope"
        )
    policy = load_trust_policy(roots, crls)
    signed = verify_report_envelope(data, policy, now)
    directory = files_dir if files_dir is not None else envelope.parent
    checks = check_files(signed, directory)
    unlisted = unlisted_files(signed, directory, envelope)
    if as_json:
        emit_json(
            {
                "ok": all(c.problem is None for c in checks),
                "report_fingerprint": signed.report_fingerprint,
                "signed_at": None if signed.signed_at is None else format_time(signed.signed_at),
                "signer": {
                    "subject": signed.signer.subject,
                    "fingerprint": signed.signer.fingerprint,
                },
                "files": [c.to_dict() for c in checks],
                "unlisted": list(unlisted),
            }
        )
    else:
        for check in checks:
            verdict = "ok" if check.problem is None else f"REFUSED: {check.problem}"
            click.echo(f"{check.name}: {verdict}")
        for name in unlisted:
            click.echo(f"{name}: not listed in the signed report: nothing vouches for it")
    raise_for_mismatch(checks)
    if not as_json:
        click.echo(
            f"verified {len(checks)} report files signed by {signed.signer.subject} "
            f"(fingerprint {signed.signer.fingerprint[:16]})"
            + ("" if signed.signed_at is None else f" at {format_time(signed.signed_at)}")
        )
