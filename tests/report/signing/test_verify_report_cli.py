"""``trails verify-report`` as a user runs it: a real subprocess and real files."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

from tests.report.pdf.pdfcheck import page_texts
from tests.report.signing.conftest import Pki
from trails.cli import main
from trails.report.model import FILE_LIST, RESULTS_FILE
from trails.report.pdf.sections.overview import SIMULATED_BANNER
from trails.sign.report import sign_report


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``trails verify-report`` in-process (so coverage sees it), through ``cli.main`` and
    its exit-code mapping; the end-to-end test below uses real subprocesses."""
    argv = ["verify-report", *map(str, args)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def run_subprocess(*args: str | Path) -> subprocess.CompletedProcess[str]:
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
    out = run_subprocess(env, "--roots", report_pki.root_pem)
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
    assert doc["signed_at"].endswith("Z")  # the signer's clock, carried in the envelope


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
    (report_dir / "report.json").mkdir()
    assert run(env, "--roots", report_pki.root_pem).returncode == 4
    assert run(report_dir / "nope.json", "--roots", report_pki.root_pem).returncode == 4


def test_a_deleted_file_exits_3_and_every_file_says_its_status(
    report_pki: Pki, report_dir: Path
) -> None:
    env = _sign(report_pki, report_dir)
    (report_dir / "report.json").unlink()
    out = run(env, "--roots", report_pki.root_pem)
    assert out.returncode == 3
    assert "report.json: REFUSED: missing (deleted or never copied)" in out.stdout
    assert "report.pdf: ok" in out.stdout
    assert out.stderr.count("\n") == 1


def test_files_the_signature_does_not_cover_are_named(report_pki: Pki, report_dir: Path) -> None:
    """Attack: a forged findings.csv dropped next to a genuine signed report."""
    env = _sign(report_pki, report_dir)
    (report_dir / "findings.csv").write_text("host,status\nweb1,pass\n")
    out = run(env, "--roots", report_pki.root_pem)
    assert out.returncode == 0
    assert "findings.csv: not listed in the signed report: nothing vouches for it" in out.stdout
    doc = json.loads(run(env, "--roots", report_pki.root_pem, "--json").stdout)
    assert doc["unlisted"] == ["findings.csv"]


def test_the_list_of_files_a_report_run_keeps_is_not_reported_as_unvouched(
    report_pki: Pki, report_dir: Path
) -> None:
    """Regression: every report `trails report` wrote was verified with a warning about
    its own .trails-report-files (bookkeeping for the next run, not evidence)."""
    env = _sign(report_pki, report_dir)
    (report_dir / FILE_LIST).write_text("report.json\nreport.pdf\n")
    out = run(env, "--roots", report_pki.root_pem)
    assert (out.returncode, "nothing vouches" in out.stdout) == (0, False)
    assert json.loads(run(env, "--roots", report_pki.root_pem, "--json").stdout)["unlisted"] == []


def test_oversized_envelope_exits_3(report_pki: Pki, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (1024 * 1024 + 1))
    out = run(big, "--roots", report_pki.root_pem)
    assert out.returncode == 3
    assert "larger than" in out.stderr


def test_roots_are_required() -> None:
    assert run("x.json").returncode == 2


def test_simulated_fleet_report_signed_then_verified_then_tampered(
    report_pki: Pki, tmp_path: Path
) -> None:
    """The auditor's flow end to end with the real commands: simulate, report --sign,
    verify-report; then one changed byte in the PDF is refused."""
    logs, out = tmp_path / "logs", tmp_path / "out"
    trails = [sys.executable, "-m", "trails"]
    sim = subprocess.run(
        [*trails, "simulate", "--hosts", "20", "--days", "2", "--controls", "12", "--out", logs],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert sim.returncode == 0, sim.stderr
    rep = subprocess.run(
        [
            *trails,
            "report",
            "--results",
            f"{logs}/*",
            "--format",
            "pdf",
            "--format",
            "json",
            "--out",
            out,
            "--sign-key",
            report_pki.report_key,
            "--sign-chain",
            report_pki.report_chain,
            "--until",
            report_pki.now.strftime("%Y-%m-%dT%H:00:00Z"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert rep.returncode == 0, rep.stderr
    envelope = out / "report.dsse.json"
    ok = run_subprocess(envelope, "--roots", report_pki.root_pem, "--json")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    fingerprint = json.loads((out / "report.json").read_bytes())["fingerprint"]
    assert doc["report_fingerprint"] == fingerprint
    assert {f["name"] for f in doc["files"]} == {"report.pdf", "report.json", RESULTS_FILE}
    pdf = out / "report.pdf"
    data = bytearray(pdf.read_bytes())
    assert SIMULATED_BANNER in page_texts(bytes(data))[0]
    data[len(data) // 3] ^= 0x01
    pdf.write_bytes(bytes(data))
    bad = run_subprocess(envelope, "--roots", report_pki.root_pem)
    assert bad.returncode == 3
    assert "report.pdf: sha256 differs" in bad.stderr


def test_text_output_and_revoked_signer(report_pki: Pki, report_dir: Path, tmp_path: Path) -> None:
    env = _sign(report_pki, report_dir)
    out = run(env, "--roots", report_pki.root_pem)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:2] == ["report.json: ok", "report.pdf: ok"]
    assert re.fullmatch(
        "verified 2 report files signed by CN=report signer,O=Example "
        rf"\(fingerprint {report_pki.report_signer.fingerprint[:16]}\)"
        r" at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",  # the signing time the envelope carries
        lines[2],
    )
    assert len(lines) == 3
    crl = tmp_path / "ca.crl"
    crl.write_bytes(report_pki.crl_revoking_report_signer)
    revoked = run(env, "--roots", report_pki.root_pem, "--crl", crl)
    assert revoked.returncode == 3
    assert "revoked" in revoked.stderr
    crl.write_bytes(b"not a crl")
    assert run(env, "--roots", report_pki.root_pem, "--crl", crl).returncode == 3
