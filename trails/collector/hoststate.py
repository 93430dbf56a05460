"""Host states: a small description of a machine, laid out as a real root directory.

Pack fixtures and ``docs/accuracy.md`` describe hosts this way instead of writing
osquery rows by hand; the collector then reads the materialised root exactly as it
reads a real one, so ``augeas``, ``file``, ``system_controls`` and the rest come out
the way osquery produces them. The shape (YAML or JSON)::

    files:                         # host path -> content, or details, or null (absent)
      /etc/ssh/sshd_config: "PermitRootLogin no\\n"
      /etc/shadow: {content: "root:!:19000::::::\\n", mode: '0640', uid: 0, gid: 42}
      /etc/ssh/sshd_config.d: {dir: true}
      /etc/localtime: {link: /usr/share/zoneinfo/UTC}
    packages: [openssh-server, 'aide=0.17.4-1', {name: x, status: deinstall ok config-files}]
    rpms: [{name: aide, version: '0.16', release: 100.el9, arch: x86_64}]   # /var/lib/rpm
    agent:                         # the trails agent's status DB (/var/lib/trails/trails.db)
      status: {namespace: linux, last_result: ok}   # last_attempt_at defaults to now
      audit_rules: ['-w /etc/localtime -p wa -k time-change']   # `auditctl -l` lines
    runtime:                       # absent: not the running system (runtime tables empty)
      sysctl: {kernel.randomize_va_space: '2'}          # /proc/sys
      modules: [cramfs]                                 # /proc/modules
      mounts: ['/dev/sda2 /tmp ext4 rw,nosuid,nodev,noexec 0 0']   # /proc/mounts lines
      cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro'  # /proc/cmdline
      units: {ssh.service: {active_state: active, unit_file_state: enabled}}
      apparmor: {/usr/sbin/cupsd: enforce}   # loaded profiles: name -> mode (/sys)
      selinux: {enforce: '1'}               # selinuxfs mounted; its root files (/sys/fs/selinux)
      processes:                  # /proc/<pid>/{stat,status,cmdline,comm,exe,fd,ns,net}
      - {pid: 700, name: chronyd, cmdline: /usr/sbin/chronyd -F 1, user: _chrony}
      # also: uid, gid (default 0; ``user`` is looked up in the state's /etc/passwd,
      # ``group`` in /etc/group), parent (default 1), state (default S), path (exe)
      sockets:                    # /proc/net/{tcp,tcp6,udp,udp6} lines (tcp: 0A LISTEN)
      - {protocol: tcp, address: 127.0.0.1, port: 25, pid: 700}   # fd 3.. -> socket:[inode]
      - {protocol: udp, address: '::', port: 323}   # no pid: no process owns it
      interfaces:                 # /sys/class/net/<if>/; lo is added unless listed
        eth0: {}                  # up, carrier, type 1, mtu 1500, a MAC from the name
        wlan0: {wireless: true, up: false}   # wireless/, phy80211, device/driver/module
        # also: type, mtu, mac, carrier, operstate, flags ('0x1003'), speed, driver,
        # pci_slot, ifindex, statistics {rx_bytes: N, ...}

A runtime with ``processes`` or ``sockets`` always has pid 1 (``systemd``) unless one
is listed: osquery reads the socket lists only through a process's ``/proc/<pid>/net``
(no process, no socket). All processes share one network namespace. The runtime's
``sys`` is the root's ``/sys``, as on a running system (the ``file`` table sees
``/sys/class/net/wlan0/wireless``); ``proc`` is kept apart.

``packages`` go into ``/var/lib/dpkg/status``; ``rpms`` into a real RPM database built
by ``rpm`` (trails.collector.rpmdb).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trails.collector.interface import Host, Runtime
from trails.collector.rpmdb import write_rpmdb
from trails.models.status import AUDIT_RULES, DEFAULT_DB_PATH, STATUS, TABLES

DEFAULT_VERSION = "1.0-1"


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: ``files`` and ``runtime`` merge key by key (a file
    set to null is removed), ``packages`` is replaced."""
    merged = dict(base)
    for key, value in over.items():
        if key in ("files", "runtime") and isinstance(base.get(key), Mapping):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def materialise(state: Mapping[str, Any], directory: Path) -> Host:
    """Write ``state`` under ``directory`` (``root/``, ``runtime/``) and return its Host."""
    root = directory / "root"
    root.mkdir(parents=True)
    host = Host(root=root)
    for path, spec in sorted(state.get("files", {}).items()):
        if spec is not None:
            _write_file(host.path(path), spec)
    packages = state.get("packages")
    if packages is not None:
        _write_dpkg_status(host.path("/var/lib/dpkg/status"), packages)
    rpms = state.get("rpms")
    if rpms is not None:
        write_rpmdb(root, rpms)
    agent = state.get("agent")
    if agent is not None:
        _write_agent_db(host.path(DEFAULT_DB_PATH), agent)
    runtime = state.get("runtime")
    if runtime is None:
        return host
    return Host(root=root, runtime=_write_runtime(directory / "runtime", runtime, host))


