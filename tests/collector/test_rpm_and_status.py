"""rpm_packages (through the rpm binary) and the agent's trails_status/trails_audit_rules."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from trails.collector.database import open_host_db, query
from trails.collector.interface import Host
from trails.models.status import AUDIT_RULES, STATUS

SPEC = """\
Name: trailstest
Version: 1.2
Release: 3
Epoch: 4
Summary: test
License: MIT
Vendor: Trails
Group: System/Test
BuildArch: noarch
%description
test
%files
"""


def _q(host: Host, sql: str) -> list[dict[str, Any]]:
    return query(open_host_db(host), sql)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for base, _, files in os.walk(root):
        for name in files:
            info = os.stat(os.path.join(base, name))
            found[os.path.join(base, name)] = (info.st_size, info.st_mtime_ns)
    return found


@pytest.mark.skipif(
    shutil.which("rpmbuild") is None, reason="rpm is not installed (make system-deps)"
)
def test_rpm_packages_from_a_root_database(tmp_path: Path) -> None:
    spec = tmp_path / "t.spec"
    spec.write_text(SPEC)
    top = tmp_path / "top"
    subprocess.run(
        ["rpmbuild", "--define", f"_topdir {top}", "-bb", str(spec)],
        check=True,
        capture_output=True,
    )
    package = next(top.rglob("*.rpm"))
    root = tmp_path / "root"
    rpm = ["rpm", "--root", str(root), "--dbpath", "/var/lib/rpm"]
    subprocess.run([*rpm, "--initdb"], check=True)
    subprocess.run(
        [*rpm, "-i", "--justdb", "--nodeps", "--nosignature", str(package)],
        check=True,
        capture_output=True,
    )
    db = root / "var/lib/rpm"
    for name in ("rpmdb.sqlite-shm", "rpmdb.sqlite-wal", ".rpm.lock"):
        (db / name).unlink(missing_ok=True)
    before = _snapshot(root)
    rows = _q(Host(root), "SELECT * FROM rpm_packages")
    assert _snapshot(root) == before  # nothing written under the root
    assert len(rows) == 1
    row = rows[0]
    assert isinstance(row["install_time"], int)
    assert row["install_time"] > 0
    assert isinstance(row["sha1"], str)
    assert len(row["sha1"]) == 40
    del row["install_time"], row["sha1"]
    assert row == {
        "name": "trailstest",
        "version": "1.2",
        "release": "3",
        "source": "trailstest-1.2-3.src.rpm",
        "size": 0,
        "arch": "noarch",
        "epoch": 4,
        "vendor": "Trails",
        "package_group": "System/Test",
    }
    assert _q(Host(root), "SELECT name FROM rpm_packages WHERE name = 'other'") == []
    assert _q(Host(root), "SELECT name FROM rpm_packages WHERE name = 'trailstest'") == [
        {"name": "trailstest"}
    ]


def test_rpm_packages_without_database(tmp_path: Path) -> None:
    (tmp_path / "var/lib/rpm").mkdir(parents=True)
    assert _q(Host(tmp_path), "SELECT * FROM rpm_packages") == []


def _agent_db(root: Path) -> sqlite3.Connection:
    path = root / "var/lib/trails/trails.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute(STATUS.ddl())
    conn.execute(AUDIT_RULES.ddl())
    return conn


def test_trails_status_and_audit_rules(tmp_path: Path) -> None:
    conn = _agent_db(tmp_path)
    values = {c: f"v-{c}" for c in STATUS.columns}
    values["audit_enabled"] = 2  # type: ignore[assignment]  # as an INTEGER, shown as text
    conn.execute(
        f"INSERT INTO status ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",  # noqa: S608
        list(values.values()),
    )
    conn.execute(
        "INSERT INTO audit_rules VALUES ('1', '-w /etc/passwd -p wa -k identity', 'identity', NULL)"
    )
    # the columns' TEXT affinity stores 2 and 1.5 as text, which the ATC query returns
    conn.execute("INSERT INTO audit_rules VALUES (2, '-a always,exit', '', 1.5)")
    conn.commit()
    conn.close()
    before = _snapshot(tmp_path)
    status = _q(Host(tmp_path), "SELECT * FROM trails_status")
    assert status == [{**{c: f"v-{c}" for c in STATUS.columns}, "audit_enabled": "2"}]
    rules = _q(Host(tmp_path), "SELECT * FROM trails_audit_rules")
    assert rules == [
        {
            "position": "1",
            "rule": "-w /etc/passwd -p wa -k identity",
            "key": "identity",
            "loaded_at": None,
        },
        {"position": "2", "rule": "-a always,exit", "key": "", "loaded_at": "1.5"},
    ]
    assert _snapshot(tmp_path) == before


def test_trails_status_missing_or_broken_db(tmp_path: Path) -> None:
    assert _q(Host(tmp_path), "SELECT * FROM trails_status") == []
    path = tmp_path / "var/lib/trails/trails.db"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database" * 100)
    assert _q(Host(tmp_path), "SELECT * FROM trails_status") == []
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE status (namespace TEXT)")  # an older schema: the ATC query fails
    conn.close()
    assert _q(Host(tmp_path), "SELECT * FROM trails_status") == []
    assert _q(Host(tmp_path), "SELECT * FROM trails_audit_rules") == []
