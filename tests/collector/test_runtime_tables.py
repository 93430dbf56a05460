"""Runtime tables over a fake /proc, /sys and units file, and over this machine."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.collector.database import open_host_db, query
from trails.collector.interface import LIVE, Host, Runtime
from trails.collector.tables import kernel_info, kernel_modules, mounts, systemd_units
from trails.collector.tables._runtime import sql_int, to_int

RUNTIME_TABLES = (
    "kernel_modules",
    "mounts",
    "kernel_info",
    "processes",
    "systemd_units",
    "apparmor_profiles",
    "selinux_settings",
)

MODULES = (
    "nf_nat 49152 2 xt_MASQUERADE,nft_chain_nat, Live 0xffffffffc0a1f000\n"
    "usb_storage 77824 0 - Live 0x0000000000000000 (E)\n"
    "broken line\n"
    "\n"
)
MOUNTS = (
    "/dev/sda1 / ext4 rw,relatime,errors=remount-ro 0 0\n"
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec 0 0\n"
    "# a comment\n"
    "/dev/sdb1 /media/my\\040disk vfat ro 0 0\n"
    "selinuxfs /sys/fs/selinux selinuxfs rw,relatime 0 0\n"
)
CMDLINE = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=abcd ro quiet apparmor=1\n"
VERSION = "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP\n"
STAT = "42 (sshd: x) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 250 1 2 0 0 0\n"
STATUS = (
    "Name:\tsshd\nUmask:\t0022\nState:\tS (sleeping)\nPPid:\t1\n"
    "Uid:\t0\t1000\t0\t0\nGid:\t0\t100\t0\t0\nVmSize:\t   15000 kB\nVmRSS:\t    8000 kB\n"
)
UNITS = [
    {
        "id": "sshd.service",
        "description": "OpenBSD Secure Shell server",
        "load_state": "loaded",
        "active_state": "active",
        "sub_state": "running",
        "unit_file_state": "enabled",
        "fragment_path": "/lib/systemd/system/ssh.service",
        "user": "",
    },
    {
        "unit": "autofs.service",
        "load": "masked",
        "active": "inactive",
        "sub": "dead",
        "description": "autofs.service",
        "unit_file_state": "masked",
    },
    {"id": "job.target", "job_id": "17", "job_type": "start", "job_path": "/x/17"},
    {"id": "huge.timer", "job_id": 10**30},
    {"description": "no id"},
    "junk",
]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def host(tmp_path: Path) -> Host:
    root, proc, sys = tmp_path / "root", tmp_path / "proc", tmp_path / "sys"
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/sshd").write_text("")
    write(proc / "modules", MODULES)
    write(proc / "mounts", MOUNTS)
    write(proc / "cmdline", CMDLINE)
    write(proc / "version", VERSION)
    write(proc / "stat", "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n")
    write(proc / "42/stat", STAT)
    write(proc / "42/status", STATUS)
    write(proc / "42/cmdline", "/usr/sbin/sshd\0-D\0")
    write(proc / "42/cgroup", "0::/system.slice/ssh.service\n")
    write(proc / "42/io", "read_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 4096\n")
    (proc / "42/exe").symlink_to("/usr/sbin/sshd")
    (proc / "42/cwd").symlink_to("/")
    (proc / "42/root").symlink_to("/")
    write(proc / "7/status", "Name:\tgone\n")
    (proc / "7/exe").symlink_to("/usr/bin/gone (deleted)")
    write(proc / "8/status", "Name:\tbad\nVmRSS:\tlots\n")  # no number: osquery drops it
    write(proc / "9/stat", "9 no parenthesis\n")
    write(proc / "9/status", "Name:\tx\n")
    (proc / "self").mkdir()
    profiles = sys / "kernel/security/apparmor/policy/profiles"
    for directory, name, mode, digest in (
        ("usr.sbin.cupsd.1", "/usr/sbin/cupsd", "enforce", "sha256"),
        ("usr.sbin.cupsd.1/profiles/third_party.2", "third_party", "complain", "sha1"),
        ("broken.3", "broken", "enforce", None),
    ):
        write(profiles / directory / "name", name + "\n")
        write(profiles / directory / "mode", mode + "\n")
        write(profiles / directory / "attach", name + "\n")
        if digest is not None:
            write(profiles / directory / digest, "ab12\n")
    selinux = sys / "fs/selinux"
    write(selinux / "enforce", "1")
    write(selinux / "mls", "0")
    write(selinux / "booleans/ssh_sysadm_login", "0 0")
    write(selinux / "booleans/httpd_can_network_connect", "1 1")
    write(selinux / "booleans/pending", "0 1")
    write(selinux / "policy_capabilities/open_perms", "1")
    write(selinux / "class/file/index", "6")
    write(selinux / "class/file/perms/read", "1")
    units = tmp_path / "units.json"
    units.write_text(json.dumps(UNITS))
    return Host(root, Runtime(proc=proc, sys=sys, units=units))


def rows(host: Host, sql: str) -> list[dict[str, Any]]:
    return query(open_host_db(host), sql)


def test_kernel_modules(host: Host) -> None:
    assert rows(host, "SELECT * FROM kernel_modules") == [
        {
            "name": "nf_nat",
            "size": 49152,
            "used_by": "xt_MASQUERADE,nft_chain_nat",
            "status": "Live",
            "address": "0xffffffffc0a1f000",
        },
        {
            "name": "usb_storage",
            "size": 77824,
            "used_by": "-",
            "status": "Live",
            "address": "0x0000000000000000",
        },
    ]


def test_mounts_recorded_runtime_has_no_statfs(host: Host) -> None:
    found = rows(host, "SELECT * FROM mounts ORDER BY path")
    assert [(r["device"], r["path"], r["type"], r["flags"]) for r in found] == [
        ("/dev/sda1", "/", "ext4", "rw,relatime,errors=remount-ro"),
        ("tmpfs", "/dev/shm", "tmpfs", "rw,nosuid,nodev,noexec"),
        ("/dev/sdb1", "/media/my disk", "vfat", "ro"),
        ("proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime"),
        ("selinuxfs", "/sys/fs/selinux", "selinuxfs", "rw,relatime"),
    ]
    assert all(r["device_alias"] == r["device"] for r in found)
    assert all(r["blocks"] is None and r["inodes_free"] is None for r in found)


def test_mounts_parser_follows_getmntent() -> None:
    text = b"  a\tb  c d e f\n#x y z\n\nonly\n" + b"x /" + b"y" * 5000 + b" t o\nlast /l t"
    assert list(mounts.parse(text)) == [
        ("a", "b", "c", "d"),
        ("only", "", "", ""),
        # a line longer than getmntent's buffer keeps its first 4095 bytes only
        ("x", "/" + "y" * 4092, "", ""),
        ("last", "/l", "t", ""),
    ]


def test_kernel_info(host: Host) -> None:
    assert rows(host, "SELECT * FROM kernel_info") == [
        {
            "version": "6.1.0-18-amd64",
            "arguments": "ro quiet apparmor=1",
            "path": "/boot/vmlinuz-6.1.0-18-amd64",
            "device": "UUID=abcd",
        }
    ]


def test_kernel_info_without_files_still_has_its_row(tmp_path: Path) -> None:
    empty = Host(tmp_path, Runtime(proc=tmp_path / "proc", sys=tmp_path / "sys"))
    assert rows(empty, "SELECT * FROM kernel_info") == [
        {"version": None, "arguments": None, "path": None, "device": None}
    ]


def test_processes(host: Host) -> None:
    found = rows(host, "SELECT * FROM processes ORDER BY pid")
    assert [r["pid"] for r in found] == [7, 42]
    sshd = found[1]
    assert sshd == {
        "pid": 42,
        "name": "sshd",
        "path": "/usr/sbin/sshd",
        "cmdline": "/usr/sbin/sshd -D",
        "state": "S",
        "cwd": "/",
        "root": "/",
        "uid": 0,
        "gid": 0,
        "euid": 1000,
        "egid": 100,
        "suid": 0,
        "sgid": 0,
        "on_disk": 1,
        "wired_size": 0,
        "resident_size": 8000 * 1024,
        "total_size": 15000 * 1024,
        "user_time": 7 * (1000 // os.sysconf("SC_CLK_TCK")),
        "system_time": 3 * (1000 // os.sysconf("SC_CLK_TCK")),
        "disk_bytes_read": 4096,
        "disk_bytes_written": 4096,
        "start_time": 1700000000 + 250 // os.sysconf("SC_CLK_TCK"),
        "parent": 1,
        "pgroup": 42,
        "threads": 1,
        "nice": 0,
        "cgroup_path": "/system.slice/ssh.service",
    }
    gone = found[0]
    assert (gone["name"], gone["path"], gone["on_disk"], gone["state"], gone["uid"]) == (
        "gone",
        "/usr/bin/gone",
        0,
        "",
        None,
    )


def test_processes_pid_constraint(host: Host) -> None:
    assert rows(host, "SELECT name FROM processes WHERE pid = 42") == [{"name": "sshd"}]
    assert rows(host, "SELECT name FROM processes WHERE pid IN (8, 9, 1234)") == []


def test_systemd_units_from_file(host: Host) -> None:
    found = rows(host, "SELECT * FROM systemd_units")
    assert found[:3] == [
        {
            "id": "sshd.service",
            "description": "OpenBSD Secure Shell server",
            "load_state": "loaded",
            "active_state": "active",
            "sub_state": "running",
            "unit_file_state": "enabled",
            "following": "",
            "object_path": "/org/freedesktop/systemd1/unit/sshd_2eservice",
            "job_id": 0,
            "job_type": "",
            "job_path": "/",
            "fragment_path": "/lib/systemd/system/ssh.service",
            "user": "",
            "source_path": "",
        },
        {
            "id": "autofs.service",
            "description": "autofs.service",
            "load_state": "masked",
            "active_state": "inactive",
            "sub_state": "dead",
            "unit_file_state": "masked",
            "following": "",
            "object_path": "/org/freedesktop/systemd1/unit/autofs_2eservice",
            "job_id": 0,
            "job_type": "",
            "job_path": "/",
            "fragment_path": "",
            "user": "",
            "source_path": "",
        },
        {
            "id": "job.target",
            "description": "",
            "load_state": "",
            "active_state": "",
            "sub_state": "",
            "unit_file_state": "",
            "following": "",
            "object_path": "/org/freedesktop/systemd1/unit/job_2etarget",
            "job_id": 17,
            "job_type": "start",
            "job_path": "/x/17",
            "fragment_path": "",
            "user": "",
            "source_path": "",
        },
    ]
    assert found[3]["id"] == "huge.timer"
    assert found[3]["job_id"] is None


def test_systemd_object_path_escapes_like_systemd() -> None:
    assert systemd_units.object_path("1-a@b.service") == (
        "/org/freedesktop/systemd1/unit/_31_2da_40b_2eservice"
    )
    assert systemd_units.object_path("") == "/org/freedesktop/systemd1/unit/_"


def test_systemd_show_output() -> None:
    text = (
        "Id=ssh.socket\nDescription=SSH socket\nLoadState=loaded\nActiveState=active\n"
        "SubState=listening\nFollowing=\nUser=root\nUnitFileState=enabled\nJob=\n\n"
        "Id=sshd.service\nUser=sshd\nJob=12\nFragmentPath=/a=b\n"
    )
    found = list(systemd_units.parse_show(text))
    assert [(r["id"], r["user"], r["job_id"], r["job_path"]) for r in found] == [
        ("ssh.socket", "", 0, "/"),
        ("sshd.service", "sshd", 12, "/org/freedesktop/systemd1/job/12"),
    ]
    assert found[1]["fragment_path"] == "/a=b"


@pytest.mark.parametrize("text", ["", "{}", "[1, 2]", "not json", '[{"id": 5}]'])
def test_systemd_units_junk_file_is_empty(tmp_path: Path, text: str) -> None:
    units = tmp_path / "units.json"
    units.write_text(text)
    junk = Host(tmp_path, Runtime(proc=tmp_path / "proc", sys=tmp_path / "sys", units=units))
    assert rows(junk, "SELECT * FROM systemd_units") == []


def test_recorded_runtime_without_units_file_does_not_ask_systemd(tmp_path: Path) -> None:
    recorded = Host(tmp_path, Runtime(proc=tmp_path / "proc", sys=tmp_path / "sys"))
    assert rows(recorded, "SELECT * FROM systemd_units") == []


def test_apparmor_profiles(host: Host) -> None:
    assert rows(host, "SELECT * FROM apparmor_profiles ORDER BY path") == [
        {
            "path": "/usr/sbin/cupsd",
            "name": "/usr/sbin/cupsd",
            "attach": "/usr/sbin/cupsd",
            "mode": "enforce",
            "sha1": "",
            "sha256": "ab12",
        },
        {
            "path": "/usr/sbin/cupsd//third_party",
            "name": "third_party",
            "attach": "third_party",
            "mode": "complain",
            "sha1": "ab12",
            "sha256": "",
        },
    ]


def test_selinux_settings(host: Host) -> None:
    assert rows(host, "SELECT * FROM selinux_settings") == [
        {"scope": "", "key": "checkreqprot", "value": None},
        {"scope": "", "key": "deny_unknown", "value": None},
        {"scope": "", "key": "enforce", "value": "1"},
        {"scope": "", "key": "mls", "value": "0"},
        {"scope": "", "key": "policyvers", "value": None},
        {"scope": "", "key": "reject_unknown", "value": None},
        {"scope": "booleans", "key": "httpd_can_network_connect", "value": "on"},
        {"scope": "booleans", "key": "ssh_sysadm_login", "value": "off"},
        {"scope": "policy_capabilities", "key": "open_perms", "value": "1"},
        {"scope": "class", "key": "file/perms", "value": "read"},
    ]


def test_selinux_settings_need_a_selinuxfs_mount(tmp_path: Path) -> None:
    write(tmp_path / "proc/mounts", "proc /proc proc rw 0 0\n")
    write(tmp_path / "sys/fs/selinux/enforce", "1")
    plain = Host(tmp_path, Runtime(proc=tmp_path / "proc", sys=tmp_path / "sys"))
    assert rows(plain, "SELECT * FROM selinux_settings") == []


def test_time_is_now() -> None:
    (row,) = rows(Host(Path("/nonexistent")), "SELECT * FROM time")
    assert row["timezone"] == "UTC"
    assert row["datetime"] == row["iso_8601"]
    assert row["iso_8601"].startswith(f"{row['year']:04d}-{row['month']:02d}-{row['day']:02d}T")
    assert row["timestamp"].endswith(" UTC")


def test_runtime_tables_are_empty_without_a_runtime(host: Host) -> None:
    bare = Host(host.root)
    for table in RUNTIME_TABLES:
        assert rows(bare, f"SELECT * FROM {table}") == [], table  # noqa: S608


def test_live_machine() -> None:
    live = Host(Path("/"), LIVE)
    assert rows(live, "SELECT pid FROM processes")
    assert {"path": "/"} in rows(live, "SELECT path FROM mounts")
    assert rows(live, "SELECT * FROM kernel_info")[0]["version"]
    if Path("/proc/modules").exists():  # absent where the kernel has no module support
        assert rows(live, "SELECT name FROM kernel_modules")


@given(st.text())
def test_kernel_modules_parser_never_crashes(text: str) -> None:
    for row in kernel_modules.parse(text):
        assert set(row) == {"name", "size", "used_by", "status", "address"}
        assert row["size"] is None or -(1 << 63) <= int(row["size"]) < (1 << 63)


@given(st.binary() | st.text().map(str.encode))
def test_mounts_parser_never_crashes(data: bytes) -> None:
    for entry in mounts.parse(data):
        assert len(entry) == 4
        assert all(isinstance(field, str) for field in entry)


@given(st.text(), st.text())
def test_kernel_info_parser_never_crashes(cmdline: str, version: str) -> None:
    row = kernel_info.parse(cmdline, version)
    assert set(row) <= {"version", "arguments", "path", "device"}


@given(st.text())
def test_integer_casts_stay_in_range(text: str) -> None:
    value = sql_int(text)
    assert value is None or -(1 << 63) <= value < (1 << 63)
    small = sql_int(text, integer=True)
    assert small is None or -(1 << 31) <= small < (1 << 31)
    unsigned = to_int(text)
    assert unsigned is None or 0 <= unsigned < (1 << 64)
