"""Helpers for tests that load audit rules into the running kernel (unique keys only)."""

from __future__ import annotations

import shutil
import subprocess

AUDITCTL = shutil.which("auditctl") or "/usr/sbin/auditctl"


def kernel_rules(key: str) -> list[str]:
    """The kernel's rules whose key is exactly ``key``, as ``auditctl -l`` prints them."""
    out = subprocess.run([AUDITCTL, "-l"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.split()[-1] in (key, f"key={key}")]


def delete_kernel_rules(key: str) -> None:
    """Finaliser: remove every kernel rule carrying ``key`` (and only those)."""
    for line in kernel_rules(key):
        args = line.split()
        args[0] = {"-a": "-d", "-w": "-W"}[args[0]]
        subprocess.run([AUDITCTL, *args], capture_output=True, check=False)
