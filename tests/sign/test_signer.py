"""Keys on disk and the Signer: encryption, passphrase sources, chain/key agreement."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from trails.errors import UsageError
from trails.formats.algorithms import (
    UnsupportedKey,
    generate_key,
    key_type,
    sign_bytes,
    verify_bytes,
)
from trails.formats.manifest import PAYLOAD_TYPE
from trails.formats.oids import EKU_CONFIG_SIGNING, EKU_REPORT_SIGNING
from trails.sign.keys import key_to_pem, load_key, read_passphrase, write_private
from trails.sign.signer import Signer, load_chain
from trails.verify.core import TrustPolicy, verify_dsse
from trails.verify.trust import load_roots

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "pki"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["p256", "p384", "ed25519", "rsa3072"])
def test_each_algorithm_signs_and_verifies(kind: str) -> None:
    key = generate_key(kind)
    assert key_type(key) == kind
    sig = sign_bytes(key, b"data")
    assert verify_bytes(key.public_key(), sig, b"data")
    assert not verify_bytes(key.public_key(), sig, b"datA")


def test_weak_keys_are_refused() -> None:
    with pytest.raises(UnsupportedKey, match="P-256"):
        key_type(ec.generate_private_key(ec.SECP521R1()))
    with pytest.raises(UnsupportedKey, match="unknown key type"):
        generate_key("rsa2048")


def test_encrypted_key_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key("p256")
    path = tmp_path / "k.pem"
    write_private(path, key_to_pem(key, b"s3cret"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    with pytest.raises(UsageError, match="encrypted; pass --passphrase-env"):
        load_key(path, None)
    with pytest.raises(UsageError, match="wrong passphrase") as info:
        load_key(path, b"wrong")
    assert "s3cret" not in str(info.value)
    monkeypatch.setenv("TRAILS_PW", "s3cret")
    assert load_key(path, read_passphrase("TRAILS_PW", None)).public_key() == key.public_key()
    pw_file = tmp_path / "pw"
    pw_file.write_text("s3cret\n")
    assert read_passphrase(None, pw_file) == b"s3cret"
    with pytest.raises(UsageError, match="already exists"):
        write_private(path, b"x")


def test_passphrase_sources_fail_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAILS_NOPE", raising=False)
    assert read_passphrase(None, None) is None
    with pytest.raises(UsageError, match="unset"):
        read_passphrase("TRAILS_NOPE", None)
    with pytest.raises(UsageError, match="not both"):
        read_passphrase("X", tmp_path)
    with pytest.raises(UsageError, match="cannot read"):
        read_passphrase(None, tmp_path / "missing")
    (tmp_path / "empty").write_bytes(b"\n")
    with pytest.raises(UsageError, match="empty"):
        read_passphrase(None, tmp_path / "empty")


def test_bad_key_and_chain_files(tmp_path: Path) -> None:
    (tmp_path / "junk").write_bytes(b"junk")
    with pytest.raises(UsageError, match="not a PKCS#8"):
        load_key(tmp_path / "junk", None)
    with pytest.raises(UsageError, match="cannot read key"):
        load_key(tmp_path / "missing", None)
    with pytest.raises(UsageError, match="not a PEM certificate chain"):
        load_chain(tmp_path / "junk")
    with pytest.raises(UsageError, match="cannot read certificate chain"):
        load_chain(tmp_path / "missing")


def test_a_key_or_passphrase_file_that_never_ends_is_read_only_up_to_its_bound() -> None:
    """A device given as --sign-key or --passphrase-file: refused after 64 KiB, not read
    until memory runs out."""
    with pytest.raises(UsageError, match="larger than 65536 bytes; is it a key"):
        load_key(Path("/dev/zero"), None)
    with pytest.raises(UsageError, match="passphrase file /dev/zero is larger than 65536"):
        read_passphrase(None, Path("/dev/zero"))


def test_signer_from_vector_files_signs_a_verifiable_envelope() -> None:
    signer = Signer.load(VECTORS / "signer-p384.key.pem", VECTORS / "signer-p384.chain.pem")
    assert signer.namespaces == ("linux/*",)
    assert signer.has_eku(EKU_CONFIG_SIGNING)
    assert not signer.has_eku(EKU_REPORT_SIGNING)
    assert signer.not_after.tzinfo is not None
    env = signer.sign(b"{}", PAYLOAD_TYPE)
    assert set(json.loads(env)) == {"payloadType", "payload", "signatures", "x5c"}
    policy = TrustPolicy(roots=load_roots((VECTORS / "root.pem").read_bytes()))
    payload, info = verify_dsse(env, PAYLOAD_TYPE, policy, NOW, eku=EKU_CONFIG_SIGNING)
    assert payload == b"{}"
    assert info.fingerprint == signer.fingerprint
    assert info.subject == signer.subject


def test_signer_drops_a_root_at_the_end_of_the_chain(tmp_path: Path) -> None:
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        (VECTORS / "signer-p256.chain.pem").read_bytes() + (VECTORS / "root.pem").read_bytes()
    )
    signer = Signer.load(VECTORS / "signer-p256.key.pem", chain)
    assert len(signer.chain) == 2
    assert len(json.loads(signer.sign(b"x", PAYLOAD_TYPE))["x5c"]) == 2


def test_signer_refuses_a_key_that_is_not_the_leafs() -> None:
    with pytest.raises(UsageError, match="does not belong"):
        Signer.load(VECTORS / "signer-p256.key.pem", VECTORS / "signer-p384.chain.pem")
    with pytest.raises(UsageError, match="chain is empty"):
        Signer(generate_key("p256"), ())
    with pytest.raises(UsageError, match="signer key"):
        Signer(
            ec.generate_private_key(ec.SECP521R1()), load_chain(VECTORS / "signer-p256.chain.pem")
        )


def test_roots_file_must_hold_roots_only() -> None:
    with pytest.raises(UsageError, match="not a self-signed root"):
        load_roots((VECTORS / "intermediate.pem").read_bytes())
    with pytest.raises(UsageError, match="not PEM"):
        load_roots(b"nope")
