"""Install transaction, state file, status DB and the real auditctl loader."""

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
from trails.agent.apply import (
    AuditctlLoader,
    AuditLoadError,
    AuditRulesRefused,
    AugenrulesLoader,
    Change,
    CommandRunner,
    Installer,
    ReloadError,
    delete_argv,
    rule_lines,
    run_reload,
)
from trails.agent.files import (
    InstallIOError,
    exclusive_lock,
    read_optional,
)
from trails.agent.state import AgentState, StateError, load_state, parse_state, save_state
from trails.agent.statusdb import rule_key, write_status
from trails.errors import UsageError
from trails.fileio import atomic_write, replace


def test_install_replaces_files_and_restore_puts_them_back(tmp_path: Path) -> None:
    a, b = tmp_path / "etc/a.conf", tmp_path / "etc/sub/b.rules"
    atomic_write(a, b"old a")
    inst = Installer(tmp_path / "state")
    backup = inst.install([Change(a, b"new a"), Change(b, b"new b", 0o640)], ["-w /x"])
    assert a.read_bytes() == b"new a"
    assert b.read_bytes() == b"new b"
    assert b.stat().st_mode & 0o777 == 0o640
    assert inst.journal.exists()
    inst.restore(backup)
    assert a.read_bytes() == b"old a"
    assert not b.exists()
    assert not inst.journal.exists()
    assert not list(tmp_path.rglob(".trails-tmp-*"))


