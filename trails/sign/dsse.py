"""DSSE v1 (https://github.com/secure-systems-lab/dsse): the pre-authentication encoding
and the envelope trails writes (docs/design.md §4). Parsing lives in ``trails.verify.envelope``."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from trails.models.canonical import canonical_json


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
