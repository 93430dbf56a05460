"""The DSSE v1 envelope (https://github.com/secure-systems-lab/dsse) as trails writes and
reads it (docs/design.md §4): the pre-authentication encoding, the envelope ``trails sign``
writes, and its strict parsing: JSON with no duplicate keys, exactly the four keys trails
writes, one signature, a known payloadType, and an ``x5c`` chain of at most a few
certificates, leaf first, with no self-issued (root) certificate. Nothing here looks
inside the payload: it is parsed only after its signature verified
(``trails.verify.core.verify_dsse``, which turns ``EnvelopeFormatError`` into the
envelope and size refusals)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from trails.models.canonical import DuplicateKeyError, canonical_json, loads_unique

MAX_ENVELOPE_BYTES = 1024 * 1024
MAX_CHAIN = 4
MAX_CERT_BYTES = 16 * 1024
_KEYS = {"payloadType", "payload", "signatures", "x5c"}
# What cryptography raises for malformed certificate fields (not all are ValueErrors).
_X509_PARSE_ERRORS = (
    ValueError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)


class EnvelopeFormatError(ValueError):
    """The envelope is not one trails wrote (the verifier's ``envelope`` check)."""


class EnvelopeTooLarge(EnvelopeFormatError):
    """The envelope is over ``MAX_ENVELOPE_BYTES`` (the verifier's ``size`` check)."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """``"DSSEv1" SP len(type) SP type SP len(body) SP body``; lengths in bytes, ASCII decimal."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def keyid(leaf_der: bytes) -> str:
    """The envelope's ``keyid``: hex SHA-256 of the leaf certificate's DER."""
    return hashlib.sha256(leaf_der).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode_envelope(
    payload_type: str, payload: bytes, signature: bytes, chain_der: Sequence[bytes]
) -> bytes:
    """The envelope JSON: one signature, ``x5c`` = [leaf, intermediates...], no root."""
    return canonical_json(
        {
            "payloadType": payload_type,
            "payload": b64(payload),
            "signatures": [{"keyid": keyid(chain_der[0]), "sig": b64(signature)}],
            "x5c": [b64(der) for der in chain_der],
        }
    )


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    keyid: str
    signature: bytes
    chain: tuple[x509.Certificate, ...]  # leaf first, no root


def _reject_constant(name: str) -> Any:
    raise EnvelopeFormatError(f"envelope contains {name}, which is not JSON; re-sign it")


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise EnvelopeFormatError(f"envelope {what} must be a base64 string; re-sign the release")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise EnvelopeFormatError(
            f"envelope {what} is not standard base64; re-sign the release"
        ) from None


def _parsed(cert: x509.Certificate) -> x509.Certificate:
    """Parse now the fields cryptography decodes lazily, so a malformed certificate is an
    envelope error here rather than a ValueError in a later check."""
    _ = (cert.subject, cert.issuer, cert.extensions, cert.not_valid_before_utc)
    _ = (cert.not_valid_after_utc, cert.serial_number, cert.signature_algorithm_oid)
    return cert


def parse_envelope(data: bytes, payload_types: Collection[str]) -> Envelope:
    """Check 1 (size) and check 2 (well-formed envelope) of docs/design.md §6; raises
    ``EnvelopeTooLarge`` or ``EnvelopeFormatError``."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeTooLarge(
            f"envelope is {len(data)} bytes, more than {MAX_ENVELOPE_BYTES}; the server is "
            "sending endless data"
        )
    try:
        doc = loads_unique(data.decode("utf-8"), parse_constant=_reject_constant)
    except DuplicateKeyError as exc:
        raise EnvelopeFormatError(f"envelope {exc}; refuse and re-sign it") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise EnvelopeFormatError(
            "envelope is not UTF-8 JSON; the release is damaged, re-sign it"
        ) from None
    if not isinstance(doc, dict) or doc.keys() != _KEYS:
        raise EnvelopeFormatError(
            "envelope must be an object with exactly payloadType, payload, signatures, x5c; "
            "re-sign it with `trails sign`"
        )
    payload_type = doc["payloadType"]
    if not isinstance(payload_type, str) or payload_type not in payload_types:
        raise EnvelopeFormatError(
            f"envelope payloadType {str(payload_type)[:80]!r} is not one of "
            f"{', '.join(sorted(payload_types))}; this is not a trails release"
        )
    sigs = doc["signatures"]
    if not isinstance(sigs, list) or len(sigs) != 1:
        count = len(sigs) if isinstance(sigs, list) else "no"
        raise EnvelopeFormatError(
            f"envelope has {count} signatures; exactly one is allowed, re-sign it"
        )
    sig = sigs[0]
    if not isinstance(sig, dict) or sig.keys() != {"keyid", "sig"}:
        raise EnvelopeFormatError(
            "envelope signature must be an object with exactly keyid and sig; re-sign it"
        )
    x5c = doc["x5c"]
    if not isinstance(x5c, list) or not 1 <= len(x5c) <= MAX_CHAIN:
        raise EnvelopeFormatError(
            f"envelope x5c must list 1..{MAX_CHAIN} certificates; re-sign with leaf first"
        )
    ders = [_b64(item, "x5c entry") for item in x5c]
    if any(len(der) > MAX_CERT_BYTES for der in ders):
        raise EnvelopeFormatError(
            f"an x5c certificate is larger than {MAX_CERT_BYTES} bytes; re-sign with a sane chain"
        )
    try:
        chain = tuple(_parsed(x509.load_der_x509_certificate(der)) for der in ders)
    except _X509_PARSE_ERRORS:
        raise EnvelopeFormatError(
            "an x5c entry is not a DER X.509 certificate; re-sign the release"
        ) from None
    for cert in chain:
        if cert.subject == cert.issuer:
            raise EnvelopeFormatError(
                "envelope x5c includes a self-issued (root) certificate; roots are pinned "
                "on the host, never shipped: re-sign without it"
            )
    if sig["keyid"] != keyid(ders[0]):
        raise EnvelopeFormatError("envelope keyid is not the SHA-256 of the x5c leaf; re-sign it")
    return Envelope(
        payload_type=payload_type,
        payload=_b64(doc["payload"], "payload"),
        keyid=sig["keyid"],
        signature=_b64(sig["sig"], "sig"),
        chain=chain,
    )
