"""Issue 12 items 3 and 6: what the agent trusts on the host, and the live kernel.

Item 3: ``agent.yaml``, the roots file, the state directory and what it holds (``state.json``,
``pending.json``, the lock) must belong to root (the user running trails) and be
writable by nobody else, or the run is refused with exit 7 before anything is read
from them. A journal may only rename a ``.trails-tmp-*`` file over a configured target
in that target's directory, and the agent deletes from the kernel only rules whose
key is one of trails' own (a key of a rule in trails' rules file).

Item 6: ``trails fetch --root DIR`` never touches the live kernel (``audit_load: none``)
unless ``--load-kernel-rules`` is given, and an update loads the new rules before it
deletes the old ones, so the kernel is never without trails' rules.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.kernel import AUDITCTL, delete_kernel_rules, kernel_rules
from tests.agent.conftest import Host
from tests.agent.test_cli_fetch import trails
from trails.agent.apply import Checkpoint
from trails.errors import ExitCode, TrailsError

pytestmark = pytest.mark.kernel

NOBODY = 65534


def _untrusted(h: Host, match: str) -> TrailsError:
    """The run is refused with exit 7 and leaves files, state and kernel rules alone."""
    before = h.snapshot()
    with pytest.raises(TrailsError, match=match) as info:
        h.agent().run()
    assert info.value.exit_code == ExitCode.UNTRUSTED
    assert "\n" not in str(info.value)
    assert h.snapshot() == before
    return info.value


def _last_result(h: Host) -> str:
    con = sqlite3.connect(h.status_db)
    ((result,),) = con.execute("SELECT last_result FROM status").fetchall()
    return str(result)


@pytest.fixture
def foreign_key() -> Iterator[str]:
    """A key of rules some other tool (the admin) loaded: trails must never delete them."""
    key = f"admin-test-{uuid.uuid4().hex[:12]}"
    try:
        yield key
    finally:
        delete_kernel_rules(key)


# -- item 3: the state directory --------------------------------------------------------
@pytest.mark.parametrize("mode", [0o620, 0o602])
def test_state_file_writable_by_others_is_refused(installed: Host, mode: int) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    h.state_file.chmod(mode)
    err = _untrusted(h, r"state\.json")
    assert "chmod" in str(err)
    assert _last_result(h) == "untrusted"


def test_state_file_of_another_user_is_refused(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    os.chown(h.state_file, NOBODY, NOBODY)
    _untrusted(h, r"state\.json")


def test_state_dir_writable_by_others_is_refused(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    h.state_file.parent.chmod(0o777)
    _untrusted(h, "var/lib/trails")


def test_lock_of_another_user_is_refused(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    os.chown(h.path("/var/lib/trails/lock"), NOBODY, NOBODY)
    _untrusted(h, "lock")


def test_journal_writable_by_others_is_refused(installed: Host) -> None:
    h = installed
    journal = h.path("/var/lib/trails/pending.json")
    journal.write_text(json.dumps({"renames": [], "rules": []}))
    journal.chmod(0o666)
    _untrusted(h, r"pending\.json")


def test_symlinked_state_file_is_refused(installed: Host, tmp_path: Path) -> None:
    h = installed
    elsewhere = tmp_path / "state-elsewhere.json"
    elsewhere.write_bytes(h.state_file.read_bytes())
    h.state_file.unlink()
    h.state_file.symlink_to(elsewhere)
    with pytest.raises(TrailsError, match="symlink") as info:
        h.agent().run()
    assert info.value.exit_code == ExitCode.UNTRUSTED


def test_journal_cannot_rename_over_another_file(installed: Host) -> None:
    h = installed
    victim = h.path("/etc/shadow")
    victim.write_text("root:$6$hash:19000::::::\n")
    evil = h.path("/etc/.trails-tmp-shadow.0123456789ab")
    evil.write_text("root::19000::::::\n")
    journal = h.path("/var/lib/trails/pending.json")
    journal.write_text(json.dumps({"renames": [[str(evil), str(victim)]], "rules": []}))
    journal.chmod(0o600)
    err = _untrusted(h, r"pending\.json")
    assert str(victim) in str(err)
    assert victim.read_text() == "root:$6$hash:19000::::::\n"
    assert evil.exists()


def test_journal_cannot_rename_a_foreign_file_over_a_target(installed: Host) -> None:
    h = installed
    evil = h.path("/etc/osquery/evil.conf")  # in the target's directory, not a trails temp
    evil.write_text('{"options": {"disable_events": true}}\n')
    journal = h.path("/var/lib/trails/pending.json")
    journal.write_text(json.dumps({"renames": [[str(evil), str(h.osquery_conf)]], "rules": []}))
    journal.chmod(0o600)
    _untrusted(h, r"pending\.json")
    assert evil.exists()


def test_journal_cannot_rename_from_another_directory(installed: Host, tmp_path: Path) -> None:
    h = installed
    evil = tmp_path / f".trails-tmp-{h.osquery_conf.name}.0123456789ab"
    evil.write_text('{"options": {}}\n')
    journal = h.path("/var/lib/trails/pending.json")
    journal.write_text(json.dumps({"renames": [[str(evil), str(h.osquery_conf)]], "rules": []}))
    journal.chmod(0o600)
    _untrusted(h, r"pending\.json")


def _load(rule: str) -> None:
    subprocess.run([AUDITCTL, *rule.split()], check=True, capture_output=True)


def test_forged_state_cannot_unload_foreign_rules(installed: Host, foreign_key: str) -> None:
    h = installed
    admin_rule = f"-w /etc/group -p wa -k {foreign_key}"
    _load(admin_rule)
    doc = json.loads(h.state_file.read_text())
    doc["loaded_rules"] = [*doc["loaded_rules"], admin_rule]
    h.state_file.write_text(json.dumps(doc))  # root-owned, 0600: a "trusted" forgery
    h.repo.publish(101, h.files(101))
    result = h.agent().run()
    assert result.outcome == "installed"
    assert kernel_rules(foreign_key) == [admin_rule]  # never deleted
    assert any(foreign_key in w for w in result.warnings)
    assert len(kernel_rules(h.key)) == 2


def test_forged_journal_cannot_unload_foreign_rules(installed: Host, foreign_key: str) -> None:
    h = installed
    admin_rule = f"-w /etc/group -p wa -k {foreign_key}"
    _load(admin_rule)
    journal = h.path("/var/lib/trails/pending.json")
    journal.write_text(json.dumps({"renames": [], "rules": [admin_rule]}))
    journal.chmod(0o600)
    h.repo.publish(101, h.files(101))
    assert h.agent().run().outcome == "installed"
    assert kernel_rules(foreign_key) == [admin_rule]


# -- item 3: agent.yaml -------------------------------------------------------------------
@pytest.mark.parametrize("mode", [0o664, 0o646])
def test_config_writable_by_others_is_refused(installed: Host, mode: int) -> None:
    h = installed
    h.config_path.chmod(mode)
    with pytest.raises(TrailsError, match=r"agent\.yaml") as info:
        _ = h.config
    assert info.value.exit_code == ExitCode.UNTRUSTED
    out = trails("fetch", "--config", str(h.config_path), "--root", str(h.root))
    assert out.returncode == ExitCode.UNTRUSTED
    assert out.stderr.count("\n") == 1
    assert "chmod go-w" in out.stderr


def test_config_of_another_user_is_refused(installed: Host) -> None:
    h = installed
    os.chown(h.config_path, NOBODY, NOBODY)
    with pytest.raises(TrailsError, match=r"agent\.yaml") as info:
        _ = h.config
    assert info.value.exit_code == ExitCode.UNTRUSTED


def test_config_in_a_directory_others_can_write_is_refused(installed: Host) -> None:
    h = installed
    h.config_path.parent.chmod(0o777)
    try:
        with pytest.raises(TrailsError, match="writable by group or others") as info:
            _ = h.config
        assert info.value.exit_code == ExitCode.UNTRUSTED
    finally:
        h.config_path.parent.chmod(0o700)


def test_roots_writable_by_others_is_refused(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    h.path("/etc/trails/roots.pem").chmod(0o666)
    _untrusted(h, r"roots\.pem")


# -- item 6: --root and the live kernel -----------------------------------------------
def _fetch(h: Host, *extra: str) -> subprocess.CompletedProcess[str]:
    return trails("fetch", "--config", str(h.config_path), "--root", str(h.root), "--json", *extra)


def test_fetch_root_never_touches_the_kernel(host: Host) -> None:
    h = host
    h.repo.publish(100, h.files(100))
    out = _fetch(h)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["audit_rules_loaded"] == 0
    assert kernel_rules(h.key) == []  # before: auditctl -R DIR/etc/audit/rules.d/...
    assert h.rules_file.exists()
    assert json.loads(h.state_file.read_text())["loaded_rules"] == []
    # The live host's own rules with the same text are not deleted by the next update.
    for rule in h.files(100)["audit.rules"].decode().splitlines():
        _load(rule)
    live = kernel_rules(h.key)
    h.repo.publish(101, h.files(101))
    out = _fetch(h)
    assert out.returncode == 0, out.stderr
    assert kernel_rules(h.key) == live


def test_fetch_root_forgets_rules_a_state_says_were_loaded(installed: Host) -> None:
    h = installed  # installed by the agent itself, rules loaded and recorded
    live = kernel_rules(h.key)
    assert len(live) == 2
    h.repo.publish(101, h.files(101))
    out = _fetch(h)
    assert out.returncode == 0, out.stderr
    assert kernel_rules(h.key) == live  # before: deleted and loaded again


def test_fetch_root_with_load_kernel_rules_loads_them(host: Host) -> None:
    h = host
    h.repo.publish(100, h.files(100))
    out = _fetch(h, "--load-kernel-rules")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["audit_rules_loaded"] == 2
    assert len(kernel_rules(h.key)) == 2


def test_audit_load_none_in_the_config(host: Host) -> None:
    h = host
    h.config_path.write_text(h.config_path.read_text() + "audit_load: none\n")
    h.repo.publish(100, h.files(100))
    result = h.agent().run()
    assert (result.outcome, result.audit_rules_loaded) == ("installed", 0)
    assert kernel_rules(h.key) == []


def _record_kernel_rules(seen: dict[str, list[str]], key: str) -> Checkpoint:
    """A checkpoint that records the kernel's rules with this key at each point."""

    def checkpoint(point: str) -> None:
        seen.setdefault(point, kernel_rules(key))

    return checkpoint


