"""Load single rules into the running kernel safely: only rules with our own unique key.

Every rule added here carries ``self.key`` (``trails-test-<uuid>``); ``cleanup`` deletes
exactly the rules it added (by the same arguments) and then any rule still listed under
that key, and is run by a finaliser even when a test fails. Control lines are never sent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field

import pytest

from trails.audit_rules import AuditRule, Key
from trails.audit_rules.render import render_rule

AUDITCTL = shutil.which("auditctl") or (
    "/sbin/auditctl" if os.path.exists("/sbin/auditctl") else None
)


def skip_without_kernel() -> str:
    """auditctl path, or skip the test (only: not root, or auditctl missing)."""
    if AUDITCTL is None:
        pytest.skip("auditctl is not installed (apt-get install auditd)")
    if os.geteuid() != 0:
        pytest.skip("loading audit rules needs root")
    return AUDITCTL


def with_key(rule: AuditRule, key: str) -> AuditRule:
    """The rule with its keys replaced by ``key`` (-k for watches, -F key= otherwise)."""
    parts = tuple(p for p in rule.parts if not isinstance(p, Key))
    return rule.with_parts((*parts, Key(key, flag=rule.watch is not None)))


@dataclass
class KernelRules:
    auditctl: str
    key: str = field(default_factory=lambda: f"trails-test-{uuid.uuid4().hex}")
    added: list[list[str]] = field(default_factory=list)

    def run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        assert not {"-D", "-e", "-f", "-b", "-r"} & set(args[:1])
        return subprocess.run(
            [self.auditctl, *args], capture_output=True, text=True, check=False, timeout=30
        )

    def add(self, rule: AuditRule) -> subprocess.CompletedProcess[str]:
        assert rule.keys == (self.key,), "only rules carrying our unique key may be loaded"
        args = render_rule(rule).split(" ")
        out = self.run(args)
        if out.returncode == 0:
            self.added.append(args)
        return out

    def listed(self) -> list[str]:
        out = self.run(["-l", "-k", self.key])
        return [line for line in out.stdout.splitlines() if self.key in line]

    def delete(self, args: list[str]) -> None:
        flag = "-W" if args[0] == "-w" else "-d"
        self.run([flag, *args[1:]])

    def cleanup(self) -> None:
        for args in reversed(self.added):
            self.delete(args)
        self.added.clear()
        for line in self.listed():  # anything left under our key, as the kernel lists it
            self.delete(line.split(" "))
        assert self.listed() == [], f"rules with key {self.key} are still loaded"
