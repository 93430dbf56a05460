"""Host states materialise as real roots: what the collector then reads from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trails.collector.database import open_host_db, query
from trails.collector.hoststate import materialise, merge
from trails.collector.interface import Host, Row


def _q(host: Host, sql: str) -> list[dict[str, Any]]:
    return query(open_host_db(host), sql)


def test_merge_replaces_packages_and_merges_files_and_runtime() -> None:
    base = {"files": {"/a": "1", "/b": "2"}, "packages": ["x"], "runtime": {"modules": ["m"]}}
    over = {"files": {"/b": None, "/c": "3"}, "packages": ["y"], "runtime": {"sysctl": {"k": "v"}}}
    assert merge(base, over) == {
        "files": {"/a": "1", "/b": None, "/c": "3"},
        "packages": ["y"],
        "runtime": {"modules": ["m"], "sysctl": {"k": "v"}},
    }


def test_files_modes_owners_and_a_removed_file(tmp_path: Path) -> None:
    host = materialise(
        {
            "files": {
                "/etc/shadow": {"content": "root:*:1::::::\n", "mode": "0640", "uid": 0, "gid": 42},
                "/etc/gone": None,
                "/etc/ssh/sshd_config.d": {"dir": True, "mode": "0700"},
            }
        },
        tmp_path,
    )
    rows = _q(host, "SELECT path, mode, gid FROM file WHERE path LIKE '/etc/%' ORDER BY path")
    assert rows == [
        {"path": "/etc/shadow", "mode": "0640", "gid": 42},
        {"path": "/etc/ssh/", "mode": "0755", "gid": 0},
    ]
    (sub,) = _q(host, "SELECT mode FROM file WHERE path = '/etc/ssh/sshd_config.d'")
    assert sub == {"mode": "0700"}
    assert host.runtime is None


def test_agent_status_and_rules_and_runtime(tmp_path: Path) -> None:
    host = materialise(
        {
            "agent": {
                "status": {"namespace": "linux", "last_attempt_at": "2020-01-01T00:00:00Z"},
                "audit_rules": ["-w /etc/localtime -p wa -k time-change"],
            },
            "runtime": {
                "sysctl": {"net.ipv4.ip_forward": "0"},
                "modules": ["usb-storage"],
                "mounts": ["tmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0"],
                "units": {"ssh.service": {"active_state": "active", "unit_file_state": "enabled"}},
            },
        },
        tmp_path,
    )
    (status,) = _q(host, "SELECT namespace, last_attempt_at FROM trails_status")
    assert status == {"namespace": "linux", "last_attempt_at": "2020-01-01T00:00:00Z"}
    (rule,) = _q(host, "SELECT rule, key FROM trails_audit_rules")
    assert rule == {"rule": "-w /etc/localtime -p wa -k time-change", "key": "time-change"}
    assert _q(host, "SELECT name FROM kernel_modules") == [{"name": "usb_storage"}]
    assert _q(host, "SELECT path, flags FROM mounts") == [
        {"path": "/tmp", "flags": "rw,nosuid,nodev,noexec"}
    ]
    (unit,) = _q(host, "SELECT id, active_state, unit_file_state FROM systemd_units")
    assert unit == {"id": "ssh.service", "active_state": "active", "unit_file_state": "enabled"}
    names = _q(
        host,
        "SELECT name, current_value FROM system_controls "
        "WHERE name IN ('kernel.ostype', 'net.ipv4.ip_forward') ORDER BY name",
    )
    assert names == [
        {"name": "kernel.ostype", "current_value": "Linux"},
        {"name": "net.ipv4.ip_forward", "current_value": "0"},
    ]


def test_an_emptied_table_drops_raw_rows_too(tmp_path: Path) -> None:
    host = materialise({}, tmp_path)
    raw: dict[str, list[Row]] = {"users": [{"uid": 0, "username": "root"}]}
    assert query(open_host_db(host, raw=raw), "SELECT username FROM users") == [
        {"username": "root"}
    ]
    assert query(open_host_db(host, raw=raw, empty=("users",)), "SELECT * FROM users") == []


def test_rpms_are_registered_in_a_real_rpm_database(tmp_path: Path) -> None:
    rpms = [
        {"name": "aide", "version": "0.16", "release": "100.el9", "arch": "x86_64"},
        {"name": "bash", "version": "5.1.8", "release": "9.el9", "arch": "x86_64", "epoch": 1},
    ]
    host = materialise({"rpms": rpms}, tmp_path / "a")
    assert (host.root / "var" / "lib" / "rpm" / "rpmdb.sqlite").is_file()
    rows = _q(host, "SELECT name, version, release, arch, epoch FROM rpm_packages ORDER BY name")
    assert rows == [
        {"name": "aide", "version": "0.16", "release": "100.el9", "arch": "x86_64", "epoch": None},
        {"name": "bash", "version": "5.1.8", "release": "9.el9", "arch": "x86_64", "epoch": 1},
    ]
    # the same set again comes from the cache, and an empty set is an empty database
    again = materialise({"rpms": rpms}, tmp_path / "b")
    assert len(_q(again, "SELECT * FROM rpm_packages")) == 2
    assert _q(materialise({"rpms": []}, tmp_path / "c"), "SELECT * FROM rpm_packages") == []