def test_update_never_leaves_the_kernel_without_trails_rules(installed: Host) -> None:
    h = installed
    seen: dict[str, list[str]] = {}
    agent = h.agent()
    agent.installer.checkpoint = _record_kernel_rules(seen, h.key)
    h.repo.publish(101, h.files(101))  # the same rules, another osquery.conf
    assert agent.run().outcome == "installed"
    assert seen  # the checkpoints ran
    for point, rules in seen.items():
        assert len(rules) == 2, point  # before: none between unload and load
    assert len(kernel_rules(h.key)) == 2


def test_changed_rules_are_loaded_before_the_old_ones_go(installed: Host) -> None:
    h = installed
    old = kernel_rules(h.key)
    files = h.files(101)
    files["audit.rules"] = (
        f"-w /etc/hosts -p wa -k {h.key}\n-w /etc/passwd -p wa -k {h.key}\n"
    ).encode()
    seen: dict[str, list[str]] = {}
    agent = h.agent()
    agent.installer.checkpoint = _record_kernel_rules(seen, h.key)
    h.repo.publish(101, files)
    assert agent.run().outcome == "installed"
    assert seen["rules-loaded"] == [*old, f"-w /etc/passwd -p wa -k {h.key}"]
    assert kernel_rules(h.key) == [
        f"-w /etc/hosts -p wa -k {h.key}",
        f"-w /etc/passwd -p wa -k {h.key}",
    ]


def test_rules_missing_from_the_kernel_are_loaded_again(installed: Host) -> None:
    h = installed  # e.g. after a reboot that did not load rules.d
    delete_kernel_rules(h.key)
    h.repo.publish(101, h.files(101))
    assert h.agent().run().outcome == "installed"
    assert len(kernel_rules(h.key)) == 2
