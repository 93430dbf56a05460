"""``trails report --releases DIR --roots ROOTS.pem``: the CLI verifies every release, fails
closed with exit 3 naming the namespace and the check, and marks a bypass in every output.

A fleet signed with a fresh development PKI (``trails pki`` + ``trails sign``) for the
positive path; the generated vectors at their reference time for the attacks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testkit.dist import make_dist
from tests.report.factories import results_file_rows
from tests.report.pdf.pdfcheck import page_texts, to_pngs
from tests.report.test_release_verification import NAMESPACE, vector_dist
from tests.sign.helpers import CliArg, DevPki, make_dev_pki, run
from tests.verify_core.conftest import INDEX, VECTORS
from trails.formats.names import INDEX_ENVELOPE

VECTOR_ROOTS = VECTORS / INDEX["roots"]
VECTOR_UNTIL = INDEX["reference_time"]
CONF: dict[str, dict[str, dict[str, object]]] = {
    "schedule": {"trails.control.a": {}, "trails.control.b": {}}
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def signed_fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[DevPki, Path, Path]:
    """A dev PKI, dist/linux/pci signed by it, and 20 simulated hosts running it."""
    pki = make_dev_pki(tmp_path, capsys)
    dist = tmp_path / "dist"
    make_dist(dist, NAMESPACE)
    conf = json.dumps(CONF).encode()
    (dist / NAMESPACE / "osquery.conf").write_bytes(conf)
    manifest = json.loads((dist / NAMESPACE / "manifest.json").read_text())
    manifest["files"]["osquery.conf"] = {
        "sha256": hashlib.sha256(conf).hexdigest(),
        "size": len(conf),
    }
    (dist / NAMESPACE / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = run(capsys, "sign", dist, "--key", pki.key("ci"), "--chain", pki.chain("ci"))
    assert code == 0, err
    logs = tmp_path / "logs"
    args = ("--hosts", "20", "--days", "1", "--out", logs, "--until", _now())
    code, _, err = run(capsys, "simulate", "--dist", dist, *args)
    assert code == 0, err
    return pki, dist, logs


def _report(capsys: pytest.CaptureFixture[str], *args: CliArg) -> tuple[int, str, str]:
    return run(capsys, "report", *args)


def test_verified_release_report(
    signed_fleet: tuple[DevPki, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki, dist, logs = signed_fleet
    out = tmp_path / "out"
    code, stdout, err = _report(
        capsys,
        *("--results", logs / "*.log", "--releases", dist, "--roots", pki.roots),
        *("--until", _now(), "--out", out, "--format", "json,pdf", "--json"),
    )
    assert code == 0, err
    assert "NOT VERIFIED" not in err
    assert json.loads(stdout)["unverified_releases"] == []
    doc = json.loads((out / "report.json").read_text())
    (release,) = doc["scope"]["releases"]
    assert release["namespace"] == NAMESPACE
    assert release["verified"] is True
    assert {r["control_id"] for r in results_file_rows(out)} == {"a", "b"}
    index = doc["scope"]["release_index"]
    assert (
        index["envelope_sha256"] == hashlib.sha256((dist / INDEX_ENVELOPE).read_bytes()).hexdigest()
    )
    assert (index["releases"], index["signer_fingerprint"]) == (1, release["signer_fingerprint"])
    # Simulated hosts record the release's real signer, so the report names one signer.
    signer = {"subject": release["signer_subject"], "fingerprint": release["signer_fingerprint"]}
    assert doc["scope"]["signers"] == [signer]
    text = "\n".join(page_texts((out / "report.pdf").read_bytes()))
    assert "Each release was verified before use" in text
    assert "Signed release index" in text
    assert index["envelope_sha256"] in text.replace("\n", "")
    assert "NOT VERIFIED" not in text


def test_tampered_dev_pki_release_is_refused(
    signed_fleet: tuple[DevPki, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The installed-config hash every host is compared against is the signed one."""
    pki, dist, logs = signed_fleet
    (dist / NAMESPACE / "osquery.conf").write_text(json.dumps({"schedule": {}}))
    out = tmp_path / "out"
    code, _, err = _report(
        capsys,
        *("--results", logs / "*.log", "--releases", dist, "--roots", pki.roots),
        *("--until", _now(), "--out", out),
    )
    assert code == 3
    assert err.startswith(f"trails: error: release {NAMESPACE} refused by the file-size check: ")
    assert err.count("\n") == 1
    assert not out.exists()  # nothing was written


