"""A release repository simulator: a PKI, a signer, and releases published to a ``Mirror``.

It is the publisher (``trails sign``) and, when a test wants, the attacker: it can roll
keys, expire metadata, replay old envelopes, tamper with files and sign with the wrong
certificate, always through the core engineer's real PKI helpers and ``Signer``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from testkit.server import Mirror
from trails.formats.manifest import PAYLOAD_TYPE, FileEntry, Manifest
from trails.sign import pki
from trails.sign.signer import Signer

NOW = datetime.now(UTC).replace(microsecond=0)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class CA:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


@dataclass
class PKI:
    root: CA
    intermediate: CA

    @classmethod
    def create(cls, days: int = 3650) -> PKI:
        rk = _key()
        root = pki.make_root(rk, pki.name("Test Root", "trails-test"), now=NOW, days=days)
        ik = _key()
        inter = pki.make_intermediate(
            rk, root, ik.public_key(), pki.name("Test Intermediate"), now=NOW, days=days - 1
        )
        return cls(CA(rk, root), CA(ik, inter))

    def roots_pem(self) -> bytes:
        return self.root.cert.public_bytes(serialization.Encoding.PEM)

    def signer(
        self,
        namespaces: tuple[str, ...] = ("linux/*",),
        *,
        days: int = 90,
        now: datetime = NOW,
        issuer: CA | None = None,
        epoch: int | None = None,
    ) -> Signer:
        issuer = issuer or self.intermediate
        key = _key()
        cert = pki.make_signer(
            issuer.key,
            issuer.cert,
            key.public_key(),
            pki.name("publisher"),
            now=now,
            days=days,
            namespaces=namespaces,
            epoch=epoch,
        )
        chain = (cert,) if issuer is self.root else (cert, issuer.cert)
        return Signer(key, chain)

    def intermediate_with_epoch(self, epoch: int) -> CA:
        """Another intermediate under the root whose certificate carries a trails epoch."""
        key = _key()
        cert = pki.make_intermediate(
            self.root.key,
            self.root.cert,
            key.public_key(),
            pki.name(f"Test Intermediate epoch {epoch}"),
            now=NOW,
            days=365,
            epoch=epoch,
        )
        return CA(key, cert)

    def tls_signer(self) -> Signer:
        """A TLS server certificate from the same intermediate: wrong EKU."""
        key = _key()
        ski = self.intermediate.cert.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier
        ).value
        cert = (
            x509.CertificateBuilder()
            .subject_name(pki.name("www.example.test"))
            .issuer_name(self.intermediate.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(hours=1))
            .not_valid_after(NOW + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False
            )
            .sign(self.intermediate.key, hashes.SHA256())
        )
        return Signer(key, (cert, self.intermediate.cert))

    def crl(
        self,
        revoked: tuple[int, ...] = (),
        *,
        issuer: CA | None = None,
        days: int = 7,
        now: datetime = NOW,
    ) -> bytes:
        issuer = issuer or self.intermediate
        crl = pki.make_crl(
            issuer.key,
            issuer.cert,
            [pki.Revoked(serial, now) for serial in revoked],
            now=now,
            days=days,
            number=1,
        )
        return crl.public_bytes(serialization.Encoding.PEM)


OSQUERY_CONF = b'{"options": {"host_identifier": "uuid"}, "schedule": {}}\n'


def audit_rules(key: str) -> bytes:
    return (
        f"-w /etc/hosts -p wa -k {key}\n"
        f"-a always,exit -F arch=b64 -S openat -F dir=/etc/ssh -F key={key}\n"
    ).encode()


@dataclass
class Repo:
    mirror: Mirror
    pki: PKI
    namespace: str = "linux/web"
    signer: Signer | None = None
    published: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.signer = self.signer or self.pki.signer()

    def manifest(
        self,
        version: int,
        files: dict[str, bytes],
        *,
        expires: datetime | None = None,
        namespace: str | None = None,
        created: datetime | None = None,
        epoch: int = 0,
    ) -> Manifest:
        manifest = Manifest(
            namespace=namespace or self.namespace,
            version=version,
            config_version=f"{version % 10**14:014d}-abcdef1",
            created=created or NOW,
            source_repo="https://git.example.test/policies",
            source_commit="abcdef1234567890",
            tags={"org": "acme", "owner": "secops", "owner_group": "sec", "project": "trails"},
            files={n: FileEntry(hashlib.sha256(d).hexdigest(), len(d)) for n, d in files.items()},
            expires=expires or NOW + timedelta(days=7),
        )
        return manifest._replace(epoch=epoch) if epoch else manifest

    def sign(self, payload: bytes, signer: Signer | None = None) -> bytes:
        signer = signer or self.signer
        assert signer is not None
        return signer.sign(payload, PAYLOAD_TYPE)

    def publish(
        self,
        version: int,
        files: dict[str, bytes],
        *,
        signer: Signer | None = None,
        expires: datetime | None = None,
        namespace: str | None = None,
        created: datetime | None = None,
        epoch: int = 0,
    ) -> bytes:
        """Sign and upload a release; return its envelope (to replay later)."""
        manifest = self.manifest(
            version, files, expires=expires, namespace=namespace, created=created, epoch=epoch
        )
        envelope = self.sign(manifest.to_bytes(), signer)
        self.put_envelope(envelope)
        for name, data in files.items():
            self.mirror.put(f"{self.namespace}/{name}", data)
        self.published.append(envelope)
        return envelope

    def put_envelope(self, envelope: bytes) -> None:
        self.mirror.put(f"{self.namespace}/release.dsse.json", envelope)

    def put_file(self, name: str, data: bytes) -> None:
        self.mirror.put(f"{self.namespace}/{name}", data)

    def envelope_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.mirror.files[f"{self.namespace}/release.dsse.json"])
        return doc

    def put_envelope_doc(self, doc: dict[str, Any]) -> None:
        self.put_envelope(json.dumps(doc).encode())
