"""`trails verify` on a release directory and over a real loopback HTTP server."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from testkit.dist import FILES, make_dist
from tests.sign.helpers import CliArg, DevPki, run
from trails.agent.state import AgentState, save_state
from trails.errors import ExitCode

NS = "linux/pci"


@pytest.fixture
def signed(dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    dist = tmp_path / "dist"
    make_dist(dist, NS)
    code, _, err = run(
        capsys, "sign", dist, "--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci")
    )
    assert code == 0, err
    return dist


@pytest.fixture
def server(signed: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(signed))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def verify(
    capsys: pytest.CaptureFixture[str], dev: DevPki, release: CliArg, *extra: CliArg
) -> tuple[int, str, str]:
    return run(capsys, "verify", release, "--roots", dev.roots, "--namespace", NS, *extra)


def test_directory_verifies(
    dev_pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = verify(capsys, dev_pki, signed / NS)
    assert code == 0, err
    assert out.startswith(f"verified {NS} v20260501000000")
    code, out, _ = verify(capsys, dev_pki, signed / NS, "--json")
    verdict = json.loads(out)
    assert verdict["verified"] is True
    assert verdict["namespace"] == NS
    assert verdict["signer"]["subject"] == "CN=ci"
    assert set(verdict["files"]) == set(FILES)
    expires = datetime.strptime(verdict["expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)


def test_tampered_file_is_refused_with_exit_3(
    dev_pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = signed / NS / "audit.rules"
    rules.write_bytes(rules.read_bytes().replace(b"-p wa", b"-p rr"))
    code, out, err = verify(capsys, dev_pki, signed / NS, "--json")
    assert code == ExitCode.VERIFICATION_REFUSED
    assert json.loads(out)["check"] == "file-hash"
    assert err.count("\n") == 1
    assert err.startswith("trails: error: file audit.rules does not match its signed SHA-256")


def test_oversized_file_is_refused(
    dev_pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = signed / NS / "osquery.conf"
    signed_size = conf.stat().st_size
    with conf.open("ab") as f:
        f.write(b" " * 100_000)
    code, out, err = verify(capsys, dev_pki, signed / NS, "--json")
    doc = json.loads(out)
    assert (code, doc["check"]) == (ExitCode.VERIFICATION_REFUSED, "file-size")
    # the true size, not the bounded read's signed size + 1
    assert doc["reason"] == (
        f"file osquery.conf is {signed_size + 100_000} bytes where the manifest says "
        f"{signed_size}, so it does not match the signed manifest (tampered or stale mirror); "
        "keep the installed config"
    )
    assert err == f"trails: error: {doc['reason']}\n"


def test_shorter_file_names_its_size(
    dev_pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = signed / NS / "osquery.conf"
    data = conf.read_bytes()
    conf.write_bytes(data[:-3])
    code, out, _ = verify(capsys, dev_pki, signed / NS, "--json")
    assert code == ExitCode.VERIFICATION_REFUSED
    reason = json.loads(out)["reason"]
    assert f"is {len(data) - 3} bytes where the manifest says {len(data)}" in reason
    assert "does not match the signed manifest (tampered or stale mirror)" in reason


def test_oversized_file_over_http_names_the_announced_size(
    dev_pki: DevPki, signed: Path, server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = signed / NS / "osquery.conf"
    size = conf.stat().st_size
    with conf.open("ab") as f:
        f.write(b"\n" * 7)
    code, out, _ = verify(capsys, dev_pki, f"{server}/{NS}/", "--json")
    doc = json.loads(out)
    assert (code, doc["check"]) == (ExitCode.VERIFICATION_REFUSED, "file-size")
    assert f"osquery.conf is {size + 7} bytes where the manifest says {size}" in doc["reason"]


def test_refusal_json_keys(
    dev_pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same keys as ``trails fetch --json`` (and ``trails report --json``) refusals."""
    rules = signed / NS / "audit.rules"
    rules.write_bytes(rules.read_bytes().replace(b"-p wa", b"-p rr"))
    code, out, err = verify(capsys, dev_pki, signed / NS, "--json")
    manifest = json.loads((signed / NS / "manifest.json").read_text())
    assert code == ExitCode.VERIFICATION_REFUSED
    assert json.loads(out) == {
        "verified": False,
        "check": "file-hash",
        "reason": err.removeprefix("trails: error: ").strip(),
        "namespace": NS,
        "version": manifest["version"],
    }
    (signed / NS / "audit.rules").unlink()
    (signed / NS / "release.dsse.json").write_text("{}")
    code, out, _ = verify(capsys, dev_pki, signed / NS, "--json")
    doc = json.loads(out)
    assert (doc["check"], doc["namespace"], doc["version"]) == ("envelope", NS, None)


def test_wrong_namespace_and_missing_file(
    dev_pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "verify",
        signed / NS,
        "--roots",
        dev_pki.roots,
        "--namespace",
        "linux/web",
        "--json",
    )
    assert (code, json.loads(out)["check"]) == (ExitCode.VERIFICATION_REFUSED, "namespace")
    (signed / NS / "osquery.conf").unlink()
    code, out, err = verify(capsys, dev_pki, signed / NS, "--json")
    assert code == ExitCode.TRANSPORT
    assert json.loads(out)["check"] == "transport"
    assert "cannot read" in err
    assert verify(capsys, dev_pki, signed / "nowhere")[0] == ExitCode.USAGE


