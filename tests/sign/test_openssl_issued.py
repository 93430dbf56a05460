"""The openssl commands in docs/pki.md issue certificates the verifier accepts.

The shell blocks are read from the document itself, so the docs cannot drift.
"""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from testkit.dist import make_dist
from tests.sign.helpers import DevPki, run
from trails.formats.manifest import PAYLOAD_TYPE
from trails.formats.oids import certificate_namespaces
from trails.sign.signer import Signer
from trails.verify.core import ReleaseVerifier, TrustPolicy
from trails.verify.errors import NamespaceScopeError
from trails.verify.trust import load_roots

DOC = Path(__file__).resolve().parents[2] / "docs" / "pki.md"


def doc_block(tag: str) -> str:
    match = re.search(
        rf"<!-- tested: {tag} -->\n```sh\n(.*?)```\n<!-- end -->", DOC.read_text(), re.DOTALL
    )
    assert match, f"docs/pki.md lost its {tag} block"
    return match.group(1)


def sh(script: str, cwd: Path, **env: str) -> None:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def sign_and_verify(
    capsys: pytest.CaptureFixture[str], tmp: Path, roots: Path, namespace: str
) -> None:
    dist = tmp / "dist"
    make_dist(dist, namespace)
    code, _, err = run(
        capsys,
        "sign",
        dist,
        "--key",
        tmp / "signer.key.pem",
        "--chain",
        tmp / "signer.chain.pem",
        "--expires",
        "1d",
    )
    assert code == 0, err
    policy = TrustPolicy(roots=load_roots(roots.read_bytes()))
    verifier = ReleaseVerifier(policy, namespace, None, datetime.now(UTC))
    verifier.verify_envelope((dist / namespace / "release.dsse.json").read_bytes())


def test_openssl_signer_from_an_existing_ca_is_accepted(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sh(
        doc_block("openssl-signer"),
        tmp_path,
        CA_CERT=str(dev_pki.dir / "intermediate.pem"),
        CA_KEY=str(dev_pki.dir / "intermediate.key.pem"),
    )
    cert = x509.load_pem_x509_certificate((tmp_path / "signer.pem").read_bytes())
    assert certificate_namespaces(cert) == ("linux/*", "windows/dc")
    sign_and_verify(capsys, tmp_path, dev_pki.roots, "windows/dc")
    # The namespace extension limits openssl-made certificates too.
    make_dist(tmp_path / "dist", "windows/web")
    code, _, err = run(
        capsys,
        "sign",
        tmp_path / "dist",
        "--key",
        tmp_path / "signer.key.pem",
        "--chain",
        tmp_path / "signer.chain.pem",
        "--namespace",
        "windows/web",
    )
    assert code == 2
    assert "may sign linux/*, windows/dc, not 'windows/web'" in err


def test_all_openssl_chain_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sh(doc_block("openssl-ca"), tmp_path)
    sh(
        doc_block("openssl-signer"),
        tmp_path,
        CA_CERT=str(tmp_path / "intermediate.pem"),
        CA_KEY=str(tmp_path / "intermediate.key.pem"),
    )
    sign_and_verify(capsys, tmp_path, tmp_path / "root.pem", "linux/web")


def test_openssl_signer_without_namespace_extension_is_refused(
    dev_pki: DevPki, tmp_path: Path
) -> None:
    script = doc_block("openssl-signer")
    script = re.sub(r"2\.25\.\S+\.2 = ASN1:SEQUENCE:trails_namespaces\n", "", script)
    sh(
        script,
        tmp_path,
        CA_CERT=str(dev_pki.dir / "intermediate.pem"),
        CA_KEY=str(dev_pki.dir / "intermediate.key.pem"),
    )
    signer = Signer.load(tmp_path / "signer.key.pem", tmp_path / "signer.chain.pem")
    assert signer.namespaces == ()
    manifest = make_dist(tmp_path / "dist", "linux/pci")
    envelope = signer.sign(
        manifest.with_expiry(datetime.now(UTC) + timedelta(days=1)).to_bytes(), PAYLOAD_TYPE
    )
    policy = TrustPolicy(roots=load_roots(dev_pki.roots.read_bytes()))
    with pytest.raises(NamespaceScopeError, match="no trails namespace extension"):
        ReleaseVerifier(policy, "linux/pci", None, datetime.now(UTC)).verify_envelope(envelope)