def test_recover_rolls_a_torn_install_forward(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    atomic_write(a, b"old a")
    atomic_write(b, b"old b")
    points: list[str] = []

    def crash(point: str) -> None:
        points.append(point)
        if point == "replaced:a":
            raise KeyboardInterrupt  # a kill between the two renames

    inst = Installer(tmp_path / "state", crash)
    with pytest.raises(KeyboardInterrupt):
        inst.install([Change(a, b"new a"), Change(b, b"new b")], ["-w /etc/x -k k"])
    assert points == ["temps-written", "journal-written", "replaced:a"]
    assert (a.read_bytes(), b.read_bytes()) == (b"new a", b"old b")
    rules = Installer(tmp_path / "state").recover([a, b])
    assert (a.read_bytes(), b.read_bytes()) == (b"new a", b"new b")
    assert rules == ("-w /etc/x -k k",)


def test_removal_is_rolled_forward_only_for_a_configured_target(tmp_path: Path) -> None:
    a, b, other = tmp_path / "a", tmp_path / "b.rules", tmp_path / "other"
    for path in (a, b, other):
        atomic_write(path, b"old")

    def crash(point: str) -> None:
        if point == "replaced:a":
            raise KeyboardInterrupt  # killed before the removal

    with pytest.raises(KeyboardInterrupt):
        Installer(tmp_path / "state", crash).install([Change(a, b"new"), Change(b, None)], [])
    assert b.exists()
    journal = tmp_path / "state/pending.json"
    doc = json.loads(journal.read_bytes())
    doc["removes"].append(str(other))  # a forged entry naming a path trails does not manage
    journal.write_text(json.dumps(doc))
    Installer(tmp_path / "state").recover([a, b])
    assert (a.read_bytes(), b.exists(), other.read_bytes()) == (b"new", False, b"old")


def test_restore_puts_back_a_removed_file_with_its_mode(tmp_path: Path) -> None:
    b = tmp_path / "b.rules"
    atomic_write(b, b"old", mode=0o600)
    inst = Installer(tmp_path / "state")
    backup = inst.install([Change(b, None)], [])
    assert not b.exists()
    inst.restore(backup)
    assert (b.read_bytes(), b.stat().st_mode & 0o777) == (b"old", 0o600)


def test_a_target_that_is_not_a_regular_file_is_refused_before_any_change(
    tmp_path: Path,
) -> None:
    a, fifo = tmp_path / "a", tmp_path / "fifo"
    atomic_write(a, b"old")
    os.mkfifo(fifo)  # opening it to back it up would block forever
    with pytest.raises(InstallIOError, match="is not a regular file"):
        Installer(tmp_path / "state").install([Change(a, b"new"), Change(fifo, b"x")], [])
    assert a.read_bytes() == b"old"
    assert not list(tmp_path.glob(".trails-tmp-*"))


def test_recover_removes_temps_of_an_install_that_never_started(tmp_path: Path) -> None:
    a = tmp_path / "a"
    atomic_write(a, b"old")
    (tmp_path / ".trails-tmp-a.xyz").write_bytes(b"half")
    (tmp_path / "state").mkdir()
    (tmp_path / "state/pending.json").write_bytes(b"{torn")
    assert Installer(tmp_path / "state").recover([a, tmp_path / "missing/b"]) == ()
    assert a.read_bytes() == b"old"
    assert not (tmp_path / ".trails-tmp-a.xyz").exists()


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount tmpfs: {proc.stderr!r}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_disk_full_fails_before_anything_is_replaced(tmp_path: Path, tiny_fs: Path) -> None:
    a, b = tiny_fs / "a.conf", tiny_fs / "b.rules"
    atomic_write(a, b"old a")
    atomic_write(b, b"old b")
    inst = Installer(tmp_path / "state")
    with pytest.raises(InstallIOError, match="No space left on device; the previous files"):
        inst.install([Change(a, b"small"), Change(b, b"x" * 200_000)], [])
    assert (a.read_bytes(), b.read_bytes()) == (b"old a", b"old b")
    assert sorted(p.name for p in tiny_fs.iterdir()) == ["a.conf", "b.rules"]
    assert not inst.journal.exists()


def test_journal_write_failure_cleans_temps(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_bytes(b"a file where the state directory should be")
    a = tmp_path / "a"
    with pytest.raises(InstallIOError):
        Installer(state).install([Change(a, b"new")], [])
    assert not a.exists()
    assert not list(tmp_path.glob(".trails-tmp-*"))


def test_read_optional_bounds(tmp_path: Path) -> None:
    p = tmp_path / "f"
    assert read_optional(p, 10) is None
    p.write_bytes(b"12345")
    assert read_optional(p, 5) == b"12345"
    with pytest.raises(InstallIOError, match="larger than 4 bytes"):
        read_optional(p, 4)
    with pytest.raises(InstallIOError, match="could not read"):
        read_optional(tmp_path, 4)


def test_rule_lines_keeps_rules_and_applies_the_control_rule_set() -> None:
    text = "# c\n\n-w /etc/hosts -p wa -k k\n-a always,exit -S openat -k k\n-A exit,always -k k\n"
    assert len(rule_lines(text)) == 3
    for ok in ("-b 8192", "-f 2", "-r 0", "--loginuid-immutable", "--backlog_wait_time=60000"):
        assert len(rule_lines(ok + "\n" + text + "-e 2\n")) == 3  # settings, not rules
    for bad, why in (
        ("-D", "deletes every rule"),
        ("-e 0", "turns auditing off"),
        ("-i", "ignore errors"),
        ("-e 2\n-w /x -k k", "must be the last line"),
        ("-R /etc/other.rules", "not a control line a trails release may carry"),
    ):
        with pytest.raises(AuditRulesRefused, match=why) as info:
            rule_lines(text + bad + "\n")
        assert info.value.check == "audit-rules"


def test_delete_argv() -> None:
    assert delete_argv("-a always,exit -F key=k") == ["-d", "always,exit", "-F", "key=k"]
    assert delete_argv("-A exit,always -k k") == ["-d", "exit,always", "-k", "k"]
    assert delete_argv("-w '/etc/a b' -p wa -k k") == ["-W", "/etc/a b", "-p", "wa", "-k", "k"]


@pytest.fixture
def key() -> Iterator[str]:
    k = f"trails-test-{uuid.uuid4().hex[:12]}"
    try:
        yield k
    finally:
        delete_kernel_rules(k)


@pytest.mark.kernel
def test_auditctl_loader_touches_only_its_rules(tmp_path: Path, key: str) -> None:
    other = f"{key}-other"
    try:
        subprocess.run([AUDITCTL, "-w", "/etc/group", "-p", "wa", "-k", other], check=True)
        loader = AuditctlLoader(AUDITCTL, CommandRunner(10))
        old = [f"-w /etc/hosts -p wa -k {key}"]
        new = [f"-a always,exit -F arch=b64 -S openat -F dir=/etc/ssh -F key={key}"]
        f = tmp_path / "r.rules"
        f.write_text("\n".join(old) + "\n")
        loader.load(f, old)
        assert len(kernel_rules(key)) == 1
        loader.unload(old)
        f.write_text("\n".join(new) + "\n")
        loader.load(f, new)
        assert kernel_rules(key) == [new[0]]
        loader.unload(old)  # already gone: not an error
        assert kernel_rules(other) == [f"-w /etc/group -p wa -k {other}"]
        listed = loader.list_rules()
        assert new[0] in listed
        loader.load(f, [])  # nothing to load is a no-op
        f.write_text(f"-a always,exit -S no_such_call -k {key}\n")
        with pytest.raises(AuditLoadError, match=r"auditctl -R .* failed"):
            loader.load(f, ["x"])
        with pytest.raises(AuditLoadError, match="could not delete"):
            loader.unload([f"-a always,exit -S no_such_call -k {key}"])
    finally:
        delete_kernel_rules(other)


def test_audit_enabled_is_read_from_auditctl_status(tmp_path: Path) -> None:
    run = CommandRunner(5)
    status = subprocess.run([AUDITCTL, "-s"], capture_output=True, text=True, check=True)
    expected = next(
        line.split()[1] for line in status.stdout.splitlines() if line.startswith("enabled ")
    )
    assert AuditctlLoader(AUDITCTL, run).audit_enabled() == expected
    script = tmp_path / "auditctl"
    script.write_text("#!/bin/sh\necho 'enabled banana'\n")
    script.chmod(0o755)
    with pytest.raises(AuditLoadError, match="did not report 'enabled'"):
        AuditctlLoader(str(script), run).audit_enabled()
    with pytest.raises(AuditLoadError, match="did not report 'enabled'"):
        AuditctlLoader("false", run).audit_enabled()


def test_status_db_from_an_older_agent_gets_the_new_columns(tmp_path: Path) -> None:
    db = tmp_path / "trails.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE status (namespace TEXT, version TEXT)")  # an older layout
    con.execute("INSERT INTO status VALUES ('old', '1')")
    con.commit()
    con.close()
    write_status(db, {"namespace": "linux", "audit_enabled": "2"}, None, "T")
    con = sqlite3.connect(db)
    assert con.execute("SELECT namespace, audit_enabled FROM status").fetchall() == [("linux", "2")]


def test_command_failures_are_one_line_errors(tmp_path: Path) -> None:
    run = CommandRunner(5)
    with pytest.raises(AuditLoadError, match="could not run"):
        AuditctlLoader(str(tmp_path / "nope"), run).list_rules()
    with pytest.raises(AuditLoadError, match="auditctl -l failed"):
        AuditctlLoader("false", run).list_rules()
    aug = AugenrulesLoader("true", "false", run)
    aug.unload(["-w /x"])
    with pytest.raises(AuditLoadError, match="augenrules --load failed"):
        aug.load(tmp_path, [])
    AugenrulesLoader("true", "true", run).load(tmp_path, [])
    run_reload((), run)
    run_reload(("true",), run)
    with pytest.raises(ReloadError, match="reload command false failed"):
        run_reload(("false",), run)
    with pytest.raises(ReloadError, match="could not run"):
        run_reload((str(tmp_path / "nope"),), run)
    with pytest.raises(AuditLoadError, match="could not run sleep"):
        CommandRunner(0.1)(["sleep", "5"])


def _state(**kw: object) -> AgentState:
    fields: dict[str, object] = {
        "namespace": "linux",
        "version": 3,
        "config_version": "20260101000000-abcdef1",
        "expires": "2026-12-01T00:00:00Z",
        "files": {"osquery.conf": "ab" * 32},
        "installed": {"/etc/osquery/osquery.conf": "cd" * 32},
        "loaded_rules": ("-w /x -k k",),
        "envelope": "{}",
        "signer_subject": "CN=s",
        "signer_fingerprint": "ef" * 32,
        "verified_at": "2026-11-01T00:00:00Z",
        "etag": '"e"',
    }
    fields.update(kw)
    return AgentState(**fields)  # type: ignore[arg-type]


def test_state_round_trips_atomically(tmp_path: Path) -> None:
    assert load_state(tmp_path) is None
    save_state(tmp_path, _state())
    assert load_state(tmp_path) == _state()
    assert (tmp_path / "state.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        b'{"format": 2}',
        _state().to_bytes().replace(b'"version": 3', b'"version": "3"'),
        _state().to_bytes().replace(b'"version": 3', b'"version": true'),
        _state().to_bytes().replace(b'"format": 1', b'"format": 1, "x": 1'),
        _state(files={"a": 1}).to_bytes(),
        _state(loaded_rules=(1,)).to_bytes(),
    ],
)
def test_corrupt_state_is_refused_not_ignored(data: bytes) -> None:
    with pytest.raises(StateError, match=r"state\.json") as info:
        parse_state(data, "/var/lib/trails/state.json")
    assert isinstance(info.value, UsageError)


