"""dist/<namespace>/ trees as ``trails build`` writes them, and the stock
``openssl cms -verify`` command line for a release's detached CMS signature."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from trails.formats.manifest import FileEntry, Manifest

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
