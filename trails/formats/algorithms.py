"""The signature algorithms of docs/design.md §4, fixed per key type so that any verifier knows
exactly which encoding to expect: ECDSA P-256/SHA-256 and P-384/SHA-384 (DER signature),
Ed25519 (raw 64 bytes), RSA-PSS >= 3072 bits with SHA-256, MGF1-SHA-256 and salt 32."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)

KEY_TYPES = ("p256", "p384", "ed25519", "rsa3072", "rsa4096")
MIN_RSA_BITS = 3072
SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


class UnsupportedKey(ValueError):
    """The key is not one of the algorithms of docs/design.md §4."""


def key_type(key: CertificatePublicKeyTypes | PrivateKeyTypes) -> str:
    """``p256`` | ``p384`` | ``ed25519`` | ``rsa<bits>``; raise ``UnsupportedKey`` otherwise."""
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if isinstance(key.curve, ec.SECP256R1):
            return "p256"
        if isinstance(key.curve, ec.SECP384R1):
            return "p384"
        raise UnsupportedKey(f"EC curve {key.curve.name} is not allowed; use P-256 or P-384")
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise UnsupportedKey(f"RSA key of {key.key_size} bits; at least {MIN_RSA_BITS}")
        return f"rsa{key.key_size}"
    raise UnsupportedKey(f"{type(key).__name__} keys are not allowed; use p256, p384, ed25519, rsa")


def generate_key(kind: str) -> SigningKey:
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind.startswith("rsa") and kind[3:].isdigit() and int(kind[3:]) >= MIN_RSA_BITS:
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    raise UnsupportedKey(f"unknown key type {kind!r}; use one of {', '.join(KEY_TYPES)}")


def ec_hash(curve: ec.EllipticCurve) -> hashes.SHA256 | hashes.SHA384:
    return hashes.SHA384() if isinstance(curve, ec.SECP384R1) else hashes.SHA256()


def sign_bytes(key: PrivateKeyTypes, data: bytes) -> bytes:
    key_type(key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(ec_hash(key.curve)))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _PSS, hashes.SHA256())
    raise UnsupportedKey(type(key).__name__)  # pragma: no cover - key_type refused it


def verify_bytes(key: CertificatePublicKeyTypes, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is valid for ``data``; raise ``UnsupportedKey`` for other keys."""
    key_type(key)
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(ec_hash(key.curve)))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, _PSS, hashes.SHA256())
    except InvalidSignature:
        return False
    return True
