"""`trails pki` and `trails sign` end to end, including stock openssl on the outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from testkit.dist import make_dist, openssl_cms_verify
from tests.sign.helpers import DevPki, run
from trails.errors import ExitCode
from trails.formats.manifest import PAYLOAD_TYPE, format_time, parse_manifest
from trails.formats.oids import EKU_CONFIG_SIGNING, EKU_REPORT_SIGNING, certificate_namespaces
from trails.sign.release import parse_expires
from trails.verify.core import ReleaseVerifier, TrustPolicy, verify_dsse
from trails.verify.errors import RevocationError
from trails.verify.trust import load_crls, load_roots


def policy(dev: DevPki, crl: bool = False) -> TrustPolicy:
    crls = load_crls((dev.dir / "crl.pem").read_bytes()) if crl else ()
    return TrustPolicy(roots=load_roots(dev.roots.read_bytes()), crls=crls, require_crl=crl)


def test_signed_dist_verifies_for_each_namespace(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    for ns in ("linux/pci", "linux/web"):
        make_dist(dist, ns)
    code, out, err = run(
        capsys,
        "sign",
        dist,
        "--key",
        dev_pki.key("ci"),
        "--chain",
        dev_pki.chain("ci"),
        "--expires",
        "7d",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert [r["namespace"] for r in report["releases"]] == ["linux/pci", "linux/web"]
    now = datetime.now(UTC)
    for ns in ("linux/pci", "linux/web"):
        verifier = ReleaseVerifier(policy(dev_pki), ns, None, now)
        release = verifier.verify_envelope((dist / ns / "release.dsse.json").read_bytes())
        assert release.manifest.expires is not None
        assert timedelta(days=6) < release.manifest.expires - now <= timedelta(days=7)
        for name in release.manifest.files:
            verifier.verify_file(release, name, (dist / ns / name).read_bytes())


def test_cms_output_passes_stock_openssl(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    code, _, err = run(
        capsys, "sign", dist, "--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci"), "--cms"
    )
    assert code == 0, err
    out = dist / "linux/pci"
    content = out / "release.manifest.json"
    assert parse_manifest(content.read_bytes()).namespace == "linux/pci"
    cmd = openssl_cms_verify(out, dev_pki.roots)
    ok = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "Verification successful" in ok.stderr
    content.write_bytes(content.read_bytes().replace(b"linux/pci", b"linux/pcj"))
    bad = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert bad.returncode != 0


@pytest.mark.parametrize("key_type", ["p384", "rsa3072", "ed25519"])
def test_every_signer_algorithm_signs_a_verifiable_release(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str], key_type: str
) -> None:
    code, _, err = run(
        capsys,
        "pki",
        "issue-signer",
        key_type,
        "--dir",
        dev_pki.dir,
        "--namespace",
        "*",
        "--key-type",
        key_type,
    )
    assert code == 0, err
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    args = ("sign", dist, "--key", dev_pki.key(key_type), "--chain", dev_pki.chain(key_type))
    if key_type == "ed25519":
        code, _, err = run(capsys, *args, "--cms")
        assert code == ExitCode.USAGE
        assert "Ed25519" in err
        assert not (dist / "linux/pci/release.dsse.json").exists()  # refused before writing
    assert run(capsys, *args)[0] == 0
    ReleaseVerifier(policy(dev_pki), "linux/pci", None, datetime.now(UTC)).verify_envelope(
        (dist / "linux/pci/release.dsse.json").read_bytes()
    )


def test_sign_refuses_uncovered_namespace_and_writes_nothing(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    make_dist(dist, "windows/dc")
    code, _, err = run(
        capsys, "sign", dist, "--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci")
    )
    assert code == ExitCode.USAGE
    assert "may sign linux/*, not 'windows/dc'" in err
    assert not list(dist.rglob("release.dsse.json"))
    code, _, _ = run(
        capsys,
        "sign",
        dist,
        "--key",
        dev_pki.key("ci"),
        "--chain",
        dev_pki.chain("ci"),
        "--namespace",
        "linux/pci",
    )
    assert code == 0
    assert [p.parent.name for p in dist.rglob("release.dsse.json")] == ["pci"]


def test_sign_refuses_expiry_past_the_signer_certificate(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    code, _, err = run(
        capsys,
        "sign",
        dist,
        "--key",
        dev_pki.key("ci"),
        "--chain",
        dev_pki.chain("ci"),
        "--expires",
        "365d",
    )
    assert code == ExitCode.USAGE
    assert "after the signer certificate" in err
    assert not (dist / "linux/pci/release.dsse.json").exists()


def test_default_expiry_is_clamped_to_a_signer_certificate_that_ends_sooner(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki = dev_pki.dir
    assert (
        run(
            capsys, "pki", "issue-signer", "short", "--dir", pki, "--namespace", "*", "--days", "10"
        )[0]
        == 0
    )
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    code, out, err = run(
        capsys, "sign", dist, "--key", dev_pki.key("short"), "--chain", dev_pki.chain("short"),
        "--json",
    )  # fmt: skip
    assert code == 0, err
    signer = x509.load_pem_x509_certificate(dev_pki.chain("short").read_bytes())
    (release,) = json.loads(out)["releases"]
    assert release["expires"] == format_time(signer.not_valid_after_utc)
    assert "when the signer certificate does" in err
    assert err.count("\n") == 1


def test_sign_refuses_manifest_that_does_not_match_its_files(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    (dist / "linux/pci/audit.rules").write_bytes(b"-D\n")
    code, _, err = run(
        capsys, "sign", dist, "--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci")
    )
    assert code == ExitCode.USAGE
    assert "does not match its manifest entry" in err


def test_sign_refuses_a_report_signer(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(capsys, "pki", "issue-signer", "rep", "--dir", dev_pki.dir, "--purpose", "report")[0]
        == 0
    )
    cert = x509.load_pem_x509_certificate(dev_pki.chain("rep").read_bytes())
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [EKU_REPORT_SIGNING]
    assert certificate_namespaces(cert) is None
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    code, _, err = run(
        capsys, "sign", dist, "--key", dev_pki.key("rep"), "--chain", dev_pki.chain("rep")
    )
    assert code == ExitCode.USAGE
    assert EKU_CONFIG_SIGNING.dotted_string in err


def test_encrypted_pki_needs_its_passphrase(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PKI_PW", "correct horse")
    d = tmp_path / "pki"
    for args in (
        ["init-root"],
        ["issue-intermediate"],
        ["issue-signer", "ci", "--namespace", "linux/pci"],
    ):
        code, _, err = run(capsys, "pki", *args, "--dir", d, "--passphrase-env", "PKI_PW")
        assert code == 0, err
    assert b"ENCRYPTED PRIVATE KEY" in (d / "signers/ci.key.pem").read_bytes()
    code, _, err = run(capsys, "pki", "issue-signer", "x", "--dir", d, "--namespace", "a")
    assert code == ExitCode.USAGE
    assert "encrypted; pass --passphrase-env" in err
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    code, _, err = run(
        capsys,
        "sign",
        dist,
        "--key",
        d / "signers/ci.key.pem",
        "--chain",
        d / "signers/ci.chain.pem",
    )
    assert code == ExitCode.USAGE
    pw = tmp_path / "pw"
    pw.write_text("correct horse\n")
    code, out, err = run(
        capsys,
        "sign",
        dist,
        "--key",
        d / "signers/ci.key.pem",
        "--chain",
        d / "signers/ci.chain.pem",
        "--passphrase-file",
        pw,
    )
    assert code == 0, err
    assert "correct horse" not in out + err


def test_revoke_and_crl(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    assert (
        run(capsys, "sign", dist, "--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci"))[0]
        == 0
    )
    envelope = (dist / "linux/pci/release.dsse.json").read_bytes()
    assert run(capsys, "pki", "crl", "--dir", dev_pki.dir)[0] == 0
    now = datetime.now(UTC)
    ReleaseVerifier(policy(dev_pki, crl=True), "linux/pci", None, now).verify_envelope(envelope)
    serial = x509.load_pem_x509_certificate(dev_pki.chain("ci").read_bytes()).serial_number
    code, out, _ = run(capsys, "pki", "revoke", f"{serial:X}", "--dir", dev_pki.dir)
    assert code == 0
    assert "CN=ci" in out
    assert run(capsys, "pki", "crl", "--dir", dev_pki.dir, "--days", "1")[0] == 0
    with pytest.raises(RevocationError):
        ReleaseVerifier(policy(dev_pki, crl=True), "linux/pci", None, now).verify_envelope(envelope)
    assert run(capsys, "pki", "revoke", "123", "--dir", dev_pki.dir)[0] == ExitCode.USAGE
    root_serial = x509.load_pem_x509_certificate(dev_pki.roots.read_bytes()).serial_number
    assert (
        run(capsys, "pki", "revoke", f"{root_serial:x}", "--dir", dev_pki.dir)[0] == ExitCode.USAGE
    )


def test_pki_refusals(dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "pki", "init-root", "--dir", dev_pki.dir)
    assert (code, "already exists" in err) == (ExitCode.USAGE, True)
    code, _, err = run(capsys, "pki", "issue-intermediate", "--dir", tmp_path / "empty")
    assert (code, "init-root" in err) == (ExitCode.USAGE, True)
    code, _, err = run(
        capsys, "pki", "init-root", "--dir", tmp_path / "ed", "--key-type", "ed25519"
    )
    assert (code, "cannot be a CA key" in err) == (ExitCode.USAGE, True)
    code, _, err = run(capsys, "pki", "issue-signer", "nons", "--dir", dev_pki.dir)
    assert (code, "at least one --namespace" in err) == (ExitCode.USAGE, True)
    code, _, err = run(
        capsys, "pki", "issue-signer", "bad", "--dir", dev_pki.dir, "--namespace", "Linux"
    )
    assert (code, "bad namespace pattern" in err) == (ExitCode.USAGE, True)
    code, _, err = run(
        capsys, "pki", "issue-signer", "../x", "--dir", dev_pki.dir, "--namespace", "a"
    )
    assert code == ExitCode.USAGE
    code, _, err = run(
        capsys,
        "pki",
        "issue-signer",
        "long",
        "--dir",
        dev_pki.dir,
        "--namespace",
        "a",
        "--days",
        "3000",
    )
    assert (code, "outlive the issuing CA" in err) == (ExitCode.USAGE, True)
    code, _, err = run(
        capsys, "pki", "issue-signer", "ci", "--dir", dev_pki.dir, "--namespace", "a"
    )
    assert (code, "already exists" in err) == (ExitCode.USAGE, True)


def test_sign_usage_errors(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci"))
    assert run(capsys, "sign", tmp_path / "nodist", *args)[0] == ExitCode.USAGE
    (tmp_path / "empty").mkdir()
    assert run(capsys, "sign", tmp_path / "empty", *args)[0] == ExitCode.USAGE
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    assert run(capsys, "sign", dist, *args, "--namespace", "linux/web")[0] == ExitCode.USAGE
    assert run(capsys, "sign", dist, *args, "--expires", "soon")[0] == ExitCode.USAGE
    assert (
        run(capsys, "sign", dist, *args, "--expires", "2020-01-01T00:00:00Z")[0] == ExitCode.USAGE
    )
    code, out, _ = run(capsys, "sign", dist, *args, "--expires", "12h")
    assert code == 0
    assert "signed linux/pci v20260501000000" in out
    (dist / "linux/pci/manifest.json").write_bytes(b"{}")
    assert run(capsys, "sign", dist, *args)[0] == ExitCode.USAGE
    moved = tmp_path / "dist2"
    make_dist(moved, "linux/pci")
    (moved / "linux/pci").rename(moved / "linux/web")
    code, _, err = run(capsys, "sign", moved, *args)
    assert (code, "sits in 'linux/web'" in err) == (ExitCode.USAGE, True)


def test_parse_expires() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_expires("90m", now) == now + timedelta(minutes=90)
    assert parse_expires("2026-02-01T00:00:00Z", now) == datetime(2026, 2, 1, tzinfo=UTC)
    assert format_time(parse_expires("1d", now)) == "2026-01-02T00:00:00Z"


def test_signed_payload_is_the_canonical_manifest(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    manifest = make_dist(dist, "linux/pci")
    assert (
        run(capsys, "sign", dist, "--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci"))[0]
        == 0
    )
    payload, _ = verify_dsse(
        (dist / "linux/pci/release.dsse.json").read_bytes(),
        PAYLOAD_TYPE,
        policy(dev_pki),
        datetime.now(UTC),
        eku=EKU_CONFIG_SIGNING,
    )
    signed = parse_manifest(payload)
    assert signed.expires is not None
    assert payload == manifest.with_expiry(signed.expires).to_bytes()


def test_cms_with_an_rsa_signer_passes_openssl(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "pki",
        "issue-signer",
        "rsa",
        "--dir",
        dev_pki.dir,
        "--namespace",
        "linux/*",
        "--key-type",
        "rsa3072",
    )
    assert code == 0, err
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    code, _, err = run(
        capsys, "sign", dist, "--key", dev_pki.key("rsa"), "--chain", dev_pki.chain("rsa"), "--cms"
    )
    assert code == 0, err
    out = dist / "linux/pci"
    done = subprocess.run(
        openssl_cms_verify(out, dev_pki.roots), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_progress_bar_on_a_terminal(
    dev_pki: DevPki,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dist = tmp_path / "dist"
    for ns in ("linux/a", "linux/b"):
        make_dist(dist, ns)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run(
        capsys, "sign", dist, "--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci")
    )
    assert code == 0, err
    assert "signing" in err
    assert out.count("signed linux/") == 2
