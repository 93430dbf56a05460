"""``trails fetch`` as a whole process: exit codes, output, crashes, and what it imports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from testkit.kernel import kernel_rules
from tests.agent.conftest import Host

pytestmark = pytest.mark.kernel
REPO_ROOT = Path(__file__).parents[2]
HEAVY = ("jsonschema", "jinja2", "reportlab", "git", "duckdb")
# Needed to install, but never on the 304 path.
INSTALL_ONLY = ("cryptography", "trails.audit_rules")
# What a run that finds nothing new (304) must not pay for: the CLI framework, the YAML
# parser (agent.yaml comes from the cache), the stdlib HTTP client (it pulls in email
# and ssl), TLS for a plain-http mirror, subprocess (auditctl -l runs via posix_spawn),
# and dataclasses (it imports inspect; the agent's records are NamedTuples).
NOT_ON_304 = ("click", "yaml", "http.client", "email", "ssl", "subprocess", "dataclasses")


def trails(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "trails", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )


def fetch(h: Host, *extra: str) -> subprocess.CompletedProcess[str]:
    # --root alone never touches the kernel (test_attacks_local.py); these tests load
    # their uniquely keyed rules into it, as a host's timer run does.
    root = ["--root", str(h.root), "--load-kernel-rules"]
    return trails("fetch", "--config", str(h.config_path), *root, *extra)


def test_install_then_unchanged_as_json(host: Host) -> None:
    host.repo.publish(100, host.files(100))
    first = fetch(host, "--json", "--once")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["outcome"] == "installed"
    assert doc["version"] == 100
    assert doc["audit_rules_loaded"] == 2
    assert str(host.osquery_conf) in doc["installed"]
    assert len(kernel_rules(host.key)) == 2
    second = fetch(host, "--json")
    assert second.returncode == 0
    assert json.loads(second.stdout)["outcome"] == "unchanged"
    human = fetch(host)
    assert "unchanged (304), still valid" in human.stdout
    assert "signer:  CN=publisher" in human.stdout


def test_human_output_of_an_install(host: Host) -> None:
    host.repo.publish(100, host.files(100))
    out = fetch(host)
    assert out.returncode == 0, out.stderr
    assert "linux/web v100 (00000000000100-abcdef1): verified and installed" in out.stdout
    assert "audit rules loaded: 2" in out.stdout


def test_refusal_is_exit_3_with_one_line(installed: Host) -> None:
    before = installed.snapshot()
    installed.repo.publish(101, installed.files(101), namespace="linux/db")
    out = fetch(installed, "--json")
    assert out.returncode == 3
    assert out.stderr.count("\n") == 1
    assert out.stderr.startswith("trails: error: release is for namespace 'linux/db'")
    # the keys of a `trails verify --json` refusal, plus the outcome
    assert json.loads(out.stdout) == {
        "outcome": "refused",
        "verified": False,
        "check": "namespace",
        "reason": out.stderr.strip().removeprefix("trails: error: "),
        "namespace": "linux/web",
        "version": 101,
    }
    assert installed.snapshot() == before


def test_size_mismatch_names_the_true_size(installed: Host) -> None:
    files = installed.files(101)
    installed.repo.publish(101, files)
    signed = len(files["osquery.conf"])
    for data in (files["osquery.conf"] + b" " * 9, files["osquery.conf"][:-4]):
        installed.repo.put_file("osquery.conf", data)
        out = fetch(installed, "--json")
        assert out.returncode == 3
        doc = json.loads(out.stdout)
        assert (doc["check"], doc["namespace"], doc["version"]) == ("file-size", "linux/web", 101)
        assert doc["reason"] == (
            f"file osquery.conf is {len(data)} bytes where the manifest says {signed}, so it "
            "does not match the signed manifest (tampered or stale mirror); keep the installed "
            "config"
        )


def test_transport_failure_is_exit_4(installed: Host) -> None:
    installed.repo.mirror.files.clear()
    out = fetch(installed, "--json")
    assert out.returncode == 4
    assert "HTTP 404" in out.stderr
    doc = json.loads(out.stdout)
    assert (doc["check"], doc["namespace"], doc["version"]) == ("transport", "linux/web", None)


def test_bad_config_is_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "agent.yaml"
    cfg.write_text("base_url: file:///etc\nnamespace: linux\nroots: /r.pem\n")
    out = trails("fetch", "--config", str(cfg))
    assert out.returncode == 2
    assert "base_url 'file:///etc' is not an http(s) URL" in out.stderr


def test_freeze_is_reported_loudly(host: Host) -> None:
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    host.repo.publish(100, host.files(100), expires=soon)
    assert fetch(host).returncode == 0
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.1)
    before = host.snapshot()
    out = fetch(host, "--json")
    assert out.returncode == 3
    assert "trails: WARNING: FREEZE" in out.stderr
    assert json.loads(out.stdout)["check"] == "expired"
    assert host.snapshot() == before


_PROBE = """
import sys
from trails.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = [m for m in {heavy!r} if m in sys.modules]
slow = [m for m in {slow!r} if m in sys.modules]
lazy = [m for m in {lazy!r} if m in sys.modules]
print("CODE", code, "HEAVY", ",".join(heavy), "LAZY", ",".join(lazy), "SLOW", ",".join(slow))
"""


def _probe(h: Host) -> str:
    args = ["fetch", "--config", str(h.config_path), "--root", str(h.root), "--load-kernel-rules"]
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _PROBE.format(heavy=HEAVY, lazy=INSTALL_ONLY, slow=NOT_ON_304),
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    return out.stdout.strip().splitlines()[-1]


def test_fetch_path_imports_nothing_heavy(host: Host) -> None:
    host.repo.publish(100, host.files(100))
    install = _probe(host)
    assert install.startswith("CODE 0 HEAVY  LAZY cryptography,trails.audit_rules SLOW")
    assert _probe(host) == "CODE 0 HEAVY  LAZY  SLOW"  # 304: none of them


_CRASHER = """
import os, signal, sys
from pathlib import Path
from trails.commands.fetch import make_agent
from trails.agent.config import load_config

