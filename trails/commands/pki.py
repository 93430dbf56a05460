"""``trails pki``: a small development and test PKI (root -> intermediate -> signers, CRLs).

Production users issue signer certificates from the PKI they already run; docs/pki.md
shows the equivalent openssl commands.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from trails.errors import UsageError
from trails.formats.algorithms import KEY_TYPES
from trails.formats.oids import PURPOSES
from trails.models.namespace import pattern_error
from trails.sign import pki as profile
from trails.sign.ca_dir import CaDir
from trails.sign.keys import read_passphrase

F = TypeVar("F", bound=Callable[..., Any])


def passphrase_options(func: F) -> F:
    """``--passphrase-env VAR`` / ``--passphrase-file F``: never the passphrase itself."""
    func = click.option(
        "--passphrase-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Read the key passphrase from this file (first line).",
    )(func)
    return click.option(
        "--passphrase-env",
        metavar="VAR",
        help="Read the key passphrase from this environment variable.",
    )(func)


def _dir_option(func: F) -> F:
    return click.option(
        "--dir",
        "pki_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("pki"),
        show_default=True,
        help="Directory holding the development PKI.",
    )(func)


def _ca(pki_dir: Path, passphrase_env: str | None, passphrase_file: Path | None) -> CaDir:
    return CaDir(pki_dir, read_passphrase(passphrase_env, passphrase_file))


_key_type = click.option(
    "--key-type",
    type=click.Choice(KEY_TYPES),
    default="p256",
    show_default=True,
    help="Key algorithm. CA keys cannot be ed25519.",
)


@click.group()
def pki() -> None:
    """Make a development PKI: root, intermediate, signer certificates and CRLs."""


def _ca_options(days: int, name: str) -> Callable[[F], F]:
    """What a CA certificate takes: directory, key type, lifetime, subject, passphrase."""

    def wrap(func: F) -> F:
        for option in (
            passphrase_options,
            click.option("--org", default=None, help="Subject O."),
            click.option("--name", default=name, show_default=True, help="Subject CN."),
            click.option(
                "--days",
                type=click.IntRange(1, 36500),
                default=days,
                show_default=True,
                help="Certificate lifetime in days.",
            ),
            _key_type,
            _dir_option,
        ):
            func = option(func)
        return func

    return wrap


@pki.command("init-root")
@_ca_options(days=3650, name="trails root CA")
def init_root(
    *,
    pki_dir: Path,
    key_type: str,
    days: int,
    name: str,
    org: str | None,
    passphrase_env: str | None,
    passphrase_file: Path | None,
) -> None:
    """Create the self-signed root CA (keep its key offline)."""
    ca = _ca(pki_dir, passphrase_env, passphrase_file)
    issued = ca.init_root(profile.name(name, org), key_type, days, datetime.now(UTC))
    click.echo(f"root CA {issued.path} (serial {issued.serial:x}); pin this file on hosts")


_epoch_option = click.option(
    "--epoch",
    type=click.IntRange(0, 1_000_000),
    default=None,
    help="Trails epoch extension: the highest release epoch it allows (docs/pki.md, recovery).",
)


@pki.command("issue-intermediate")
@_ca_options(days=1825, name="trails intermediate CA")
@_epoch_option
def issue_intermediate(
    *,
    pki_dir: Path,
    key_type: str,
    days: int,
    name: str,
    org: str | None,
    epoch: int | None,
    passphrase_env: str | None,
    passphrase_file: Path | None,
) -> None:
    """Create the intermediate CA that issues signer certificates."""
    ca = _ca(pki_dir, passphrase_env, passphrase_file)
    issued = ca.issue_intermediate(
        profile.name(name, org), key_type, days, datetime.now(UTC), epoch=epoch
    )
    click.echo(f"intermediate CA {issued.path} (serial {issued.serial:x})")


@pki.command("issue-signer")
@_dir_option
@click.argument("label")
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="PATTERN",
    help="Namespace pattern the signer may sign (linux/pci, linux/*, *). Repeatable.",
)
@click.option(
    "--purpose",
    type=click.Choice(sorted(PURPOSES)),
    default="config",
    show_default=True,
    help="config: signs releases (trails EKU .1); report: signs reports (EKU .3).",
)
@_key_type
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=90,
    show_default=True,
    help="Certificate lifetime in days.",
)
@click.option("--name", default=None, help="Subject CN (default: LABEL).")
@click.option("--org", default=None, help="Subject O.")
@_epoch_option
@passphrase_options
def issue_signer(
    *,
    pki_dir: Path,
    label: str,
    namespaces: tuple[str, ...],
    purpose: str,
    key_type: str,
    days: int,
    epoch: int | None,
    name: str | None,
    org: str | None,
    passphrase_env: str | None,
    passphrase_file: Path | None,
) -> None:
    """Issue a short-lived signer certificate LABEL under the intermediate.

    Writes signers/LABEL.key.pem and signers/LABEL.chain.pem (leaf + intermediate),
    the two files `trails sign --key --chain` takes.
    """
    if not label.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"label {label!r} must be letters, digits, - and _")
    for pattern in namespaces:
        if err := pattern_error(pattern):
            raise UsageError(err)
    ca = _ca(pki_dir, passphrase_env, passphrase_file)
    issued = ca.issue_signer(
        label,
        profile.name(name or label, org),
        key_type,
        days=days,
        now=datetime.now(UTC),
        namespaces=namespaces,
        purpose=purpose,
        epoch=epoch,
    )
    click.echo(f"{purpose} signer {issued.path} (serial {issued.serial:x})")


@pki.command()
@_dir_option
@click.argument("serial")
def revoke(pki_dir: Path, serial: str) -> None:
    """Mark certificate SERIAL (hex, see issued.json) revoked; then run `trails pki crl`."""
    subject = CaDir(pki_dir, None).revoke(serial, datetime.now(UTC))
    click.echo(f"revoked {serial} ({subject}); run `trails pki crl` and publish crl.pem")


@pki.command()
@_dir_option
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=7,
    show_default=True,
    help="Days until nextUpdate; hosts requiring a CRL refuse it after that.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file (default: DIR/crl.pem).",
)
@passphrase_options
def crl(
    *,
    pki_dir: Path,
    days: int,
    out: Path | None,
    passphrase_env: str | None,
    passphrase_file: Path | None,
) -> None:
    """Write the root's and the intermediate's CRLs into one PEM file."""
    ca = _ca(pki_dir, passphrase_env, passphrase_file)
    path = ca.write_crl(datetime.now(UTC), days, out)
    click.echo(f"CRL {path} (valid {days} days)")