def _write_file(target: Path, spec: str | Mapping[str, Any]) -> None:
    details: Mapping[str, Any] = {"content": spec} if isinstance(spec, str) else spec
    target.parent.mkdir(parents=True, exist_ok=True)
    if details.get("dir"):
        target.mkdir(exist_ok=True)
    elif "link" in details:
        target.symlink_to(details["link"])
        return
    else:
        target.write_text(details.get("content", ""))
    default_mode = "0755" if details.get("dir") else "0644"
    os.chmod(target, int(str(details.get("mode", default_mode)), 8))
    if "uid" in details or "gid" in details:
        os.chown(target, int(details.get("uid", 0)), int(details.get("gid", 0)))


def _write_dpkg_status(target: Path, packages: list[str | Mapping[str, str]]) -> None:
    stanzas = []
    for spec in packages:
        if isinstance(spec, str):
            name, _, version = spec.partition("=")
            item: Mapping[str, str] = {"name": name, "version": version or DEFAULT_VERSION}
        else:
            item = spec
        stanzas.append(
            f"Package: {item['name']}\n"
            f"Status: {item.get('status', 'install ok installed')}\n"
            "Priority: optional\nSection: misc\nArchitecture: amd64\n"
            f"Version: {item.get('version', DEFAULT_VERSION)}\n"
            "Maintainer: trails fixtures <fixtures@example.invalid>\n"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(stanzas))


def _write_agent_db(target: Path, agent: Mapping[str, Any]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(target)) as db, db:
        for table in TABLES:
            db.execute(table.ddl())
        status = {"last_attempt_at": now, "verified_at": now, **agent.get("status", {})}
        db.execute(
            f"INSERT INTO {STATUS.sqlite_name} ({', '.join(status)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in status)})",
            [str(v) for v in status.values()],
        )
        for position, rule in enumerate(agent.get("audit_rules", []), start=1):
            key = rule.split(" -k ", 1)[1].split()[0] if " -k " in rule else ""
            db.execute(
                f"INSERT INTO {AUDIT_RULES.sqlite_name} (position, rule, key, loaded_at) "  # noqa: S608
                "VALUES (?, ?, ?, ?)",
                (str(position), rule, key, now),
            )


def _write_runtime(directory: Path, runtime: Mapping[str, Any], host: Host) -> Runtime:
    proc, sys = directory / "proc", host.root / "sys"
    (proc / "sys").mkdir(parents=True)
    sys.mkdir(exist_ok=True)
    # every running Linux kernel has this one; the collector's probes read it
    for name, value in {"kernel.ostype": "Linux", **runtime.get("sysctl", {})}.items():
        target = proc / "sys" / Path(*name.split("."))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"{value}\n")
    modules = runtime.get("modules", [])
    (proc / "modules").write_text(
        "".join(f"{m.replace('-', '_')} 16384 0 - Live 0x0000000000000000\n" for m in modules)
    )
    mounts = list(runtime.get("mounts", []))
    selinux = runtime.get("selinux")
    if selinux is not None:  # selinuxfs mounted, with the kernel's files at its root
        mounts.append("selinuxfs /sys/fs/selinux selinuxfs rw,nosuid,noexec,relatime 0 0")
        selinuxfs = sys / "fs" / "selinux"
        selinuxfs.mkdir(parents=True)
        for key, value in {"enforce": "1", "mls": "1", "policyvers": "33", **selinux}.items():
            (selinuxfs / key).write_text(str(value))
    (proc / "mounts").write_text("".join(f"{line}\n" for line in mounts))
    (proc / "cmdline").write_text(runtime.get("cmdline", "BOOT_IMAGE=/vmlinuz ro") + "\n")
    profiles = sys / "kernel" / "security" / "apparmor" / "policy" / "profiles"
    for number, (name, mode) in enumerate(sorted(runtime.get("apparmor", {}).items())):
        profile = profiles / f"{number}"
        profile.mkdir(parents=True)
        digest = hashlib.sha256(name.encode()).hexdigest()
        for field, value in (("name", name), ("mode", mode), ("attach", name), ("sha256", digest)):
            (profile / field).write_text(f"{value}\n")
    _write_processes(proc, runtime, host)
    _write_interfaces(sys, runtime.get("interfaces"))
    units = [
        {"id": unit, "load_state": "loaded", "sub_state": "", **fields}
        for unit, fields in sorted(runtime.get("units", {}).items())
    ]
    units_file = directory / "units.json"
    units_file.write_text(json.dumps(units, indent=1))
    return Runtime(proc=proc, sys=sys, units=units_file)


