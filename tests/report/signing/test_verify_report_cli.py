"""``trails verify-report`` as a user runs it: a real subprocess and real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.report.signing.conftest import Pki
from trails.report.signing import sign_report


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trails", "verify-report", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _sign(p: Pki, d: Path) -> Path:
    env = d / "report.dsse.json"
    env.write_bytes(sign_report([d / "report.pdf", d / "report.json"], p.report_signer))
    return env


def test_intact_report_verifies(report_pki: Pki, report_dir: Path) -> None:
    env = _sign(report_pki, report_dir)
    out = run(env, "--roots", report_pki.root_pem)
    assert out.returncode == 0, out.stderr
    assert "report.pdf: ok" in out.stdout
    assert "verified 2 report files signed by CN=report signer,O=Example" in out.stdout


def test_json_and_dir(report_pki: Pki, report_dir: Path, tmp_path: Path) -> None:
    env = _sign(report_pki, report_dir)
    moved = tmp_path / "elsewhere.dsse.json"
    moved.write_bytes(env.read_bytes())
    out = run(moved, "--roots", report_pki.root_pem, "--dir", report_dir, "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["ok"] is True
    assert [f["name"] for f in doc["files"]] == ["report.json", "report.pdf"]
    assert doc["signer"]["fingerprint"] == report_pki.report_signer.fingerprint


def test_one_byte_change_exits_3_and_names_the_file(report_pki: Pki, report_dir: Path) -> None:
    env = _sign(report_pki, report_dir)
    pdf = report_dir / "report.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x20
    pdf.write_bytes(bytes(data))
    out = run(env, "--roots", report_pki.root_pem, "--json")
    assert out.returncode == 3
    doc = json.loads(out.stdout)
    assert doc["ok"] is False
    assert {f["name"]: f["ok"] for f in doc["files"]} == {"report.json": True, "report.pdf": False}
    assert out.stderr.count("\n") == 1
    assert "report.pdf: sha256 differs" in out.stderr


def test_untrusted_root_exits_3(report_pki: Pki, report_dir: Path) -> None:
    out = run(_sign(report_pki, report_dir), "--roots", report_pki.other_root_pem)
    assert out.returncode == 3
    assert "Traceback" not in out.stderr


def test_io_failures_exit_4(report_pki: Pki, report_dir: Path) -> None:
    env = _sign(report_pki, report_dir)
    (report_dir / "report.json").unlink()
    assert run(env, "--roots", report_pki.root_pem).returncode == 4
    assert run(report_dir / "nope.json", "--roots", report_pki.root_pem).returncode == 4


def test_oversized_envelope_exits_3(report_pki: Pki, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (1024 * 1024 + 1))
    out = run(big, "--roots", report_pki.root_pem)
    assert out.returncode == 3
    assert "larger than" in out.stderr


def test_roots_are_required() -> None:
    assert run("x.json").returncode == 2
