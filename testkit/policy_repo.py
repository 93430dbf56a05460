"""The example policy repository as a fresh git commit, the way a CI job builds it.

A release's version is its commit time, and an agent refuses a release created before
its signer certificate's validity (issue 12). Building this checkout's HEAD, which may
be days older than a development PKI made a moment ago, would be refused; a fresh
commit of the same policies is what a CI job that commits, builds and signs produces.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fresh_policy_repo(target: Path) -> Path:
    """``policies/`` and ``cis_pci_packs/`` committed now in a new repository at ``target``."""
    for name in ("policies", "cis_pci_packs"):
        shutil.copytree(REPO / name, target / name)
    identity = ["-c", "user.name=trails demo", "-c", "user.email=demo@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "policies"]):
        subprocess.run(["git", *args], cwd=target, check=True, capture_output=True, timeout=60)
    return target