# the initial network namespace's inode on every kernel (PROC_NET_INIT_INO)
NET_NAMESPACE = 4026531840
INIT = {"pid": 1, "name": "systemd", "cmdline": "/sbin/init", "path": "/usr/lib/systemd/systemd"}
_SOCKET_INODES = 30_000
_TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode"
)
_TCP6_HEADER = (
    "  sl  local_address                         remote_address                        "
    "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
)
_HEADERS = {
    "tcp": _TCP_HEADER,
    "tcp6": _TCP6_HEADER,
    "udp": " " + _TCP_HEADER + " ref pointer drops",
    "udp6": _TCP6_HEADER + " ref pointer drops",
}


def _account_id(host: Host, database: str, name: str) -> int:
    """The id of ``name`` in the state's ``/etc/passwd`` or ``/etc/group``."""
    path = host.path(database)
    text = path.read_text() if path.is_file() else ""
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) > 2 and fields[0] == name:
            return int(fields[2])
    raise ValueError(f"{name!r} is not in the host state's {database}")


def proc_net_address(address: str) -> tuple[str, int]:
    """``address`` as ``/proc/net/tcp[6]`` prints it (the kernel's ``%08X`` of each
    32-bit word as the host, little-endian, reads it) and its file's suffix family."""
    packed = socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address)
    words = [int.from_bytes(packed[i : i + 4], "little") for i in range(0, len(packed), 4)]
    return "".join(f"{w:08X}" for w in words), (10 if len(packed) == 16 else 2)


def _socket_line(number: int, spec: Mapping[str, Any], inode: int, uid: int) -> str:
    local, _ = proc_net_address(str(spec["address"]))
    remote = "0" * len(local)
    tcp = spec["protocol"] == "tcp"
    state = "0A" if tcp else "07"  # TCP_LISTEN; an unconnected UDP socket is TCP_CLOSE
    width = 4 if tcp else 5
    # tcp: refcount, sk, rto, ato, quick/pingpong, cwnd, ssthresh; udp: ref, sk, drops
    tail = " 1 0000000000000000 100 0 0 10 0" if tcp else " 2 0000000000000000 0"
    return (
        f"{number:{width}d}: {local}:{int(spec['port']):04X} {remote}:0000 {state} "
        f"00000000:00000000 00:00000000 00000000 {uid:5d} {0:8d} {inode}{tail}"
    )


def _write_processes(proc: Path, runtime: Mapping[str, Any], host: Host) -> None:
    processes = [dict(p) for p in runtime.get("processes", [])]
    sockets = list(runtime.get("sockets", []))
    if (processes or sockets) and not any(p["pid"] == 1 for p in processes):
        processes.insert(0, dict(INIT))
    net = proc / "net"
    net.mkdir()
    uids: dict[int, int] = {}
    for spec in processes:
        pid = int(spec["pid"])
        if "user" in spec:
            spec.setdefault("uid", _account_id(host, "/etc/passwd", spec["user"]))
        if "group" in spec:
            spec.setdefault("gid", _account_id(host, "/etc/group", spec["group"]))
        uids[pid] = int(spec.get("uid", 0))
        _write_process(proc / str(pid), pid, spec)
    lines: dict[str, list[str]] = {name: [] for name in _HEADERS}
    next_fd = dict.fromkeys(uids, 3)
    for number, spec in enumerate(sockets):
        inode = _SOCKET_INODES + number
        owner = spec.get("pid")
        if owner is not None and owner not in uids:
            raise ValueError(f"socket {spec}: pid {owner} is not among the processes")
        _, family = proc_net_address(str(spec["address"]))
        if spec.get("family", family) != family:
            raise ValueError(f"socket {spec}: the address is not of family {spec['family']}")
        name = str(spec["protocol"]) + ("6" if family == 10 else "")
        uid = uids.get(owner, 0) if owner is not None else 0
        lines[name].append(_socket_line(len(lines[name]), spec, inode, uid))
        if owner is not None:
            (proc / str(owner) / "fd" / str(next_fd[owner])).symlink_to(f"socket:[{inode}]")
            next_fd[owner] += 1
    for name, header in _HEADERS.items():
        (net / name).write_text("".join(f"{line}\n" for line in [header, *lines[name]]))
    (net / "unix").write_text("Num       RefCount Protocol Flags    Type St Inode Path\n")
    (net / "packet").write_text("sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n")