def test_signer_of_another_pki_does_not_chain(
    signed_fleet: tuple[DevPki, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, dist, logs = signed_fleet
    other = make_dev_pki(tmp_path / "other", capsys)
    code, _, err = _report(
        capsys,
        *("--results", logs / "*.log", "--releases", dist, "--roots", other.roots),
        *("--until", _now(), "--out", tmp_path / "out"),
    )
    assert code == 3
    assert f"release {NAMESPACE} refused by the chain check" in err


@pytest.mark.parametrize(
    ("vector", "check"),
    [
        ("forged-signature", "signature"),
        ("payload-modified", "signature"),
        ("missing-intermediate", "chain"),
        ("namespace-not-covered", "namespace-scope"),
        ("revoked-signer", "revocation"),
    ],
)
def test_attacks_refuse_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], vector: str, check: str
) -> None:
    dist = vector_dist(tmp_path, vector)
    results = tmp_path / "results.log"
    results.write_text("")
    out = tmp_path / "out"
    code, stdout, err = _report(
        capsys,
        *("--results", results, "--releases", dist, "--roots", VECTOR_ROOTS),
        *("--crl", VECTORS / "pki" / "crl-good.pem", "--until", VECTOR_UNTIL, "--out", out),
        "--json",
    )
    assert code == 3, err
    assert err.startswith(f"trails: error: release {NAMESPACE} refused by the {check} check: ")
    assert err.count("\n") == 1
    verdict = json.loads(stdout)
    assert verdict["verified"] is False
    assert verdict["namespace"] == NAMESPACE
    assert verdict["check"] == check
    assert not out.exists()


def test_file_hash_mismatch_refuses_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = vector_dist(tmp_path)
    (dist / NAMESPACE / "osquery.conf").write_text('{\n  "schedule": []\n}\n')  # same size
    results = tmp_path / "results.log"
    results.write_text("")
    code, _, err = _report(
        capsys,
        *("--results", results, "--releases", dist, "--roots", VECTOR_ROOTS),
        *("--until", VECTOR_UNTIL, "--out", tmp_path / "out"),
    )
    assert code == 3
    assert f"release {NAMESPACE} refused by the file-hash check: file osquery.conf" in err
    code, _, err = _report(
        capsys,
        *("--results", results, "--releases", dist, "--roots", VECTOR_ROOTS),
        *("--until", VECTOR_UNTIL, "--out", tmp_path / "out", "--insecure-unverified-releases"),
    )
    assert code == 3, "the bypass admits unsigned releases, never altered ones"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--releases", "DIST"), "--releases needs --roots ROOTS.pem"),
        (("--roots", "ROOTS"), "go with --releases DIR"),
        (("--insecure-unverified-releases",), "go with --releases DIR"),
        (("--releases", "DIST", "--crl", "CRL", "--insecure-unverified-releases"), "--crl needs"),
    ],
)
def test_option_sets_that_cannot_verify_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    dist = vector_dist(tmp_path)
    paths = {"DIST": dist, "ROOTS": VECTOR_ROOTS, "CRL": VECTORS / "pki" / "crl-good.pem"}
    results = tmp_path / "results.log"
    results.write_text("")
    code, _, err = _report(
        capsys,
        *("--results", results, "--until", VECTOR_UNTIL, "--out", tmp_path / "out"),
        *(paths.get(a, a) for a in args),
    )
    assert code == 2
    assert err.startswith("trails: error: ")
    assert needle in err
    assert not (tmp_path / "out").exists()


