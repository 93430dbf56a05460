"""The pure verification of the release index (``trails.verify.index``): the vectors' PKI
signs indexes at the vectors' reference time; every check refuses with its own class."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest

from tests.report.test_release_verification import GOOD_ENTRY, VECTOR_SIGNER
from tests.verify_core.conftest import REFERENCE_TIME, VECTORS, load_case
from trails.formats.index import INDEX_PAYLOAD_TYPE, IndexEntry, ReleaseIndex
from trails.sign.signer import Signer
from trails.verify.core import ReleaseVerifier, TrustPolicy
from trails.verify.errors import (
    ChainError,
    EnvelopeError,
    NamespaceScopeError,
    ReleaseExpiredError,
    ReleaseIndexError,
    SignatureError,
)
from trails.verify.index import IndexMismatchError, match_releases, verify_index
from trails.verify.trust import load_roots

POLICY = load_case("good-p256").policy
CREATED = REFERENCE_TIME - timedelta(days=31)
EXPIRES = REFERENCE_TIME + timedelta(days=30)
WEB = GOOD_ENTRY._replace(namespace="linux/web", manifest_sha256="cd" * 32)


def _index(*entries: IndexEntry) -> ReleaseIndex:
    return ReleaseIndex(CREATED, EXPIRES, tuple(sorted(entries)))


def _envelope(payload: bytes, signer: Signer = VECTOR_SIGNER) -> bytes:
    return signer.sign(payload, INDEX_PAYLOAD_TYPE)


def test_good_index_verifies() -> None:
    envelope = _envelope(_index(GOOD_ENTRY, WEB).to_bytes())
    verified = verify_index(envelope, POLICY, REFERENCE_TIME)
    assert verified.index.releases == (GOOD_ENTRY, WEB)
    assert verified.signer_subject == VECTOR_SIGNER.subject
    assert verified.signer_fingerprint == VECTOR_SIGNER.fingerprint
    assert len(verified.envelope_sha256) == 64


def test_payload_types_are_not_interchangeable() -> None:
    """A release envelope is no index, and an index envelope is no release."""
    release = (VECTORS / "envelopes" / "good-p256.dsse.json").read_bytes()
    with pytest.raises(EnvelopeError, match="payloadType"):
        verify_index(release, POLICY, REFERENCE_TIME)
    index = _envelope(_index(GOOD_ENTRY).to_bytes())
    with pytest.raises(EnvelopeError, match="payloadType"):
        ReleaseVerifier(POLICY, "linux/pci", None, REFERENCE_TIME).verify_envelope(index)


def test_signer_must_cover_every_listed_namespace() -> None:
    other = GOOD_ENTRY._replace(namespace="windows/pci")  # the signer has linux/*
    with pytest.raises(NamespaceScopeError) as refused:
        verify_index(_envelope(_index(GOOD_ENTRY, other).to_bytes()), POLICY, REFERENCE_TIME)
    assert "'windows/pci'" in str(refused.value)
    assert refused.value.check == "namespace-scope"


@pytest.mark.parametrize("at", [EXPIRES, EXPIRES + timedelta(seconds=1)])
def test_expired_index_is_refused(at: datetime) -> None:
    envelope = _envelope(_index(GOOD_ENTRY).to_bytes())
    with pytest.raises(ReleaseExpiredError, match="release index expired at 2026-07-01"):
        verify_index(envelope, POLICY, at)
    assert verify_index(envelope, POLICY, EXPIRES - timedelta(seconds=1)).index.expires == EXPIRES


def test_signed_but_malformed_payload_is_refused() -> None:
    payload = _index(GOOD_ENTRY).to_bytes().replace(b"trails.index/v1", b"trails.index/v2")
    with pytest.raises(ReleaseIndexError, match="signed index type") as refused:
        verify_index(_envelope(payload), POLICY, REFERENCE_TIME)
    assert refused.value.check == "index"


def test_edited_payload_is_refused() -> None:
    doc = json.loads(_envelope(_index(GOOD_ENTRY).to_bytes()))
    payload = json.loads(base64.b64decode(doc["payload"]))
    payload["expires"] = "2099-01-01T00:00:00Z"
    doc["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(SignatureError):
        verify_index(json.dumps(doc).encode(), POLICY, REFERENCE_TIME)


def test_index_must_chain_to_the_pinned_root() -> None:
    other = TrustPolicy(roots=load_roots((VECTORS / "pki" / "other-root.pem").read_bytes()))
    with pytest.raises(ChainError):
        verify_index(_envelope(_index(GOOD_ENTRY).to_bytes()), other, REFERENCE_TIME)


def test_reference_time_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_index(b"{}", POLICY, REFERENCE_TIME.replace(tzinfo=None))


def test_matching_releases() -> None:
    index = _index(GOOD_ENTRY, WEB)
    match_releases(index, {"linux/pci": GOOD_ENTRY, "linux/web": WEB})
    cases = [
        ({"linux/pci": GOOD_ENTRY}, "linux/web", "release.dsse.json is missing"),
        ({"linux/web": WEB}, "linux/pci", "release.dsse.json is missing"),
        (
            {"linux/pci": GOOD_ENTRY, "linux/web": WEB, "linux/dev": WEB},
            "linux/dev",
            "is not in the signed index",
        ),
        (
            {
                "linux/pci": GOOD_ENTRY._replace(version=1, manifest_sha256="00" * 32),
                "linux/web": WEB,
            },
            "linux/pci",
            "v1 (20260501000000-abcdef1) is not the release the signed index lists (v2026",
        ),
    ]
    for found, namespace, needle in cases:
        with pytest.raises(IndexMismatchError) as refused:
            match_releases(index, found)
        assert refused.value.namespace == namespace
        assert refused.value.check == "index"
        assert needle in str(refused.value)
        assert "\n" not in str(refused.value)
