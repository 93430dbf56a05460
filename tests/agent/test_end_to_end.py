"""The real pipeline: `trails build` -> `trails pki` -> `trails sign` -> HTTP -> `trails fetch`.

The example policies' audit rules carry shared keys (``identity``...), so this test
never loads them into the kernel: it uses the ``augenrules`` method with a recorder
script in place of augenrules (``auditctl -l`` is only read).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.kernel import AUDITCTL
from testkit.policy_repo import fresh_policy_repo
from testkit.server import Mirror

REPO_ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


def trails(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-m", "trails", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        timeout=300,
    )
    assert out.returncode in (0, 3), out.stderr
    return out


def test_build_sign_serve_fetch(tmp_path: Path, mirror: Mirror) -> None:
    dist, pki = tmp_path / "dist", tmp_path / "pki"
    repo = fresh_policy_repo(tmp_path / "repo")  # committed now: inside the new signer's validity
    trails("build", "--out", str(dist), "--namespace", "linux/web", cwd=repo)
    trails("pki", "init-root", "--dir", str(pki), cwd=tmp_path)
    trails("pki", "issue-intermediate", "--dir", str(pki), cwd=tmp_path)
    trails("pki", "issue-signer", "ci", "--dir", str(pki), "--namespace", "linux/*", cwd=tmp_path)
    trails("pki", "crl", "--dir", str(pki), cwd=tmp_path)
    signer = pki / "signers"
    trails(
        "sign", str(dist), "--key", str(signer / "ci.key.pem"),
        "--chain", str(signer / "ci.chain.pem"), cwd=tmp_path,
    )  # fmt: skip
    for path in dist.rglob("*"):
        if path.is_file():
            mirror.put(str(path.relative_to(dist)), path.read_bytes())
    mirror.put("crl.pem", (pki / "crl.pem").read_bytes())

    root = tmp_path / "root"
    (root / "etc/trails").mkdir(parents=True)
    (root / "etc/trails/roots.pem").write_bytes((pki / "root.pem").read_bytes())
    recorder = tmp_path / "augenrules"
    recorder.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/augenrules.log\n')
    recorder.chmod(0o755)
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"base_url: {mirror.base_url}\nnamespace: linux/web\nroots: /etc/trails/roots.pem\n"
        f"crl_url: {mirror.base_url}/crl.pem\nrequire_crl: true\n"
        f"audit_load: augenrules\naugenrules: {recorder}\nauditctl: {AUDITCTL}\n"
    )
    root_args = ["--root", str(root), "--load-kernel-rules"]  # augenrules: the recorder
    fetch = ["fetch", "--config", str(config), *root_args, "--json"]
    first = json.loads(trails(*fetch, cwd=tmp_path).stdout)
    manifest = json.loads((dist / "linux/web/manifest.json").read_text())
    assert first["outcome"] == "installed"
    assert first["version"] == manifest["version"]
    assert first["signer"]["subject"] == "CN=ci"
    conf = root / "etc/osquery/osquery.conf"
    assert conf.read_bytes() == (dist / "linux/web/osquery.conf").read_bytes()
    assert (root / "etc/audit/rules.d/50-trails.rules").read_text().startswith("-")
    assert (tmp_path / "augenrules.log").read_text() == "--load\n"
    assert json.loads(trails(*fetch, cwd=tmp_path).stdout)["outcome"] == "unchanged"

    # A mirror that serves something else as the envelope is refused; nothing changes.
    mirror.put("linux/web/release.dsse.json", (dist / "linux/web/osquery.conf").read_bytes())
    refused = trails(*fetch, cwd=tmp_path)
    assert refused.returncode == 3
    assert json.loads(refused.stdout)["check"] == "envelope"
    assert conf.read_bytes() == (dist / "linux/web/osquery.conf").read_bytes()
