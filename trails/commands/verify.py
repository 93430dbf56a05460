"""``trails verify RELEASE_DIR_OR_URL``: run every check of docs/design.md §6 (1-8) on a
release without installing it. Exit 0 verified, 3 refused by a check, 4 transport/I/O.

A host command like ``trails fetch``: argparse, no click (``trails.cli.main`` runs
``run``), because click alone would cost a third of the Python floor of verifying.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trails.commands.common import emit_json, refusal
from trails.errors import ExitCode, TransportError, UsageError, VerificationError
from trails.formats.manifest import format_time, parse_time
from trails.verify.core import ReleaseVerifier, StoredState, TrustPolicy, VerifiedRelease
from trails.verify.errors import SizeError
from trails.verify.fetch import (
    DirectoryFetcher,
    Fetcher,
    TooLarge,
    fetch_and_verify,
    load_trust_policy,
)
from trails.verify.trust import MAX_CRL_BYTES, load_crls


def _fetcher(release: str) -> Fetcher:
    """The release directory, or its URL (the agent's HTTP client, only for URLs)."""
    if release.startswith(("http://", "https://")):
        from trails.agent.fetcher import HttpFetcher  # noqa: PLC0415 - only for URLs
        from trails.agent.http import HttpTransport  # noqa: PLC0415 - only for URLs

        transport = HttpTransport(connect_timeout=10.0, total_timeout=60.0, retries=1)
        base = release.rstrip("/") + "/"
        return HttpFetcher(transport, lambda name: base + name)
    directory = Path(release)
    if not directory.is_dir():
        raise UsageError(f"{release} is neither a directory nor an http(s) URL")
    return DirectoryFetcher(directory)


def _with_crl_from(url: str, policy: TrustPolicy, warnings: list[str]) -> TrustPolicy:
    """The policy with the CRL at ``url``; an optional CRL that cannot be fetched is skipped
    with a warning, as the agent does with its ``crl_url``."""
    base, name = url.rsplit("/", 1)
    try:
        data = _fetcher(base).fetch(name, MAX_CRL_BYTES)
    except TooLarge:
        raise SizeError(f"CRL {url} is over {MAX_CRL_BYTES} bytes; endless data") from None
    except TransportError as exc:
        if policy.require_crl:
            raise
        warnings.append(f"CRL not checked: {exc}")
        return policy
    return replace(policy, crls=load_crls(data, url))


def _state(state_dir: Path | None, namespace: str) -> StoredState | None:
    if state_dir is None:
        return None
    from trails.agent.state import load_state  # noqa: PLC0415 - only with --state-dir

    state = load_state(state_dir)
    if state is None or state.namespace != namespace:
        return None
    return StoredState(
        version=state.version,
        files=state.files,
        epoch=state.epoch,
        expires=parse_time(state.expires),
    )


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


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text} is not a readable file")
    return path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="trails verify",
        description=(
            "Verify RELEASE (a release directory or its URL) without installing anything.\n\n"
            "Exit 0 when it verifies, 3 when a security check refuses it, 4 when reading\n"
            "or downloading failed."
        ),
        epilog=(
            "examples:\n"
            "  trails verify dist/linux/pci --roots pki/root.pem --namespace linux/pci\n"
            "  trails verify https://configs.example.com/linux/pci/ \\\n"
            "      --roots /etc/trails/roots.pem --namespace linux/pci \\\n"
            "      --crl crl.pem --require-crl --json"
        ),
        # A fixed width: otherwise every add_argument imports shutil for the terminal size.
        formatter_class=lambda prog: argparse.RawDescriptionHelpFormatter(prog, width=80),
    )
    p.add_argument("release", metavar="RELEASE", help="release directory or http(s) URL")
    p.add_argument(
        "--roots",
        type=_existing_file,
        required=True,
        metavar="PEM",
        help="PEM file of the pinned root CA certificate(s)",
    )
    p.add_argument("--namespace", required=True, help="the namespace this host expects")
    p.add_argument(
        "--crl",
        metavar="FILE|URL",
        help="CRL file or http(s) URL (PEM, may hold several CRLs, or DER); a URL that "
        "cannot be fetched is skipped with a warning unless --require-crl",
    )
    p.add_argument(
        "--require-crl",
        action="store_true",
        help="refuse unless a current CRL covers the chain",
    )
    p.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="agent state dir: also run the rollback and equivocation checks",
    )
    p.add_argument(
        "--json", dest="as_json", action="store_true", help="print the verdict or refusal as JSON"
    )
    return p


def run(argv: list[str]) -> int:
    """``trails verify`` (a host command: argparse, no click; see ``trails.cli``)."""
    args = parser().parse_args(argv)
    now = datetime.now(UTC)  # the one reference time of this run
    crl_url = args.crl if args.crl and args.crl.startswith(("http://", "https://")) else None
    crl_files = [Path(args.crl)] if args.crl and not crl_url else []
    policy = load_trust_policy(args.roots, crl_files, require_crl=args.require_crl)
    warnings: list[str] = []
    stored = _state(args.state_dir, args.namespace)
    try:
        if crl_url:
            policy = _with_crl_from(crl_url, policy, warnings)
        verifier = ReleaseVerifier(policy, args.namespace, stored, now)
        result = fetch_and_verify(_fetcher(args.release), verifier).release
    except (VerificationError, TransportError) as exc:
        if args.as_json:
            emit_json(refusal(exc, args.namespace))
        raise
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.as_json:
        emit_json({**_verdict(result), **({"warnings": warnings} if warnings else {})})
        return ExitCode.OK
    m = result.manifest
    print(
        f"verified {m.namespace} v{m.version} ({m.config_version}), expires "
        f"{format_time(m.expires) if m.expires else '?'}, signed by {result.signer_subject} "
        f"[{result.signer_fingerprint[:16]}]"
    )
    return ExitCode.OK
