"""The wheel carries what an installed trails needs: its own control packs, so `trails
check` works without --packs outside a checkout, as the help says."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from trails.cli_group import cli
from trails.commands.check import BUNDLED_PACKS

REPO = Path(__file__).resolve().parents[1]
PACKS = REPO / "cis_pci_packs"


def _files(top: Path) -> dict[str, bytes]:
    """The files of the packs git tracks (an untracked file is nobody's pack)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "cis_pci_packs"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    names = [n.removeprefix("cis_pci_packs/") for n in listed.split("\0") if n]
    return {n: (top / n).read_bytes() for n in names}


def test_the_wheel_holds_every_file_of_the_packs(tmp_path: Path) -> None:
    """Regression: the packs were not in the wheel (`trails check` from a wheel install
    said "no control packs found")."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for name in ("trails", "cis_pci_packs"):
        shutil.copytree(
            REPO / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    # untracked files of other kinds are left out (one of the packs' kinds would go in:
    # release wheels are built from a clean checkout)
    for stray in ("secret.env", "cis_rhel9/pack.yaml~", "notes.txt"):
        (source / "cis_pci_packs" / stray).write_text("not a pack file\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "wheel"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "wheel").glob("trails-*.whl")
    prefix = "trails/packs/bundled/"
    with zipfile.ZipFile(wheel) as zipped:
        packed = {
            name.removeprefix(prefix): zipped.read(name)
            for name in zipped.namelist()
            if name.startswith(prefix)
        }
    assert packed == _files(PACKS)
    assert len(packed) > 50


def test_check_without_packs_uses_trails_own_never_a_planted_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: ./cis_pci_packs of the working directory came first, so anyone who
    could write where root ran `trails check` (/tmp) replaced the checks it ran."""
    assert _files(BUNDLED_PACKS) == _files(PACKS)
    planted = tmp_path / "cis_pci_packs" / "evil"
    planted.mkdir(parents=True)
    (planted / "pack.yaml").write_text("id: [not, a, pack\n")
    monkeypatch.chdir(tmp_path)
    aslr = "cis-ubuntu2204-1.5.3"
    done = CliRunner().invoke(cli, ["check", "--root", str(tmp_path), "--control", aslr, "--json"])
    assert [r["control_id"] for r in json.loads(done.output)["results"]] == [aslr]
