"""The signer: a private key and its certificate chain, producing DSSE envelopes."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from trails.errors import UsageError
from trails.formats.algorithms import UnsupportedKey, key_type, sign_bytes
from trails.formats.dsse import encode_envelope, pae
from trails.formats.oids import (
    NamespaceExtensionError,
    certificate_epoch,
    certificate_namespaces,
    extended_key_usages,
)
from trails.sign.keys import load_key

MAX_CHAIN_FILE = 256 * 1024


def load_chain(path: Path) -> tuple[x509.Certificate, ...]:
    """Certificates of a PEM chain file, leaf first. A self-issued root at the end is
    dropped: the envelope never carries the root (the verifier pins it)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read certificate chain {path}: {exc.strerror}") from None
    if len(data) > MAX_CHAIN_FILE:
        raise UsageError(f"chain file {path} is larger than {MAX_CHAIN_FILE} bytes")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise UsageError(f"{path} is not a PEM certificate chain (leaf first)") from None
    chain = tuple(c for i, c in enumerate(certs) if i == 0 or c.subject != c.issuer)
    return chain


class Signer:
    """A key and its chain (leaf first). ``sign`` returns envelope JSON bytes."""

    def __init__(self, key: PrivateKeyTypes, chain: tuple[x509.Certificate, ...]) -> None:
        if not chain:
            raise UsageError("the certificate chain is empty; give the signer certificate first")
        leaf = chain[0]
        try:
            key_type(key)
        except UnsupportedKey as exc:
            raise UsageError(f"signer key: {exc}") from None
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        pub = key.public_key().public_bytes(serialization.Encoding.DER, spki)
        if leaf.public_key().public_bytes(serialization.Encoding.DER, spki) != pub:
            raise UsageError(
                "the key does not belong to the first certificate of the chain; "
                "put the signer certificate first"
            )
        try:
            self.namespaces: tuple[str, ...] = certificate_namespaces(leaf) or ()
            # The release epoch this chain grants: the leaf's, capped by any CA's.
            caps = [e for c in chain[1:] if (e := certificate_epoch(c)) is not None]
            self.epoch: int = min([certificate_epoch(leaf) or 0, *caps])
        except NamespaceExtensionError as exc:
            raise UsageError(f"signer certificate namespace extension: {exc}") from None
        self._key = key
        self.chain = chain
        self.leaf = leaf
        self.not_after: datetime = leaf.not_valid_after_utc
        self.not_before: datetime = leaf.not_valid_before_utc
        self.subject = leaf.subject.rfc4514_string()
        self.fingerprint = hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest()

    @classmethod
    def load(cls, key_path: Path, chain_path: Path, passphrase: bytes | None = None) -> Signer:
        return cls(load_key(key_path, passphrase), load_chain(chain_path))

    @property
    def private_key(self) -> PrivateKeyTypes:
        """For CMS interop only; never logged or serialised."""
        return self._key

    def has_eku(self, eku: x509.ObjectIdentifier) -> bool:
        return eku in (extended_key_usages(self.leaf) or ())

    def sign(self, payload: bytes, payload_type: str) -> bytes:
        """A DSSE envelope over ``payload`` with this signer's chain in ``x5c``."""
        signature = sign_bytes(self._key, pae(payload_type, payload))
        chain_der = [c.public_bytes(serialization.Encoding.DER) for c in self.chain]
        return encode_envelope(payload_type, payload, signature, chain_der)