def test_status_db_rows(tmp_path: Path) -> None:
    db = tmp_path / "sub/trails.db"
    rules = ["-w /etc/hosts -p wa -k k1", "-a always,exit -S openat -F key=k2", "-a never,task"]
    write_status(db, {"namespace": "linux", "last_result": "ok"}, rules, "T")
    write_status(db, {"namespace": "linux", "last_result": "rollback"}, None, "T2")
    con = sqlite3.connect(db)
    assert con.execute("SELECT namespace, last_result, last_error FROM status").fetchall() == [
        ("linux", "rollback", "")
    ]
    assert con.execute("SELECT position, key, loaded_at FROM audit_rules").fetchall() == [
        ("1", "k1", "T"),
        ("2", "k2", "T"),
        ("3", "", "T"),
    ]
    assert rule_key("-k") == ""
    db.write_bytes(b"garbage, not a database" * 100)  # torn by a power cut
    write_status(db, {"namespace": "again"}, None, "T3")
    con = sqlite3.connect(db)
    assert con.execute("SELECT namespace FROM status").fetchall() == [("again",)]
    with pytest.raises(InstallIOError, match="status database"):
        write_status(tmp_path, {}, None, "T")


def test_atomic_write_failure_is_an_install_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(InstallIOError, match="could not create a temp file for"):
        atomic_write(tmp_path / "file" / "x", b"x")
    with pytest.raises(InstallIOError, match="could not install"):
        replace(tmp_path / "missing", tmp_path / "target")


def test_lock_file_that_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with (
        pytest.raises(InstallIOError, match="could not open the lock file"),
        exclusive_lock(tmp_path / "file" / "lock"),
    ):
        pass
