from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import git
import pytest

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
platform: linux
tags: {org: Example, owner: secops, owner_group: sec, project: base}
variables:
  hourly: 3600
osquery:
  options:
    utc: true
  schedule:
    procs:
      query: SELECT pid, name FROM processes;
      interval: "{{ hourly }}"
audit:
  rules:
    - -w /etc/passwd -p wa -k identity
"""


class PolicyRepo:
    """A git repository with a policies/ tree, written file by file in tests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.policies = root / "policies"
        self.packs = root / "cis_pci_packs"
        self.policies.mkdir(parents=True)
        self.packs.mkdir()
        self.git = git.Repo.init(root)
        with self.git.config_writer() as cw:
            cw.set_value("user", "name", "Test")
            cw.set_value("user", "email", "test@example.invalid")

    def write(self, rel: str, text: str) -> Path:
        path = self.policies / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def commit(self, message: str = "policies", when: str = "2026-01-02T03:04:05") -> str:
        self.git.git.add("-A")
        stamp = f"{when} +0000"
        self.git.index.commit(message, author_date=stamp, commit_date=stamp)
        return self.git.head.commit.hexsha


@pytest.fixture
def repo(tmp_path: Path) -> PolicyRepo:
    r = PolicyRepo(tmp_path / "repo")
    r.write("linux/policy.yaml", BASE)
    return r


@pytest.fixture
def example_repo(tmp_path: Path) -> Callable[[], PolicyRepo]:
    """A copy of the shipped example policies and packs, committed."""

    def make() -> PolicyRepo:
        r = PolicyRepo(tmp_path / "example")
        shutil.rmtree(r.policies)
        shutil.rmtree(r.packs)
        shutil.copytree(ROOT / "policies", r.policies)
        shutil.copytree(ROOT / "cis_pci_packs", r.packs)
        r.commit("example")
        return r

    return make


def run_trails(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess: exit codes and one-line errors as users see them."""
    return subprocess.run(
        [sys.executable, "-m", "trails", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
