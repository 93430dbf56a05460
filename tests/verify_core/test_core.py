"""The verification core beyond the vector table: ordering, sizes, files, CRL corners."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from tests.verify_core.conftest import REFERENCE_TIME, VECTORS, Case, load_case
from trails.errors import VerificationError
from trails.formats.algorithms import ec_hash, generate_key
from trails.formats.dsse import MAX_ENVELOPE_BYTES
from trails.formats.manifest import PAYLOAD_TYPE
from trails.formats.oids import EKU_CONFIG_SIGNING, EKU_REPORT_SIGNING
from trails.sign import pki
from trails.sign.keys import load_key
from trails.sign.signer import Signer, load_chain
from trails.verify.core import ReleaseVerifier, StoredState, TrustPolicy, verify_dsse
from trails.verify.errors import (
    CrlError,
    EkuError,
    EnvelopeError,
    FileHashError,
    FileSizeError,
    FileUnknownError,
    RevocationError,
    SignatureError,
    SizeError,
)

RELEASE = VECTORS / "release"


def verifier(case: Case, now: datetime = REFERENCE_TIME) -> ReleaseVerifier:
    return ReleaseVerifier(case.policy, case.namespace, case.state, now)


def test_oversized_envelope_is_refused_before_parsing(good: Case) -> None:
    padded = good.envelope[:-2] + b" " * MAX_ENVELOPE_BYTES + b"}\n"
    with pytest.raises(SizeError, match="endless data"):
        verifier(good).verify_envelope(padded)


def test_signature_is_checked_before_the_payload_is_parsed(good: Case) -> None:
    doc = json.loads(good.envelope)
    doc["payload"] = base64.b64encode(b"not json at all").decode()
    with pytest.raises(SignatureError):
        verifier(good).verify_envelope(json.dumps(doc).encode())


def test_naive_reference_time_is_a_programming_error(good: Case) -> None:
    with pytest.raises(ValueError, match="timezone"):
        ReleaseVerifier(good.policy, good.namespace, None, datetime(2026, 6, 1))
    with pytest.raises(ValueError, match="timezone"):
        verify_dsse(
            good.envelope, PAYLOAD_TYPE, good.policy, datetime(2026, 6, 1), eku=EKU_CONFIG_SIGNING
        )


def test_release_expiry_is_exclusive(good: Case) -> None:
    release = verifier(good).verify_envelope(good.envelope)
    assert release.manifest.expires is not None
    with pytest.raises(Exception, match="expired") as info:
        verifier(good, release.manifest.expires).verify_envelope(good.envelope)
    assert getattr(info.value, "check", None) == "expired"
    verifier(good, release.manifest.expires - timedelta(seconds=1)).verify_envelope(good.envelope)


def test_an_older_signature_of_the_same_version_may_not_move_expires_back(good: Case) -> None:
    release = verifier(good).verify_envelope(good.envelope)
    m = release.manifest
    assert m.expires is not None
    files = {name: entry.sha256 for name, entry in m.files.items()}

    def with_floor(expires: datetime | None) -> ReleaseVerifier:
        state = StoredState(m.version, files, m.epoch, expires)
        return ReleaseVerifier(good.policy, good.namespace, state, REFERENCE_TIME)

    for same_or_later in (None, m.expires, m.expires - timedelta(seconds=1)):
        with_floor(same_or_later).verify_envelope(good.envelope)
    with pytest.raises(VerificationError, match="before the installed signature") as info:
        with_floor(m.expires + timedelta(seconds=1)).verify_envelope(good.envelope)
    assert getattr(info.value, "check", None) == "rollback"


def test_no_roots_refuses(good: Case) -> None:
    with pytest.raises(Exception, match="no trusted roots") as info:
        ReleaseVerifier(
            TrustPolicy(roots=()), good.namespace, None, REFERENCE_TIME
        ).verify_envelope(good.envelope)
    assert getattr(info.value, "check", None) == "chain"


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("audit.rules", (RELEASE / "audit.rules").read_bytes() + b"-D\n", FileSizeError),
        ("audit.rules", (RELEASE / "audit.rules").read_bytes()[:-1], FileSizeError),
        ("audit.rules", b"-D" + (RELEASE / "audit.rules").read_bytes()[2:], FileHashError),
        ("shadow", b"", FileUnknownError),
    ],
)
def test_file_that_differs_from_the_manifest_is_refused(
    good: Case, name: str, data: bytes, error: type[Exception]
) -> None:
    v = verifier(good)
    release = v.verify_envelope(good.envelope)
    with pytest.raises(error):
        v.verify_file(release, name, data)


def test_report_envelope_needs_the_report_eku(good: Case) -> None:
    key = load_key(VECTORS / "pki" / "intermediate.key.pem", None)
    inter = load_chain(VECTORS / "pki" / "intermediate.pem")[0]
    signer_key = generate_key("ed25519")
    cert = pki.make_signer(
        key,
        inter,
        signer_key.public_key(),
        pki.name("reporter"),
        now=REFERENCE_TIME,
        days=10,
        purpose="report",
    )
    report = Signer(signer_key, (cert, inter)).sign(
        b'{"report": 1}', "application/vnd.trails.report+json"
    )
    payload, info = verify_dsse(
        report,
        "application/vnd.trails.report+json",
        good.policy,
        REFERENCE_TIME,
        eku=EKU_REPORT_SIGNING,
    )
    assert payload == b'{"report": 1}'
    assert (
        info.fingerprint
        == hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    )
    assert info.chain[-1] == good.policy.roots[0]
    # A report key can never sign a config, and a config key never a report.
    with pytest.raises(EkuError):
        verify_dsse(
            report,
            "application/vnd.trails.report+json",
            good.policy,
            REFERENCE_TIME,
            eku=EKU_CONFIG_SIGNING,
        )
    with pytest.raises(EnvelopeError, match="payloadType"):
        verify_dsse(report, PAYLOAD_TYPE, good.policy, REFERENCE_TIME, eku=EKU_REPORT_SIGNING)
    with pytest.raises(EkuError):
        verify_dsse(
            good.envelope, PAYLOAD_TYPE, good.policy, REFERENCE_TIME, eku=EKU_REPORT_SIGNING
        )


def test_revocation_in_a_stale_crl_still_counts() -> None:
    case = load_case("revoked-signer")
    later = REFERENCE_TIME + timedelta(days=20)  # crl-good.pem is past nextUpdate by then
    with pytest.raises(RevocationError):
        verifier(case, later).verify_envelope(case.envelope)


def test_crl_with_unknown_critical_extension_is_refused(good: Case) -> None:
    key = load_key(VECTORS / "pki" / "intermediate.key.pem", None)
    inter = load_chain(VECTORS / "pki" / "intermediate.pem")[0]
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(inter.subject)
        .last_update(REFERENCE_TIME - timedelta(days=1))
        .next_update(REFERENCE_TIME + timedelta(days=1))
        .add_extension(x509.DeltaCRLIndicator(1), critical=True)
        .sign(key, ec_hash(key.curve))  # type: ignore[arg-type, union-attr]
    )
    policy = TrustPolicy(roots=good.policy.roots, crls=(crl,))
    with pytest.raises(CrlError, match="unknown critical extension"):
        ReleaseVerifier(policy, good.namespace, None, REFERENCE_TIME).verify_envelope(good.envelope)


@given(st.binary(max_size=2048))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    case = load_case("good-p256")
    with pytest.raises((EnvelopeError, SizeError)):
        verifier(case).verify_envelope(data)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.sampled_from(["payloadType", "payload", "signatures", "x5c"]), _json)
def test_any_field_replaced_by_any_json_is_refused_cleanly(field: str, value: object) -> None:
    case = load_case("good-p256")
    doc = json.loads(case.envelope)
    doc[field] = value
    with pytest.raises((EnvelopeError, SignatureError)):
        verifier(case).verify_envelope(json.dumps(doc).encode())


@given(st.data())
def test_single_byte_corruption_never_verifies(data: st.DataObject) -> None:
    case = load_case("good-p256")
    env = bytearray(case.envelope)
    i = data.draw(st.integers(0, len(env) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != env[i]))
    env[i] = new
    try:
        verifier(case).verify_envelope(bytes(env))
    except VerificationError:
        pass  # any other exception type fails the test
    else:
        # Only whitespace/base64-insensitive positions may survive, and then the payload is intact.
        assert json.loads(bytes(env))["payload"] == json.loads(case.envelope)["payload"]


def test_time_is_taken_from_the_caller_only(good: Case) -> None:
    far = datetime(2040, 1, 1, tzinfo=UTC)
    with pytest.raises(Exception, match="valid only") as info:
        verifier(good, far).verify_envelope(good.envelope)
    assert getattr(info.value, "check", None) == "certificate-expired"


@given(st.data())
def test_corrupted_certificate_bytes_are_refused_cleanly(data: st.DataObject) -> None:
    """Attacker-controlled x5c DER reaches X.509 parsing: only VerificationErrors may escape."""
    case = load_case("good-p256")
    doc = json.loads(case.envelope)
    which = data.draw(st.integers(0, len(doc["x5c"]) - 1))
    der = bytearray(base64.b64decode(doc["x5c"][which]))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(der) - 1))
        der[i] = data.draw(st.integers(0, 255).filter(der[i].__ne__))
    doc["x5c"][which] = base64.b64encode(bytes(der)).decode()
    if which == 0:  # keep the keyid consistent so the certificate itself is what is judged
        doc["signatures"][0]["keyid"] = hashlib.sha256(bytes(der)).hexdigest()
    # Every byte of a DER certificate is covered by its issuer's signature (or is it).
    with pytest.raises(VerificationError):
        verifier(case).verify_envelope(json.dumps(doc).encode())
