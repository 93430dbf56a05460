"""docs/design.md §6: when a release fails several checks, the earliest check refuses it."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from tests.verify_core.conftest import REFERENCE_TIME, VECTORS, load_case
from trails.errors import VerificationError
from trails.formats.manifest import PAYLOAD_TYPE, parse_manifest
from trails.sign.signer import Signer
from trails.verify.core import ReleaseVerifier, StoredState

PKI = VECTORS / "pki"
GOOD = parse_manifest((VECTORS / "release" / "manifest.json").read_bytes())
SIGNER = Signer.load(PKI / "signer-p256.key.pem", PKI / "signer-p256.chain.pem")
EXPIRED = GOOD.with_expiry(REFERENCE_TIME - timedelta(days=1))
NEWER_STATE = StoredState(version=GOOD.version + 1, files={})


def refused_by(
    envelope: bytes, state: StoredState | None = None, crl_case: str = "good-p256"
) -> str:
    case = load_case(crl_case)
    with pytest.raises(VerificationError) as info:
        ReleaseVerifier(case.policy, "linux/pci", state, REFERENCE_TIME).verify_envelope(envelope)
    return info.value.check


def corrupt_signature(envelope: bytes) -> bytes:
    doc = json.loads(envelope)
    sig = bytearray(base64.b64decode(doc["signatures"][0]["sig"]))
    sig[-1] ^= 0xFF
    doc["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    return json.dumps(doc).encode()


def test_size_before_envelope_form() -> None:
    assert refused_by(b"[" * (1024 * 1024 + 1)) == "size"


def test_envelope_form_before_chain() -> None:
    doc = json.loads(load_case("untrusted-root").envelope)
    doc["signatures"] = []
    assert refused_by(json.dumps(doc).encode()) == "envelope"


def test_chain_before_signature() -> None:
    assert refused_by(corrupt_signature(load_case("untrusted-root").envelope)) == "chain"


def test_eku_before_signature() -> None:
    assert refused_by(corrupt_signature(load_case("tls-server-signer").envelope)) == "eku"


def test_revocation_before_signature() -> None:
    revoked = load_case("revoked-signer")
    assert (
        refused_by(corrupt_signature(revoked.envelope), crl_case="revoked-signer") == "revocation"
    )


def test_signature_before_manifest() -> None:
    assert (
        refused_by(corrupt_signature(SIGNER.sign(b"not a manifest", PAYLOAD_TYPE))) == "signature"
    )


def test_namespace_before_expiry() -> None:
    other = EXPIRED._replace(namespace="linux/web")
    assert refused_by(SIGNER.sign(other.to_bytes(), PAYLOAD_TYPE)) == "namespace"


def test_expiry_before_rollback() -> None:
    assert refused_by(SIGNER.sign(EXPIRED.to_bytes(), PAYLOAD_TYPE), NEWER_STATE) == "expired"


def test_rollback_when_only_rollback_fails() -> None:
    assert refused_by(SIGNER.sign(GOOD.to_bytes(), PAYLOAD_TYPE), NEWER_STATE) == "rollback"
