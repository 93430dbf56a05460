"""The development PKI on disk, as ``trails pki`` keeps it::

    <dir>/root.pem  root.key.pem                  (self-signed; pin root.pem on hosts)
    <dir>/intermediate.pem  intermediate.key.pem  (issues signers)
    <dir>/signers/<name>.pem  <name>.key.pem  <name>.chain.pem (leaf + intermediate)
    <dir>/issued.json                             serial -> issuer, subject, revoked_at
    <dir>/crl.pem                                 root CRL + intermediate CRL

CA keys share one passphrase (if any); new keys are written 0600 and never overwritten.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from trails.errors import UsageError
from trails.fileio import atomic_write
from trails.formats.algorithms import SigningKey, UnsupportedKey, generate_key
from trails.formats.manifest import format_time, parse_time
from trails.models.canonical import canonical_json
from trails.sign import pki
from trails.sign.keys import key_to_pem, load_key, write_private

PEM = serialization.Encoding.PEM
ROOT, INTERMEDIATE = "root", "intermediate"


def _new_key(kind: str) -> SigningKey:
    try:
        return generate_key(kind)
    except UnsupportedKey as exc:
        raise UsageError(str(exc)) from None


@contextlib.contextmanager
def _profile_rules() -> Iterator[None]:
    """What the profile refuses is a usage error at the command line."""
    try:
        yield
    except pki.ProfileError as exc:
        raise UsageError(str(exc)) from None


@dataclass(frozen=True)
class Issued:
    path: Path
    serial: int


class CaDir:
    def __init__(self, root: Path, passphrase: bytes | None) -> None:
        self.dir = root
        self.passphrase = passphrase

    # -- state ---------------------------------------------------------------------
    def _issued(self) -> dict[str, Any]:
        path = self.dir / "issued.json"
        if not path.exists():
            return {}
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def _record(self, cert: x509.Certificate, issuer: str) -> None:
        issued = self._issued()
        issued[f"{cert.serial_number:x}"] = {
            "issuer": issuer,
            "subject": cert.subject.rfc4514_string(),
            "not_after": format_time(cert.not_valid_after_utc),
            "revoked_at": None,
        }
        atomic_write(self.dir / "issued.json", canonical_json(issued))

    def _cert(self, name: str) -> x509.Certificate:
        path = self.dir / f"{name}.pem"
        try:
            return x509.load_pem_x509_certificate(path.read_bytes())
        except FileNotFoundError:
            step = "init-root" if name == ROOT else "issue-intermediate"
            raise UsageError(f"{path} does not exist; run `trails pki {step}` first") from None

    def _key(self, name: str) -> PrivateKeyTypes:
        return load_key(self.dir / f"{name}.key.pem", self.passphrase)

    def _write_new(self, name: str, key: PrivateKeyTypes, certs: list[x509.Certificate]) -> None:
        write_private(self.dir / f"{name}.key.pem", key_to_pem(key, self.passphrase))
        atomic_write(self.dir / f"{name}.pem", certs[0].public_bytes(PEM))

    # -- operations ----------------------------------------------------------------
    def init_root(self, subject: x509.Name, kind: str, days: int, now: datetime) -> Issued:
        if (self.dir / "root.pem").exists():
            raise UsageError(f"{self.dir}/root.pem already exists; use another --dir")
        key = _new_key(kind)
        with _profile_rules():
            cert = pki.make_root(key, subject, now, days)
        self._write_new(ROOT, key, [cert])
        self._record(cert, ROOT)
        return Issued(self.dir / "root.pem", cert.serial_number)

    def issue_intermediate(
        self, subject: x509.Name, kind: str, days: int, now: datetime, *, epoch: int | None = None
    ) -> Issued:
        if (self.dir / "intermediate.pem").exists():
            raise UsageError(f"{self.dir}/intermediate.pem already exists; use another --dir")
        root, root_key = self._cert(ROOT), self._key(ROOT)
        key = _new_key(kind)
        with _profile_rules():
            pki.ca_key(key)
            cert = pki.make_intermediate(
                root_key, root, key.public_key(), subject, now=now, days=days, epoch=epoch
            )
        self._write_new(INTERMEDIATE, key, [cert])
        self._record(cert, ROOT)
        return Issued(self.dir / "intermediate.pem", cert.serial_number)

    def issue_signer(
        self,
        label: str,
        subject: x509.Name,
        kind: str,
        *,
        days: int,
        now: datetime,
        namespaces: tuple[str, ...],
        purpose: str,
        epoch: int | None = None,
    ) -> Issued:
        inter, inter_key = self._cert(INTERMEDIATE), self._key(INTERMEDIATE)
        key = _new_key(kind)
        with _profile_rules():
            cert = pki.make_signer(
                inter_key,
                inter,
                key.public_key(),
                subject,
                now=now,
                days=days,
                namespaces=namespaces,
                purpose=purpose,
                epoch=epoch,
            )
        base = self.dir / "signers" / label
        write_private(base.with_suffix(".key.pem"), key_to_pem(key, self.passphrase))
        atomic_write(base.with_suffix(".pem"), cert.public_bytes(PEM))
        atomic_write(
            base.with_suffix(".chain.pem"), cert.public_bytes(PEM) + inter.public_bytes(PEM)
        )
        self._record(cert, INTERMEDIATE)
        return Issued(base.with_suffix(".chain.pem"), cert.serial_number)

    def revoke(self, serial: str, now: datetime) -> str:
        issued = self._issued()
        key = serial.lower().removeprefix("0x").lstrip("0") or "0"
        entry = issued.get(key)
        if entry is None:
            raise UsageError(f"serial {serial} was not issued from {self.dir}; see issued.json")
        if (
            entry["issuer"] == ROOT
            and entry["subject"] == self._cert(ROOT).subject.rfc4514_string()
        ):
            raise UsageError("the root cannot revoke itself; remove it from the hosts' roots file")
        if entry["revoked_at"] is None:
            entry["revoked_at"] = format_time(now)
            atomic_write(self.dir / "issued.json", canonical_json(issued))
        return str(entry["subject"])

    def write_crl(self, now: datetime, days: int, out: Path | None = None) -> Path:
        """Both CRLs (root's, intermediate's) in one PEM file; the CRL number is the time."""
        issued = self._issued()
        number = int(now.timestamp())
        blocks = b""
        for name in (ROOT, INTERMEDIATE):
            if name == INTERMEDIATE and not (self.dir / "intermediate.pem").exists():
                continue
            revoked = [
                pki.Revoked(int(serial, 16), parse_time(e["revoked_at"]))
                for serial, e in sorted(issued.items())
                if e["issuer"] == name and e["revoked_at"]
            ]
            crl = pki.make_crl(
                self._key(name), self._cert(name), revoked, now=now, days=days, number=number
            )
            blocks += crl.public_bytes(PEM)
        path = out or self.dir / "crl.pem"
        atomic_write(path, blocks)
        return path
