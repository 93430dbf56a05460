"""Optional interop (docs/design.md §4): a detached CMS signature over the manifest bytes that
stock ``openssl cms -verify -purpose any`` accepts. Authenticity only: rollback,
freshness and namespace checks need ``trails verify``."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from trails.errors import UsageError
from trails.formats.algorithms import ec_hash
from trails.sign.signer import Signer


def require_cms_key(signer: Signer) -> None:
    """Refuse up front a key CMS cannot use, before anything is written."""
    if not isinstance(signer.private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise UsageError(
            "--cms needs an ECDSA or RSA signer key (CMS tooling does not take Ed25519 here); "
            "drop --cms or issue a p256 signer"
        )


def sign_detached(signer: Signer, data: bytes) -> bytes:
    """DER CMS SignedData, detached, binary content, chain (without root) included."""
    require_cms_key(signer)
    key = signer.private_key
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        builder = builder.add_signer(signer.leaf, key, ec_hash(key.curve))
    elif isinstance(key, rsa.RSAPrivateKey):  # pragma: no branch - require_cms_key
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        builder = builder.add_signer(signer.leaf, key, hashes.SHA256(), rsa_padding=pss)
    for cert in signer.chain[1:]:
        builder = builder.add_certificate(cert)
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    return builder.sign(Encoding.DER, options)
