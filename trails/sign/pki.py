"""Certificates and CRLs of the trails PKI profile (docs/design.md §5): root -> intermediate ->
signer. Pure functions over keys and times; ``ca_dir`` keeps them on disk for ``trails pki``.

CA keys must be ECDSA or RSA: the chain verifier (WebPKI rules) does not accept
Ed25519 certificate signatures. Signer keys may be any algorithm of docs/design.md §4.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)
from cryptography.x509.oid import NameOID

from trails.formats.algorithms import ec_hash, key_type
from trails.formats.oids import (
    EPOCH_EXTENSION,
    NAMESPACE_EXTENSION,
    PURPOSES,
    NamespaceExtensionError,
    encode_epoch,
    encode_namespaces,
)

CA_KEY_TYPES = ("p256", "p384", "rsa3072", "rsa4096")
# Backdate notBefore a little so hosts with a slightly slow clock accept a fresh cert.
BACKDATE = timedelta(minutes=5)


class ProfileError(ValueError):
    """A request the PKI profile does not allow (bad key type for a CA, bad validity)."""


def ca_key(key: PrivateKeyTypes) -> CertificateIssuerPrivateKeyTypes:
    """``key`` if it may sign certificates under this profile."""
    if isinstance(key, ed25519.Ed25519PrivateKey) or not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    ):
        raise ProfileError(
            f"{type(key).__name__} cannot be a CA key (verifiers refuse it); use "
            f"{', '.join(CA_KEY_TYPES)}"
        )
    key_type(key)
    return key


def _sign(
    builder: x509.CertificateBuilder | x509.CertificateRevocationListBuilder,
    issuer_key: PrivateKeyTypes,
) -> x509.Certificate | x509.CertificateRevocationList:
    key = ca_key(issuer_key)
    if isinstance(key, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return builder.sign(key, hashes.SHA256(), rsa_padding=pss)
    if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - ca_key refused it
        raise ProfileError(type(key).__name__)
    return builder.sign(key, ec_hash(key.curve))


def _sign_cert(builder: x509.CertificateBuilder, issuer_key: PrivateKeyTypes) -> x509.Certificate:
    cert = _sign(builder, issuer_key)
    if not isinstance(cert, x509.Certificate):  # pragma: no cover - a certificate builder
        raise ProfileError("not a certificate")
    return cert


def name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _base(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: CertificatePublicKeyTypes,
    *,
    now: datetime,
    days: int,
    issuer_cert: x509.Certificate | None,
) -> x509.CertificateBuilder:
    if days < 1:
        raise ProfileError("validity must be at least 1 day")
    not_after = now + timedelta(days=days)
    if issuer_cert is not None and not_after > issuer_cert.not_valid_after_utc:
        raise ProfileError(
            f"{days} days would outlive the issuing CA (until "
            f"{issuer_cert.not_valid_after_utc:%Y-%m-%d}); ask for fewer days"
        )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer_cert is not None:
        ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    return builder


def make_root(
    key: PrivateKeyTypes, subject: x509.Name, now: datetime, days: int
) -> x509.Certificate:
    builder = (
        _base(subject, subject, ca_key(key).public_key(), now=now, days=days, issuer_cert=None)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
    )
    return _sign_cert(builder, key)


def make_intermediate(
    issuer_key: PrivateKeyTypes,
    issuer_cert: x509.Certificate,
    public_key: CertificatePublicKeyTypes,
    subject: x509.Name,
    *,
    now: datetime,
    days: int,
    epoch: int | None = None,
) -> x509.Certificate:
    """An intermediate CA; ``epoch`` caps the manifest epoch of every signer below it."""
    builder = (
        _base(subject, issuer_cert.subject, public_key, now=now, days=days, issuer_cert=issuer_cert)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
    )
    return _sign_cert(_with_epoch(builder, epoch), issuer_key)


def _with_epoch(builder: x509.CertificateBuilder, epoch: int | None) -> x509.CertificateBuilder:
    if epoch is None:
        return builder
    try:
        value = encode_epoch(epoch)
    except NamespaceExtensionError as exc:
        raise ProfileError(str(exc)) from None
    return builder.add_extension(x509.UnrecognizedExtension(EPOCH_EXTENSION, value), False)


def make_signer(
    issuer_key: PrivateKeyTypes,
    issuer_cert: x509.Certificate,
    public_key: CertificatePublicKeyTypes,
    subject: x509.Name,
    *,
    now: datetime,
    days: int,
    namespaces: Sequence[str] = (),
    purpose: str = "config",
    epoch: int | None = None,
) -> x509.Certificate:
    """A signer certificate: the purpose's EKU and, for configs, the namespace extension
    (and, when given, the highest manifest ``epoch`` it may sign: docs/pki.md)."""
    if purpose not in PURPOSES:
        raise ProfileError(f"purpose {purpose!r} is not one of {', '.join(PURPOSES)}")
    key_type(public_key)
    if purpose == "config" and not namespaces:
        raise ProfileError("a config signer needs at least one --namespace pattern")
    builder = (
        _base(subject, issuer_cert.subject, public_key, now=now, days=days, issuer_cert=issuer_cert)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([PURPOSES[purpose]]), critical=False)
    )
    if namespaces:
        value = encode_namespaces(tuple(namespaces))
        builder = builder.add_extension(
            x509.UnrecognizedExtension(NAMESPACE_EXTENSION, value), critical=False
        )
    return _sign_cert(_with_epoch(builder, epoch), issuer_key)


@dataclass(frozen=True)
class Revoked:
    serial: int
    revoked_at: datetime


def make_crl(
    issuer_key: PrivateKeyTypes,
    issuer_cert: x509.Certificate,
    revoked: Iterable[Revoked],
    *,
    now: datetime,
    days: int,
    number: int,
) -> x509.CertificateRevocationList:
    """A full CRL valid from ``now`` for ``days`` days."""
    key = ca_key(issuer_key)
    ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(now)
        .next_update(now + timedelta(days=days))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    )
    for item in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(item.serial)
            .revocation_date(item.revoked_at)
            .build()
        )
    crl = _sign(builder, key)
    if not isinstance(crl, x509.CertificateRevocationList):  # pragma: no cover
        raise ProfileError("not a CRL")
    return crl