def test_state_dir_enables_rollback_check(
    dev_pki: DevPki, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_dir = tmp_path / "state"
    state = AgentState(
        namespace=NS,
        version=20270101000000,
        config_version="20270101000000-abcdef1",
        expires="2030-01-01T00:00:00Z",
        files={},
        installed={},
        loaded_rules=(),
        envelope="",
        signer_subject="CN=ci",
        signer_fingerprint="00",
        verified_at="2026-01-01T00:00:00Z",
    )
    save_state(state_dir, state)
    code, out, _ = verify(capsys, dev_pki, signed / NS, "--state-dir", state_dir, "--json")
    assert (code, json.loads(out)["check"]) == (ExitCode.VERIFICATION_REFUSED, "rollback")
    # State for another namespace does not apply.
    code, out, err = run(
        capsys,
        "verify",
        signed / NS,
        "--roots",
        dev_pki.roots,
        "--namespace",
        NS,
        "--state-dir",
        tmp_path / "empty-state",
    )
    assert code == 0, err


def test_required_crl(dev_pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = verify(capsys, dev_pki, signed / NS, "--require-crl", "--json")
    assert (code, json.loads(out)["check"]) == (ExitCode.VERIFICATION_REFUSED, "crl")
    assert run(capsys, "pki", "crl", "--dir", dev_pki.dir)[0] == 0
    code, _, err = verify(
        capsys, dev_pki, signed / NS, "--require-crl", "--crl", dev_pki.dir / "crl.pem"
    )
    assert code == 0, err


def test_url_mode_over_real_http(
    dev_pki: DevPki, server: str, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = verify(capsys, dev_pki, f"{server}/{NS}/", "--json")
    assert code == 0, err
    assert json.loads(out)["version"] == 20260501000000
    (signed / NS / "release.dsse.json").write_bytes(b"{}" + b" " * (1024 * 1024))
    code, out, _ = verify(capsys, dev_pki, f"{server}/{NS}", "--json")
    assert (code, json.loads(out)["check"]) == (ExitCode.VERIFICATION_REFUSED, "size")
    code, out, err = verify(capsys, dev_pki, f"{server}/linux/none", "--json")
    assert code == ExitCode.TRANSPORT
    assert json.loads(out)["check"] == "transport"


def test_verify_is_a_host_command_without_click(
    dev_pki: DevPki, signed: Path, tmp_path: Path
) -> None:
    probe = (
        "import sys\n"
        "from trails.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n"
        "    print('CODE', exc.code, 'CLICK', 'click' in sys.modules)\n"
    )
    args = ["verify", str(signed / NS), "--roots", str(dev_pki.roots), "--namespace", NS]
    out = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "CODE 0 CLICK False"


def test_verify_usage_errors_are_exit_2(
    dev_pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.pem"
    code, _, err = run(capsys, "verify", signed / NS, "--roots", missing, "--namespace", NS)
    assert code == ExitCode.USAGE
    assert f"argument --roots: {missing} is not a readable file" in err
    code, _, err = run(capsys, "verify", signed / NS, "--roots", dev_pki.roots)
    assert code == ExitCode.USAGE
    assert "the following arguments are required: --namespace" in err
    code, out, _ = run(capsys, "verify", "--help")
    assert code == 0
    assert out.startswith("usage: trails verify [-h] --roots PEM --namespace NAMESPACE")


def test_crl_from_a_url(
    dev_pki: DevPki, server: str, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--crl may be an http(s) URL: a revocation there counts; an optional CRL the server
    does not have is skipped with a warning; a required one is a transport failure."""
    url = f"{server}/crl.pem"  # served from the release tree
    code, out, err = verify(capsys, dev_pki, signed / NS, "--crl", url, "--json")
    assert code == 0, err
    assert "CRL not checked" in json.loads(out)["warnings"][0]
    assert "warning: CRL not checked" in err
    code, out, _ = verify(capsys, dev_pki, signed / NS, "--crl", url, "--require-crl", "--json")
    assert (code, json.loads(out)["check"]) == (ExitCode.TRANSPORT, "transport")

    assert run(capsys, "pki", "crl", "--dir", dev_pki.dir)[0] == 0
    shutil.copy(dev_pki.dir / "crl.pem", signed / "crl.pem")
    code, out, err = verify(capsys, dev_pki, signed / NS, "--crl", url, "--require-crl", "--json")
    assert code == 0, err
    assert "warnings" not in json.loads(out)

    leaf = x509.load_pem_x509_certificates(dev_pki.chain("ci").read_bytes())[0]
    assert run(capsys, "pki", "revoke", f"{leaf.serial_number:x}", "--dir", dev_pki.dir)[0] == 0
    assert run(capsys, "pki", "crl", "--dir", dev_pki.dir)[0] == 0
    shutil.copy(dev_pki.dir / "crl.pem", signed / "crl.pem")
    code, out, _ = verify(capsys, dev_pki, signed / NS, "--crl", url, "--json")
    assert (code, json.loads(out)["check"]) == (ExitCode.VERIFICATION_REFUSED, "revocation")
