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

Packages go into ``/var/lib/dpkg/status`` (the only package database a host state can
write without a package manager; RPM fixtures keep ``rpm_packages`` rows).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trails.collector.interface import Host, Runtime
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
    agent = state.get("agent")
    if agent is not None:
        _write_agent_db(host.path(DEFAULT_DB_PATH), agent)
    runtime = state.get("runtime")
    if runtime is None:
        return host
    return Host(root=root, runtime=_write_runtime(directory / "runtime", runtime))


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


def _write_runtime(directory: Path, runtime: Mapping[str, Any]) -> Runtime:
    proc, sys = directory / "proc", directory / "sys"
    (proc / "sys").mkdir(parents=True)
    sys.mkdir()
    # every running Linux kernel has this one; the collector's probes read it
    for name, value in {"kernel.ostype": "Linux", **runtime.get("sysctl", {})}.items():
        target = proc / "sys" / Path(*name.split("."))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"{value}\n")
    modules = runtime.get("modules", [])
    (proc / "modules").write_text(
        "".join(f"{m.replace('-', '_')} 16384 0 - Live 0x0000000000000000\n" for m in modules)
    )
    (proc / "mounts").write_text("".join(f"{line}\n" for line in runtime.get("mounts", [])))
    (proc / "cmdline").write_text(runtime.get("cmdline", "BOOT_IMAGE=/vmlinuz ro") + "\n")
    profiles = sys / "kernel" / "security" / "apparmor" / "policy" / "profiles"
    for number, (name, mode) in enumerate(sorted(runtime.get("apparmor", {}).items())):
        profile = profiles / f"{number}"
        profile.mkdir(parents=True)
        digest = hashlib.sha256(name.encode()).hexdigest()
        for field, value in (("name", name), ("mode", mode), ("attach", name), ("sha256", digest)):
            (profile / field).write_text(f"{value}\n")
    units = [
        {"id": unit, "load_state": "loaded", "sub_state": "", **fields}
        for unit, fields in sorted(runtime.get("units", {}).items())
    ]
    units_file = directory / "units.json"
    units_file.write_text(json.dumps(units, indent=1))
    return Runtime(proc=proc, sys=sys, units=units_file)
