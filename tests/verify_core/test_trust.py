"""Loading roots and CRLs from bytes: PEM bundles, DER, garbage, size bounds."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from tests.verify_core.conftest import VECTORS
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
