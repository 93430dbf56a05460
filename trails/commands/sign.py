"""``trails sign DIST_DIR``: sign every namespace's manifest into ``release.dsse.json``,
and the set of them into ``DIST_DIR/index.dsse.json``."""

from __future__ import annotations

import functools
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from trails.commands.common import emit_json
from trails.commands.pki import passphrase_options
from trails.formats.manifest import format_time
from trails.sign.keys import read_passphrase
from trails.sign.release import (
    PlannedRelease,
    parse_expires,
    plan_dist,
    sign_plan,
)
from trails.sign.signer import Signer

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
DEFAULT_EXPIRES = "30d"


def _label(item: PlannedRelease | None) -> str | None:
    return item.namespace if item else None


@click.command()
@click.argument("dist_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--key", "key_path", type=_FILE, required=True, help="Signer key (PKCS#8 PEM).")
@click.option(
    "--chain", "chain_path", type=_FILE, required=True, help="Signer chain PEM, leaf first."
)
@click.option(
    "--expires",
    default=None,
    help="Release lifetime (30d, 12h, 90m) or an RFC 3339 UTC time; refused past the "
    f"signer certificate. Default: {DEFAULT_EXPIRES}, or the certificate's end if sooner.",
)
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="NS",
    help="Sign only this namespace (repeatable; default: every manifest under DIST_DIR).",
)
@click.option(
    "--cms",
    is_flag=True,
    help="Also write release.manifest.json(.p7s) for `openssl cms -verify` (authenticity only).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was signed as JSON.")
@passphrase_options
def sign(
    *,
    dist_dir: Path,
    key_path: Path,
    chain_path: Path,
    expires: str | None,
    namespaces: tuple[str, ...],
    cms: bool,
    as_json: bool,
    passphrase_env: str | None,
    passphrase_file: Path | None,
) -> None:
    """Sign each DIST_DIR/<namespace>/manifest.json written by `trails build`, then
    DIST_DIR/index.dsse.json listing every namespace signed in this run (a report with
    --releases refuses a namespace missing from it, or one that differs from it).

    \b
    Example:
      trails sign dist/ --key signers/ci.key.pem --chain signers/ci.chain.pem \\
                        --passphrase-env TRAILS_KEY_PASSPHRASE
    """
    signer = Signer.load(key_path, chain_path, read_passphrase(passphrase_env, passphrase_file))
    now = datetime.now(UTC)
    expires_at = parse_expires(expires or DEFAULT_EXPIRES, now)
    if expires is None and expires_at > signer.not_after:
        expires_at = signer.not_after
        click.echo(
            f"trails sign: releases expire {format_time(expires_at)}, when the signer "
            f"certificate does (sooner than the default {DEFAULT_EXPIRES}); renew it for "
            "longer-lived releases",
            err=True,
        )
    plan = plan_dist(
        dist_dir,
        signer,
        expires=expires_at,
        now=now,
        namespaces=namespaces,
        cms=cms,
    )
    sign = functools.partial(
        sign_plan, dist_dir, plan, signer, expires=expires_at, now=now, cms=cms
    )
    if sys.stderr.isatty() and len(plan) > 1:  # a bar only where someone watches it
        with click.progressbar(
            plan, label="signing", file=sys.stderr, item_show_func=_label
        ) as bar:
            signed, index = sign(items=bar)
    else:
        signed, index = sign()
    if as_json:
        emit_json(
            {
                "signer": {"subject": signer.subject, "fingerprint": signer.fingerprint},
                "releases": [
                    {
                        "namespace": r.namespace,
                        "version": r.version,
                        "expires": format_time(r.expires),
                        "files": [str(p) for p in r.written],
                    }
                    for r in signed
                ],
                "index": {
                    "path": str(index),
                    "namespaces": [r.namespace for r in signed],
                    "expires": format_time(expires_at),
                },
            }
        )
        return
    for r in signed:
        click.echo(
            f"signed {r.namespace} v{r.version} (expires {format_time(r.expires)}): {r.written[0]}"
        )
    click.echo(f"signed the index of {len(signed)} releases: {index}")
