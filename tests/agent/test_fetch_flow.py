"""The happy paths of ``trails fetch`` against a real loopback mirror and the real kernel."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from testkit.kernel import AUDITCTL, kernel_rules
from testkit.repo import NOW, Repo
from testkit.server import Fault
from tests.agent.conftest import Host
from trails.agent.agent import NothingToInstall, RollbackIncomplete
from trails.agent.apply import AuditLoadError, AuditRulesRefused, ReloadError
from trails.agent.files import Busy, InstallIOError
from trails.agent.http import HTTPStatusError
from trails.agent.state import StateError
from trails.errors import UsageError
from trails.verify.errors import ReleaseExpiredError, SizeError

pytestmark = pytest.mark.kernel


def test_first_install_loads_rules_and_writes_status(installed: Host) -> None:
    h = installed
    assert h.osquery_conf.read_bytes() == h.files(100)["osquery.conf"]
    assert h.rules_file.read_bytes() == h.files(100)["audit.rules"]
    assert len(kernel_rules(h.key)) == 2
    con = sqlite3.connect(h.status_db)
    row = con.execute(
        "SELECT namespace, version, last_result, last_error, signer_fingerprint FROM status"
    ).fetchall()
    assert row[0][:4] == ("linux/web", "100", "ok", "")
    assert len(row[0][4]) == 64
    keys = [k for (k,) in con.execute("SELECT key FROM audit_rules")]
    assert keys.count(h.key) == 2
    # the kernel's audit enabled flag (CIS 6.3.3.20 reads it), as auditctl -s reports it
    status = subprocess.run([AUDITCTL, "-s"], capture_output=True, text=True, check=True)
    enabled = dict(line.split(" ", 1) for line in status.stdout.splitlines() if " " in line)
    assert con.execute("SELECT audit_enabled FROM status").fetchall() == [(enabled["enabled"],)]


def test_unchanged_release_is_a_304(installed: Host) -> None:
    before = installed.snapshot()
    n = len(installed.repo.mirror.requests)
    result = installed.agent().run()
    assert result.outcome == "unchanged"
    assert installed.repo.mirror.requests[n:][0][1].get("if-none-match")
    assert installed.repo.mirror.paths_requested()[n:] == ["linux/web/release.dsse.json"]
    assert installed.snapshot() == before


def test_update_replaces_files_and_rules(installed: Host) -> None:
    h = installed
    files = h.files(101)
    files["audit.rules"] = f"-w /etc/passwd -p wa -k {h.key}\n".encode()
    h.repo.publish(101, files)
    result = h.agent().run()
    assert result.outcome == "installed"
    assert h.osquery_conf.read_bytes() == files["osquery.conf"]
    assert kernel_rules(h.key) == [f"-w /etc/passwd -p wa -k {h.key}"]


def test_resigned_release_extends_expiry_without_reinstalling(installed: Host) -> None:
    h = installed
    h.repo.publish(100, h.files(100), expires=NOW + timedelta(days=20))
    result = h.agent().run()
    assert result.outcome == "renewed"
    assert result.expires == (NOW + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(kernel_rules(h.key)) == 2


def test_edited_install_is_repaired(installed: Host) -> None:
    installed.osquery_conf.write_bytes(b"{}")
    result = installed.agent().run()
    assert result.outcome == "installed"
    assert installed.osquery_conf.read_bytes() == installed.files(100)["osquery.conf"]


def test_freeze_on_304_is_refused_loudly(installed: Host) -> None:
    before = installed.snapshot()
    later = NOW + timedelta(days=8)
    with pytest.raises(ReleaseExpiredError, match="FREEZE") as info:
        installed.agent(clock=lambda: later).run()
    assert info.value.exit_code == 3
    assert installed.snapshot() == before
    con = sqlite3.connect(installed.status_db)
    assert con.execute("SELECT last_result FROM status").fetchall() == [("expired",)]


def test_kernel_refusing_a_rule_restores_old_files_and_rules(installed: Host) -> None:
    h = installed
    before = h.snapshot()
    files = h.files(101)
    # Parses fine, but this host has no such directory: the kernel says ENOENT.
    files["audit.rules"] += f"-w /nonexistent-{h.key}/x -p wa -k {h.key}\n".encode()
    h.repo.publish(101, files)
    with pytest.raises(AuditLoadError, match="previous rules restored") as info:
        h.agent().run()
    assert info.value.exit_code == 4
    assert h.snapshot() == before


def test_failing_reload_restores_old_files_and_rules(installed: Host) -> None:
    h = installed
    before = h.snapshot()
    files = h.files(101)
    files["audit.rules"] = f"-w /etc/passwd -p wa -k {h.key}\n".encode()
    h.repo.publish(101, files)
    h.config_path.write_text(h.config_path.read_text() + "osquery_reload: ['false']\n")
    with pytest.raises(ReloadError, match="reload command false failed"):
        h.agent().run()
    assert h.snapshot() == before


def test_disk_full_during_install_keeps_everything(installed: Host, tmp_path: Path) -> None:
    h = installed
    osquery_dir = h.osquery_conf.parent
    saved = h.osquery_conf.read_bytes()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(osquery_dir)],
        capture_output=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount tmpfs: {mount.stderr!r}")
    try:
        h.osquery_conf.write_bytes(saved)  # the installed file, now on the tiny disk
        (osquery_dir / "filler").write_bytes(b"f" * 8192)
        before = h.snapshot()
        files = h.files(101)
        files["osquery.conf"] += b" " * 20000  # does not fit
        h.repo.publish(101, files)
        with pytest.raises(InstallIOError, match="No space left on device") as info:
            h.agent().run()
        assert info.value.exit_code == 4
        assert h.snapshot() == before
        assert sorted(p.name for p in osquery_dir.iterdir()) == ["filler", "osquery.conf"]
    finally:
        subprocess.run(["umount", str(osquery_dir)], check=True)


def test_audit_rule_globs_are_expanded_on_the_host(host: Host) -> None:
    h = host
    cron = h.root / "etc/cron.d"
    cron.mkdir(parents=True)
    for name in ("backup", "logrotate"):
        (cron / name).write_text("")
    files = h.files(100)
    files["audit.rules"] = f"-w /etc/cron.d/* -p wa -k {h.key}\n".encode()
    h.repo.publish(100, files)
    result = h.agent().run()
    assert result.audit_rules_loaded == 2
    assert kernel_rules(h.key) == [
        f"-w {cron}/backup -p wa -k {h.key}",
        f"-w {cron}/logrotate -p wa -k {h.key}",
    ]
    assert h.rules_file.read_text().count(str(cron)) == 2


def test_rules_that_do_not_parse_are_refused_before_install(installed: Host) -> None:
    h = installed
    before = h.snapshot()
    files = h.files(101)
    files["audit.rules"] += b"-a always,nowhere -S openat\n"
    h.repo.publish(101, files)
    with pytest.raises(AuditRulesRefused, match=r"audit\.rules:3") as info:
        h.agent().run()
    assert info.value.exit_code == 3
    assert h.snapshot() == before


def test_a_failing_rollback_step_does_not_stop_the_others(installed: Host) -> None:
    h = installed
    before = h.snapshot()
    files = h.files(101)
    files["audit.rules"] = f"-w /etc/passwd -p wa -k {h.key}\n".encode()
    h.repo.publish(101, files)
    h.config_path.write_text(h.config_path.read_text() + "osquery_reload: ['false']\n")
    agent = h.agent()
    real_unload = agent.loader.unload
    new_rules = [f"-w /etc/passwd -p wa -k {h.key}"]

    def unload(rules: Sequence[str]) -> None:
        real_unload(rules)
        if list(rules) == new_rules:  # the rollback's unload of the new rules
            raise AuditLoadError("simulated: auditctl went away")

    agent.loader.unload = unload  # type: ignore[method-assign]
    with pytest.raises(RollbackIncomplete, match="rollback incomplete: simulated") as info:
        agent.run()
    assert "reload command false failed" in str(info.value)
    assert h.snapshot() == before  # the later steps (old rules, files) still ran


def test_optional_crl_that_cannot_be_fetched_is_a_warning(host: Host) -> None:
    h = host
    h.config_path.write_text(
        h.config_path.read_text() + f"crl_url: {h.repo.mirror.base_url}/crl.pem\n"
    )
    h.repo.publish(100, h.files(100))
    result = h.agent().run()
    assert result.outcome == "installed"
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("CRL not checked: GET")
    assert "HTTP 404" in result.warnings[0]


def test_required_crl_that_cannot_be_fetched_refuses(installed: Host) -> None:
    h = installed
    h.config_path.write_text(
        h.config_path.read_text()
        + f"crl_url: {h.repo.mirror.base_url}/crl.pem\nrequire_crl: true\n"
    )
    h.repo.publish(101, h.files(101))
    before = h.snapshot()
    with pytest.raises(HTTPStatusError, match=r"crl\.pem answered HTTP 404"):
        h.agent().run()
    assert h.snapshot() == before


def test_good_crl_and_augenrules_method(host: Host, tmp_path: Path) -> None:
    h = host
    log = tmp_path / "augenrules.log"
    script = tmp_path / "augenrules"
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    script.chmod(0o755)
    h.repo.mirror.put("crl.pem", h.repo.pki.crl() + h.repo.pki.crl(issuer=h.repo.pki.root))
    h.config_path.write_text(
        h.config_path.read_text()
        + f"crl_url: {h.repo.mirror.base_url}/crl.pem\nrequire_crl: true\n"
        + f"audit_load: augenrules\naugenrules: {script}\n"
    )
    h.repo.publish(100, h.files(100))
    result = h.agent().run()
    assert result.outcome == "installed"
    assert result.warnings == ()
    assert log.read_text() == "--load\n"
    assert kernel_rules(h.key) == []  # augenrules (here a recorder) owns loading


def test_missing_roots_file_is_a_usage_error(host: Host) -> None:
    (host.root / "etc/trails/roots.pem").unlink()
    host.repo.publish(100, host.files(100))
    with pytest.raises(UsageError, match=r"roots file .* does not exist"):
        host.agent().run()
    assert not host.osquery_conf.exists()


def test_release_without_installable_files_is_refused(host: Host) -> None:
    host.repo.publish(100, {"README.txt": b"nothing for the agent"})
    with pytest.raises(NothingToInstall, match=r"neither osquery\.conf nor audit\.rules"):
        host.agent().run()


def test_release_larger_than_the_total_cap_is_refused(host: Host) -> None:
    host.config_path.write_text(host.config_path.read_text() + "max_total_bytes: 100\n")
    host.repo.publish(100, host.files(100))
    with pytest.raises(SizeError, match="max_total_bytes"):
        host.agent().run()
    assert not host.osquery_conf.exists()


def test_host_moved_to_another_namespace(installed: Host) -> None:
    h = installed
    h.config_path.write_text(h.config_path.read_text().replace("linux/web", "linux/db"))
    repo_db = Repo(h.repo.mirror, h.repo.pki, namespace="linux/db")
    files = h.files(5)  # a lower version than linux/web's: no rollback across namespaces
    files["audit.rules"] = f"-w /etc/passwd -p wa -k {h.key}\n".encode()
    repo_db.publish(5, files)
    result = h.agent().run()
    assert (result.namespace, result.version) == ("linux/db", 5)
    assert kernel_rules(h.key) == [f"-w /etc/passwd -p wa -k {h.key}"]  # old ns rules gone


def test_corrupt_state_is_refused_and_recorded(installed: Host) -> None:
    installed.state_file.write_text("{ torn")
    with pytest.raises(StateError, match=r"state\.json is not JSON"):
        installed.agent().run()
    con = sqlite3.connect(installed.status_db)
    assert con.execute("SELECT last_result, namespace FROM status").fetchall() == [("usage", "")]


def test_state_write_failure_after_reload_reloads_the_old_config(
    installed: Host, tmp_path: Path
) -> None:
    h = installed
    log = tmp_path / "reloads"
    h.config_path.write_text(
        h.config_path.read_text() + f"osquery_reload: [sh, -c, 'echo reload >> {log}']\n"
    )
    before = h.snapshot()
    h.repo.publish(101, h.files(101))
    agent = h.agent()

    def fail_at_state(point: str) -> None:
        if point == "rules-loaded":  # make state.json unwritable after the reload
            h.state_file.chmod(0o600)
            h.state_file.rename(h.state_file.with_suffix(".saved"))
            h.state_file.mkdir()

    agent.installer.checkpoint = fail_at_state
    with pytest.raises(InstallIOError, match=r"state\.json"):
        agent.run()
    h.state_file.rmdir()
    h.state_file.with_suffix(".saved").rename(h.state_file)
    assert h.snapshot() == before
    assert log.read_text() == "reload\nreload\n"  # new config, then the old one again


def test_a_second_concurrent_run_is_refused(installed: Host) -> None:
    import fcntl

    before = installed.snapshot()
    lock = installed.path("/var/lib/trails/lock")
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(Busy, match="another trails fetch holds") as info:
            installed.agent().run()
    assert info.value.exit_code == 4
    assert installed.snapshot() == before
    assert installed.agent().run().outcome == "unchanged"  # released: runs again


def test_server_without_validators_sending_the_same_envelope(installed: Host) -> None:
    h = installed
    state = json.loads(h.state_file.read_text())
    state["etag"] = state["last_modified"] = None  # as if the server sent neither
    h.state_file.write_text(json.dumps(state))
    before = h.snapshot()
    n = len(h.repo.mirror.requests)
    assert h.agent().run().outcome == "unchanged"
    assert "if-none-match" not in h.repo.mirror.requests[n][1]
    assert h.snapshot() == before
    with pytest.raises(ReleaseExpiredError, match="FREEZE"):
        h.agent(clock=lambda: NOW + timedelta(days=8)).run()


def test_a_mirror_that_sends_chunked_bodies_installs(installed: Host) -> None:
    h = installed
    files = h.files(101)
    h.repo.publish(101, files)
    for name in ("release.dsse.json", "osquery.conf", "audit.rules"):
        h.repo.mirror.faults[f"linux/web/{name}"] = Fault("chunked")
    result = h.agent().run()
    assert (result.outcome, result.version) == ("installed", 101)
    assert h.osquery_conf.read_bytes() == files["osquery.conf"]
