"""A fresh development PKI made by `trails pki`, and the CLI run in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from trails.cli import main

CliArg = str | Path  # one command-line argument; a path is passed as its text


def run(capsys: pytest.CaptureFixture[str], *args: CliArg) -> tuple[int, str, str]:
    """Run the real CLI entry point in-process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


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
