"""``trails verify RELEASE_DIR_OR_URL``: run every check of DESIGN.md §6 (1-8) on a
release without installing it. Exit 0 verified, 3 refused by a check, 4 transport/I/O."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from trails.commands.common import emit_json
from trails.errors import TransportError, UsageError, VerificationError
from trails.models.manifest import format_time
from trails.verify.core import ReleaseVerifier, StoredState, TrustPolicy, VerifiedRelease
from trails.verify.envelope import MAX_ENVELOPE_BYTES
from trails.verify.errors import SizeError
from trails.verify.trust import MAX_CRL_BYTES, load_crls, load_roots

ENVELOPE_NAME = "release.dsse.json"
MAX_ROOTS_BYTES = 1024 * 1024
# Reads ``name``, at most ``max_bytes`` + 1 bytes (so the caller can tell it was too long).
Reader = Callable[[str, int], bytes]


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise TransportError(f"cannot read {path}: {exc.strerror}; check the path") from None


def _reader(release: str) -> Reader:
    """A bounded reader for the release directory or URL (http.py only for URLs)."""
    if release.startswith(("http://", "https://")):
        from trails.verify.http import (  # noqa: PLC0415 - only for URLs
            HttpTransport,
            NotModified,
            ResponseTooLarge,
        )

        transport = HttpTransport(connect_timeout=10.0, total_timeout=60.0, retries=1)
        base = release.rstrip("/") + "/"

        def get(name: str, max_bytes: int) -> bytes:
            try:
                response = transport.get(base + name, max_bytes=max_bytes)
            except ResponseTooLarge as exc:
                # More than the envelope cap or the manifest's size: an attack, not bad luck.
                raise SizeError(str(exc)) from None
            if isinstance(response, NotModified):  # pragma: no cover - no validators sent
                raise TransportError(f"{base + name} answered 304 to a plain GET; retry")
            return response.body

        return get
    directory = Path(release)
    if not directory.is_dir():
        raise UsageError(f"{release} is neither a directory nor an http(s) URL")
    return lambda name, max_bytes: _read_file(directory / name, max_bytes)


def _state(state_dir: Path | None, namespace: str) -> StoredState | None:
    if state_dir is None:
        return None
    from trails.verify.state import load_state  # noqa: PLC0415 - only with --state-dir

    state = load_state(state_dir)
    if state is None or state.namespace != namespace:
        return None
    return StoredState(version=state.version, files=state.files)


def verify_release(read: Reader, verifier: ReleaseVerifier) -> VerifiedRelease:
    """Checks 1-8: the envelope, then every file the manifest names, bounded by its size."""
    envelope = read(ENVELOPE_NAME, MAX_ENVELOPE_BYTES)
    if len(envelope) > MAX_ENVELOPE_BYTES:
        raise SizeError(f"{ENVELOPE_NAME} is over {MAX_ENVELOPE_BYTES} bytes; endless data")
    release = verifier.verify_envelope(envelope)
    for name, entry in sorted(release.manifest.files.items()):
        verifier.verify_file(release, name, read(name, entry.size))
    return release


def _verdict(release: VerifiedRelease) -> dict[str, Any]:
    m = release.manifest
    return {
        "verified": True,
        "namespace": m.namespace,
        "version": m.version,
        "config_version": m.config_version,
        "expires": format_time(m.expires) if m.expires else None,
        "signer": {"subject": release.signer_subject, "fingerprint": release.signer_fingerprint},
        "envelope_sha256": release.envelope_sha256,
        "files": {n: {"sha256": f.sha256, "size": f.size} for n, f in sorted(m.files.items())},
    }


@click.command()
@click.argument("release")
@click.option(
    "--roots",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="PEM file of the pinned root CA certificate(s).",
)
@click.option("--namespace", required=True, help="The namespace this host expects.")
@click.option(
    "--crl",
    "crl_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CRL file (PEM, may hold several CRLs, or DER).",
)
@click.option("--require-crl", is_flag=True, help="Refuse unless a current CRL covers the chain.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Agent state dir: also run the rollback and equivocation checks.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict or refusal as JSON.")
def verify(
    *,
    release: str,
    roots: Path,
    namespace: str,
    crl_path: Path | None,
    require_crl: bool,
    state_dir: Path | None,
    as_json: bool,
) -> None:
    """Verify RELEASE (a release directory or its URL) without installing anything.

    Exit 0 when it verifies, 3 when a security check refuses it, 4 when reading or
    downloading failed.

    \b
    Examples:
      trails verify dist/linux/pci --roots pki/root.pem --namespace linux/pci
      trails verify https://configs.example.com/linux/pci/ --roots /etc/trails/roots.pem \\
                    --namespace linux/pci --crl crl.pem --require-crl --json
    """
    now = datetime.now(UTC)  # the one reference time of this run
    policy = TrustPolicy(
        roots=load_roots(_read_file(roots, MAX_ROOTS_BYTES), str(roots)),
        crls=load_crls(_read_file(crl_path, MAX_CRL_BYTES), str(crl_path)) if crl_path else (),
        require_crl=require_crl,
    )
    verifier = ReleaseVerifier(policy, namespace, _state(state_dir, namespace), now)
    try:
        result = verify_release(_reader(release), verifier)
    except VerificationError as exc:
        if as_json:
            emit_json({"verified": False, "check": exc.check, "reason": str(exc)})
        raise
    except TransportError as exc:
        if as_json:
            emit_json({"verified": False, "check": "transport", "reason": str(exc)})
        raise
    if as_json:
        emit_json(_verdict(result))
        return
    m = result.manifest
    click.echo(
        f"verified {m.namespace} v{m.version} ({m.config_version}), expires "
        f"{format_time(m.expires) if m.expires else '?'}, signed by {result.signer_subject} "
        f"[{result.signer_fingerprint[:16]}]"
    )
