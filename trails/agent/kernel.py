"""The kernel side of the agent's audit rules: which rules are trails' own (by key), and
the loader of ``audit_load: none``. The loaders that run auditctl are in ``apply``."""

from __future__ import annotations

import itertools
import shlex
from collections.abc import Sequence
from pathlib import Path

from trails.agent.apply import AuditLoadError
from trails.errors import InternalError

LOAD_FILE = "load.rules"  # the installed rules behind "-c", for auditctl -R


class NoKernel:
    """``audit_load: none`` (and ``trails fetch --root``): the kernel is never touched."""

    def __init__(self) -> None:
        self.notices: list[str] = []

    def unload(self, rules: Sequence[str]) -> None:
        raise InternalError("audit_load is none but rules were unloaded; report this bug")

    def load(self, rules_file: Path, rules: Sequence[str]) -> None:
        raise InternalError("audit_load is none but rules were loaded; report this bug")

    def list_rules(self) -> list[str]:
        raise AuditLoadError("audit_load is none: the kernel's rules are not read")

    def audit_enabled(self) -> str:
        raise AuditLoadError("audit_load is none: the kernel's audit state is not read")

    def lock(self) -> None:
        raise InternalError("audit_load is none but the rules were locked; report this bug")


def split_lock(data: bytes) -> tuple[bytes, bool]:
    """A rules file without its final ``-e 2`` line (lock until reboot), and whether it
    had one. Loaded before the old rules are deleted, that line would lock the kernel
    with old and new rules both in it; the agent sends it after the deletions."""
    lines = data.splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        text = lines[i].strip()
        if not text or text.startswith(b"#"):
            continue
        if text.split() == [b"-e", b"2"]:
            return b"".join(lines[:i] + lines[i + 1 :]), True
        break
    return data, False


def rule_keys(rule: str) -> tuple[str, ...]:
    """Every key of a rule line (``-k k``, ``-F key=k``)."""
    try:
        args = shlex.split(rule)
    except ValueError:
        return ()
    keys = [b for a, b in itertools.pairwise(args) if a == "-k"]
    keys += [b[4:] for a, b in itertools.pairwise(args) if a == "-F" and b[:4] == "key="]
    return tuple(keys)


def file_keys(data: bytes | None) -> set[str]:
    """The keys of the rules in a rules file: the only rules trails deletes."""
    lines = (data or b"").decode("utf-8", "replace").splitlines()
    return {k for line in lines if line.strip()[:2] in ("-a", "-A", "-w") for k in rule_keys(line)}