def _write_process(base: Path, pid: int, spec: Mapping[str, Any]) -> None:
    """The files processes.cpp and process_open_sockets.cpp read, as the kernel writes
    them (the name cut to TASK_COMM_LEN - 1 = 15 characters)."""
    comm = str(spec["name"])[:15]
    uid, gid = int(spec.get("uid", 0)), int(spec.get("gid", 0))
    parent = int(spec.get("parent", 0 if pid == 1 else 1))
    state = str(spec.get("state", "S"))
    base.mkdir()
    (base / "fd").mkdir()
    (base / "ns").mkdir()
    (base / "ns" / "net").symlink_to(f"net:[{NET_NAMESPACE}]")
    (base / "net").symlink_to("../net")
    (base / "comm").write_text(f"{comm}\n")
    (base / "stat").write_text(
        f"{pid} ({comm}) {state} {parent} {pid} {pid} 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 "
        "250 15360000 2000 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
    )
    (base / "status").write_text(
        f"Name:\t{comm}\nUmask:\t0022\nState:\t{state} (sleeping)\nTgid:\t{pid}\n"
        f"Pid:\t{pid}\nPPid:\t{parent}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n"
        f"Gid:\t{gid}\t{gid}\t{gid}\t{gid}\nVmSize:\t   15000 kB\nVmRSS:\t    8000 kB\n"
        "Threads:\t1\n"
    )
    cmdline = spec.get("cmdline", "")
    args = cmdline.split() if isinstance(cmdline, str) else [str(a) for a in cmdline]
    (base / "cmdline").write_text("".join(f"{a}\0" for a in args))
    if "path" in spec:
        (base / "exe").symlink_to(str(spec["path"]))


def _write_interfaces(sys: Path, interfaces: Mapping[str, Mapping[str, Any]] | None) -> None:
    if interfaces is None:
        return
    listed = dict(interfaces)
    net = sys / "class" / "net"
    net.mkdir(parents=True)
    names = (["lo"] if "lo" not in listed else []) + list(listed)
    for index, name in enumerate(names, start=1):
        _write_interface(sys, net / name, name, index, listed.get(name, {}))


def _mac_of(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    return ":".join(f"{b:02x}" for b in (b"\x52\x54\x00" + digest[:3]))


def _write_interface(sys: Path, base: Path, name: str, index: int, spec: Mapping[str, Any]) -> None:
    """The files of ``/sys/class/net/<name>`` as the kernel shows them (``flags`` is
    ``dev->flags``: UP, BROADCAST/LOOPBACK, MULTICAST; ``speed`` unreadable when down)."""
    loopback = name == "lo"
    up = bool(spec.get("up", True))
    carrier = bool(spec.get("carrier", up))
    default_flags = (0x8 if loopback else 0x1002) | (0x1 if up else 0)
    files: dict[str, Any] = {
        "ifindex": spec.get("ifindex", index),
        "type": spec.get("type", 772 if loopback else 1),
        "mtu": spec.get("mtu", 65536 if loopback else 1500),
        "address": spec.get("mac", "00:00:00:00:00:00" if loopback else _mac_of(name)),
        "flags": spec.get("flags", f"0x{default_flags:x}"),
        "operstate": spec.get(
            "operstate", "unknown" if loopback else ("up" if up and carrier else "down")
        ),
        "dormant": 0,
    }
    if up:  # the kernel refuses carrier and speed of a link that is down
        files["carrier"] = int(carrier)
        if not loopback:
            files["speed"] = spec.get("speed", 1000 if carrier else -1)
    base.mkdir()
    for file_name, value in files.items():
        (base / file_name).write_text(f"{value}\n")
    statistics = base / "statistics"
    statistics.mkdir()
    counters = {"rx_packets": 0, "tx_packets": 0, "rx_bytes": 0, "tx_bytes": 0}
    counters |= {"rx_errors": 0, "tx_errors": 0, "rx_dropped": 0, "tx_dropped": 0}
    for counter, value in {**counters, "collisions": 0, **spec.get("statistics", {})}.items():
        (statistics / counter).write_text(f"{value}\n")
    wireless = bool(spec.get("wireless", False))
    driver = spec.get("driver", "iwlwifi" if wireless else None)
    if driver is not None:
        slot = str(spec.get("pci_slot", f"0000:{index + 1:02x}:00.0"))
        device = sys / "devices" / "pci0000:00" / slot
        device.mkdir(parents=True)
        drivers = sys / "bus" / "pci" / "drivers" / str(driver)
        drivers.mkdir(parents=True, exist_ok=True)
        (sys / "module" / str(driver)).mkdir(parents=True, exist_ok=True)
        if not (drivers / "module").is_symlink():
            (drivers / "module").symlink_to(f"../../../../module/{driver}")
        (device / "driver").symlink_to(f"../../../bus/pci/drivers/{driver}")
        (base / "device").symlink_to(f"../../../devices/pci0000:00/{slot}")
    if wireless:
        (base / "wireless").mkdir()
        phy = sys / "class" / "ieee80211" / f"phy{index}"
        phy.mkdir(parents=True)
        (base / "phy80211").symlink_to(f"../../ieee80211/phy{index}")