def test_older_whole_tree_shows_as_hosts_newer_than_signed(
    signed_fleet: tuple[DevPki, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An older dist/ tree, signed and indexed in its day, verifies as a whole; the hosts
    already running the newer release are what gives the replay away."""
    pki, _, logs = signed_fleet
    old = tmp_path / "old-dist"
    make_dist(old, NAMESPACE, version=20260101000000)
    code, _, err = run(capsys, "sign", old, "--key", pki.key("ci"), "--chain", pki.chain("ci"))
    assert code == 0, err
    out = tmp_path / "out"
    code, _, err = _report(
        capsys,
        *("--results", logs / "*.log", "--releases", old, "--roots", pki.roots),
        *("--until", _now(), "--out", out, "--format", "json"),
    )
    assert code == 0, err
    doc = json.loads((out / "report.json").read_text())
    newer = [f for f in doc["integrity"] if f["kind"] == "newer_than_signed"]
    assert newer, "hosts on the current release must be flagged"
    assert f"warning: {len(newer)} hosts run a config newer than the newest release" in err
    assert doc["scope"]["release_index"]["envelope_sha256"] == (
        hashlib.sha256((old / INDEX_ENVELOPE).read_bytes()).hexdigest()
    )


def test_bypass_marks_the_report_not_verified(
    signed_fleet: tuple[DevPki, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A built-only release next to a signed one: the bypass admits it, and JSON, the CLI
    and the PDF's provenance section all say it was not verified."""
    pki, dist, logs = signed_fleet
    make_dist(dist, "linux/web")  # built, not signed
    out = tmp_path / "out"
    code, stdout, err = _report(
        capsys,
        *("--results", logs / "*.log", "--releases", dist, "--roots", pki.roots),
        *("--until", _now(), "--out", out, "--format", "json,pdf"),
        *("--insecure-unverified-releases", "--json"),
    )
    assert code == 0, err
    assert "warning: releases NOT VERIFIED (--insecure-unverified-releases): linux/web" in err
    assert json.loads(stdout)["unverified_releases"] == ["linux/web"]
    doc = json.loads((out / "report.json").read_text())
    verified = {r["namespace"]: r["verified"] for r in doc["scope"]["releases"]}
    assert verified == {NAMESPACE: True, "linux/web": False}
    assert doc["scope"]["release_index"] is None  # the bypass does not read it
    pdf = (out / "report.pdf").read_bytes()
    pages = page_texts(pdf)
    cover, page = [i for i, t in enumerate(pages) if "RELEASES NOT VERIFIED" in t]
    assert cover == 0
    assert "1 of 2 releases were read without verifying" in " ".join(pages[0].split())
    assert "1 of 2 releases were read without verification" in " ".join(pages[page].split())
    assert pages[page].count("NOT VERIFIED") >= 2  # the banner and the release's row
    pngs = to_pngs(pdf, tmp_path / "png")
    assert len(pngs) == len(pages)
    assert pngs[page].stat().st_size > 0
    shutil.copy(pngs[page], tmp_path / "provenance.png")  # for a person: pytest --basetemp


def test_bypass_without_roots_verifies_nothing(
    signed_fleet: tuple[DevPki, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, dist, logs = signed_fleet
    envelope = dist / NAMESPACE / "release.dsse.json"
    doc = json.loads(envelope.read_text())
    doc["signatures"][0]["sig"] = base64.b64encode(b"\0" * 64).decode()
    envelope.write_text(json.dumps(doc))
    out = tmp_path / "out"
    code, stdout, err = _report(
        capsys,
        *("--results", logs / "*.log", "--releases", dist, "--insecure-unverified-releases"),
        *("--until", _now(), "--out", out),
    )
    assert code == 0, err
    assert f"NOT VERIFIED (--insecure-unverified-releases): {NAMESPACE}" in err
    (release,) = json.loads((out / "report.json").read_text())["scope"]["releases"]
    assert release["verified"] is False
    assert "wrote" in stdout
