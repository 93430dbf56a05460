"""A fresh development PKI made by `trails pki`, and dist/ directories as `trails build` writes."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trails.cli import main
from trails.models.manifest import FileEntry, Manifest

FILES = {
    "osquery.conf": b'{\n  "schedule": {}\n}\n',
    "audit.rules": b"-w /etc/shadow -p wa -k trails-identity\n",
}


def openssl_cms_verify(release: Path, roots: Path) -> list[str]:
    """Stock ``openssl cms -verify`` of a release's detached ``--cms`` signature."""
    return [
        *("openssl", "cms", "-verify", "-purpose", "any", "-binary", "-inform", "DER"),
        *("-in", str(release / "release.manifest.json.p7s")),
        *("-content", str(release / "release.manifest.json")),
        *("-CAfile", str(roots), "-out", os.devnull),
    ]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the real CLI entry point in-process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def make_dist(dist: Path, namespace: str, version: int = 20260501000000) -> Manifest:
    out = dist / namespace
    out.mkdir(parents=True, exist_ok=True)
    for name, data in FILES.items():
        (out / name).write_bytes(data)
    manifest = Manifest(
        namespace=namespace,
        version=version,
        config_version=f"{version}-abcdef1",
        # The commit time: inside the signer certificate's validity (the agent checks it).
        created=datetime.now(UTC).replace(microsecond=0),
        source_repo="https://git.example.com/policy.git",
        source_commit="abcdef1",
        tags={"org": "example", "owner": "secops", "owner_group": "sec", "project": "trails"},
        files={
            n: FileEntry(sha256=hashlib.sha256(d).hexdigest(), size=len(d))
            for n, d in FILES.items()
        },
    )
    (out / "manifest.json").write_bytes(manifest.to_bytes())
    return manifest


@dataclass(frozen=True)
class DevPki:
    dir: Path

    @property
    def roots(self) -> Path:
        return self.dir / "root.pem"

    def key(self, label: str) -> Path:
        return self.dir / "signers" / f"{label}.key.pem"

    def chain(self, label: str) -> Path:
        return self.dir / "signers" / f"{label}.chain.pem"


def make_dev_pki(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> DevPki:
    """root -> intermediate -> signer "ci" for linux/*, made with the real CLI."""
    d = tmp_path / "pki"
    assert run(capsys, "pki", "init-root", "--dir", d)[0] == 0
    assert run(capsys, "pki", "issue-intermediate", "--dir", d)[0] == 0
    code, out, err = run(capsys, "pki", "issue-signer", "ci", "--dir", d, "--namespace", "linux/*")
    assert code == 0, err
    assert "signers/ci.chain.pem" in out
    return DevPki(d)
