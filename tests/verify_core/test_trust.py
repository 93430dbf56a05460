"""Loading roots and CRLs from bytes: PEM bundles, DER, garbage, size bounds."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from tests.verify_core.conftest import REFERENCE_TIME, VECTORS, load_case
from trails.errors import VerificationError
from trails.verify.core import ReleaseVerifier, TrustPolicy
from trails.verify.errors import CrlError
from trails.verify.trust import MAX_CRL_BYTES, load_crls, load_roots


def test_pem_bundle_holds_every_crl() -> None:
    crls = load_crls((VECTORS / "pki" / "crl-good.pem").read_bytes())
    assert len(crls) == 2
    assert {c.issuer.rfc4514_string() for c in crls} == {
        "CN=trails test root,O=trails",
        "CN=trails test intermediate,O=trails",
    }


def test_single_der_crl() -> None:
    pem = load_crls((VECTORS / "pki" / "crl-bad-signature.pem").read_bytes())[0]
    der = pem.public_bytes(serialization.Encoding.DER)
    assert load_crls(der) == (pem,)


@pytest.mark.parametrize(
    "data",
    [
        b"garbage",
        b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
        b"x" * (MAX_CRL_BYTES + 1),
    ],
)
def test_bad_crl_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(CrlError):
        load_crls(data, "crl.pem")


def test_roots_bundle() -> None:
    pem = (VECTORS / "pki" / "root.pem").read_bytes() + (
        VECTORS / "pki" / "other-root.pem"
    ).read_bytes()
    assert len(load_roots(pem)) == 2


@given(st.data())
def test_corrupted_crl_is_refused_or_harmless(data: st.DataObject) -> None:
    """Mutated CRL bytes either fail to load (CrlError) or fail closed in verification."""
    pem = load_crls((VECTORS / "pki" / "crl-good.pem").read_bytes())[1]
    der = bytearray(pem.public_bytes(serialization.Encoding.DER))
    i = data.draw(st.integers(0, len(der) - 1))
    der[i] = data.draw(st.integers(0, 255).filter(der[i].__ne__))
    try:
        crls = load_crls(bytes(der))
    except CrlError:
        return
    case = load_case("revoked-signer")  # the intermediate's CRL revokes this signer
    policy = TrustPolicy(roots=case.policy.roots, crls=crls, require_crl=True)
    with pytest.raises(VerificationError):
        ReleaseVerifier(policy, case.namespace, None, REFERENCE_TIME).verify_envelope(case.envelope)
