"""Issue 12: the epoch extension, `trails pki ... --epoch`, and `trails sign` stamping it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from testkit.dist import make_dist
from tests.sign.helpers import DevPki, run
from tests.sign.test_commands import policy
from trails.formats.oids import NamespaceExtensionError, decode_epoch, encode_epoch
from trails.verify.core import ReleaseVerifier, StoredState


@pytest.mark.parametrize("epoch", [0, 1, 127, 128, 255, 256, 1_000_000])
def test_epoch_round_trips(epoch: int) -> None:
    assert decode_epoch(encode_epoch(epoch)) == epoch


@pytest.mark.parametrize(
    "value",
    [b"\x02\x02\x00\x01", b"\x02\x01\xff", b"\x02\x00", b"\x02\x01\x01\x00", b"\x04\x01\x01"],
)
def test_malformed_epoch_is_refused(value: bytes) -> None:
    with pytest.raises(NamespaceExtensionError):
        decode_epoch(value)


def test_signer_epoch_is_stamped_and_resets_the_floor(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = dev_pki.dir
    code, _, err = run(
        capsys, "pki", "issue-signer", "ci2", "--dir", d, "--namespace", "linux/*", "--epoch", "2"
    )
    assert code == 0, err
    cert = x509.load_pem_x509_certificates(dev_pki.chain("ci2").read_bytes())[0]
    assert cert.extensions.get_extension_for_oid(
        x509.ObjectIdentifier("2.25.40574217868494480703806191070881460741.4")
    )
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    args = ("sign", dist, "--key", dev_pki.key("ci2"), "--chain", dev_pki.chain("ci2"))
    code, _, err = run(capsys, *args, "--expires", "7d")
    assert code == 0, err
    installed = StoredState(99_999_999_999_999, {}, epoch=0)  # a stolen key's high version
    verifier = ReleaseVerifier(policy(dev_pki), "linux/pci", installed, datetime.now(UTC))
    release = verifier.verify_envelope((dist / "linux/pci/release.dsse.json").read_bytes())
    assert release.manifest.epoch == 2