config, root, point = sys.argv[1:]
agent = make_agent(load_config(Path(config)), Path(root))

def checkpoint(name):
    if name == point:
        os.kill(os.getpid(), signal.SIGKILL)

agent.installer.checkpoint = checkpoint
agent.run()
print("finished without reaching", point)
"""

POINTS = [
    "temps-written",
    "journal-written",
    "replaced:osquery.conf",
    "replaced:50-trails.rules",
    "old-rules-unloaded",
    "rules-loaded",
]


@pytest.mark.parametrize("point", POINTS)
def test_killed_between_writes_is_wholly_old_or_new(installed: Host, point: str) -> None:
    h = installed
    old = {p: p.read_bytes() for p in (h.osquery_conf, h.rules_file)}
    files = h.files(101)
    files["audit.rules"] = f"-w /etc/passwd -p wa -k {h.key}\n".encode()
    h.repo.publish(101, files)
    new = {h.osquery_conf: files["osquery.conf"], h.rules_file: files["audit.rules"]}
    proc = subprocess.run(
        [sys.executable, "-c", _CRASHER, str(h.config_path), str(h.root), point],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    for path, before in old.items():
        assert path.read_bytes() in (before, new[path]), f"{path} is torn after {point}"
    # The next run finishes the job: new files, exactly the new rules, consistent state.
    result = h.agent().run()
    assert result.version == 101
    for path, data in new.items():
        assert path.read_bytes() == data
    assert kernel_rules(h.key) == [f"-w /etc/passwd -p wa -k {h.key}"]
    assert not list(h.root.rglob(".trails-tmp-*"))
    assert h.agent().run().outcome == "unchanged"


def test_in_process_cli_install_refusal_and_freeze(
    host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    from trails.cli import main

    args = ["fetch", "--config", str(host.config_path), "--root", str(host.root)]
    host.repo.publish(100, host.files(100))
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0
    assert "verified and installed" in capsys.readouterr().out
    host.repo.publish(100, host.files(100), expires=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(SystemExit) as info:
        main([*args, "--json"])
    assert info.value.code == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out)["check"] == "expired"
    assert "trails: WARNING: release linux/web v100 expired" in captured.err


def test_fetch_help_is_argparse_and_the_group_lists_fetch() -> None:
    out = trails("fetch", "--help")
    assert out.returncode == 0
    assert out.stdout.startswith("usage: trails fetch [-h] [--config FILE]")
    assert "exit codes: 0 installed or unchanged" in out.stdout
    group = trails("--help")
    assert "fetch          Fetch, verify and install this host's release." in group.stdout


def test_bad_fetch_option_is_a_usage_error() -> None:
    out = trails("fetch", "--no-such-option")
    assert out.returncode == 2
    assert "unrecognized arguments: --no-such-option" in out.stderr


def test_debug_before_fetch_shows_the_traceback(tmp_path: Path) -> None:
    out = trails("--debug", "fetch", "--config", str(tmp_path / "missing.yaml"))
    assert out.returncode == 2
    assert "Traceback" in out.stderr
    assert out.stderr.rstrip().splitlines()[-1].startswith("trails: error: cannot read agent")


def test_click_group_forwards_fetch_arguments_unparsed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from trails.cli import cli

    missing = str(tmp_path / "missing.yaml")
    result = CliRunner().invoke(cli, ["fetch", "--config", missing])
    assert result.exit_code == 1  # a TrailsError, raised as it would be under cli.main
    assert f"cannot read agent config {missing}" in str(result.exception)
    usage = CliRunner().invoke(cli, ["fetch", "--help"])
    assert usage.exit_code == 0
    assert "usage: trails fetch" in usage.output


def test_in_process_json_outcome_with_a_warning(
    host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    from trails.cli import main

    host.config_path.write_text(
        host.config_path.read_text() + f"crl_url: {host.repo.mirror.base_url}/crl.pem\n"
    )
    host.repo.publish(100, host.files(100))
    args = ["fetch", "--config", str(host.config_path), "--root", str(host.root)]
    with pytest.raises(SystemExit) as info:
        main([*args, "--load-kernel-rules", "--json"])
    assert info.value.code == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert (doc["outcome"], doc["audit_rules_loaded"]) == ("installed", 2)
    assert doc["warnings"] == [captured.err.strip().removeprefix("trails: warning: ")]
    assert "CRL not checked: GET" in captured.err
