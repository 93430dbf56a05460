"""Certificates from `trails pki` carry exactly the profile of docs/design.md §5, and stock
openssl accepts the chain and decodes the namespace extension."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography import x509

from tests.sign.helpers import DevPki
from trails.formats.oids import EKU_CONFIG_SIGNING, NAMESPACE_EXTENSION


def load(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_chain_has_the_profile(dev_pki: DevPki) -> None:
    root = load(dev_pki.roots)[0]
    leaf, inter = load(dev_pki.chain("ci"))
    assert root.subject == root.issuer
    assert inter.issuer == root.subject
    for ca, path_length in ((root, 1), (inter, 0)):
        bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical
        assert (bc.value.ca, bc.value.path_length) == (True, path_length)
        ku = ca.extensions.get_extension_for_class(x509.KeyUsage).value
        assert ku.key_cert_sign
        assert ku.crl_sign
        assert not ku.digital_signature
    bc = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert (bc.critical, bc.value.ca) == (True, False)
    leaf_ku = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert leaf_ku.critical
    assert leaf_ku.value.digital_signature
    assert not leaf_ku.value.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(eku.value) == [EKU_CONFIG_SIGNING]
    ns = leaf.extensions.get_extension_for_oid(NAMESPACE_EXTENSION)
    assert not ns.critical
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = inter.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert leaf.not_valid_after_utc <= inter.not_valid_after_utc <= root.not_valid_after_utc


def test_openssl_accepts_the_chain_and_reads_the_extension(dev_pki: DevPki) -> None:
    chain = dev_pki.chain("ci")
    leaf_pem = (
        chain.read_bytes().split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    )
    (dev_pki.dir / "leaf.pem").write_bytes(leaf_pem)
    verify = subprocess.run(
        [
            "openssl",
            "verify",
            "-purpose",
            "any",
            "-x509_strict",
            "-CAfile",
            str(dev_pki.roots),
            "-untrusted",
            str(chain),
            str(dev_pki.dir / "leaf.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    text = subprocess.run(
        ["openssl", "x509", "-in", str(dev_pki.dir / "leaf.pem"), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert EKU_CONFIG_SIGNING.dotted_string in text
    assert NAMESPACE_EXTENSION.dotted_string in text
