"""Install verified files and load audit rules, with a way back.

``Installer`` writes every new file to a fsynced temp file first (so a full disk fails
before anything is replaced), records the planned renames in a journal, then
``os.replace``s each file. Each installed file is therefore always wholly old or wholly
new; if the process dies between renames, the next run rolls the journal forward
(the temp files are complete and verified). ``restore`` puts the previous bytes back
after a later step (rule load, reload) fails.

``AuditctlLoader`` touches only the rules trails loaded itself: it deletes them one by
one (``auditctl -d``/``-W``) and loads the new file with ``auditctl -R``; it never
flushes the kernel's rules. ``AugenrulesLoader`` is for hosts whose whole rule set is
managed through ``/etc/audit/rules.d``.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from trails.errors import TransportError, VerificationError
from trails.verify.command import Completed, run_command
from trails.verify.files import (
    TEMP_PREFIX,
    InstallIOError,
    atomic_write,
    read_optional,
    replace,
    write_temp,
)

JOURNAL_FILE = "pending.json"
MAX_INSTALLED_BYTES = 64 * 1024 * 1024
_RULE_OPTIONS = ("-a", "-A", "-w")
_DELETE_OPTION = {"-a": "-d", "-A": "-d", "-w": "-W"}

Checkpoint = Callable[[str], None]


class AuditRulesRefused(VerificationError):
    """The release's audit rules hold a line that would touch rules trails does not own."""

    check = "audit-rules"


class AuditLoadError(TransportError):
    """auditctl / augenrules failed; the previous rules are put back."""


class ReloadError(TransportError):
    """The osquery reload command failed; the previous files are put back."""


class Change(NamedTuple):  # a NamedTuple: see trails.verify.agent on the 304 budget
    target: Path
    data: bytes
    mode: int = 0o644


class Backup(NamedTuple):  # a NamedTuple: see trails.verify.agent on the 304 budget
    """The bytes each target held before an install (None: it did not exist)."""

    previous: Mapping[Path, bytes | None]


def _no_checkpoint(point: str) -> None:
    return None


class Installer:
    def __init__(self, state_dir: Path, checkpoint: Checkpoint = _no_checkpoint) -> None:
        self.journal = state_dir / JOURNAL_FILE
        self.checkpoint = checkpoint

    def recover(self, targets: Sequence[Path]) -> tuple[str, ...]:
        """Finish an install a crash interrupted; return the rules it was about to load.

        Also removes temp files left in the target directories by a crash before the
        journal was written (they were never installed).
        """
        pending_rules: tuple[str, ...] = ()
        data = read_optional(self.journal, 1024 * 1024)
        if data is not None:
            try:
                doc = json.loads(data)
                renames = [(Path(t), Path(d)) for t, d in doc["renames"]]
                pending_rules = tuple(str(r) for r in doc["rules"])
            except (ValueError, KeyError, TypeError):
                renames = []  # a torn journal: its renames never started
            for temp, target in renames:
                if temp.exists():
                    replace(temp, target)
        for target in targets:
            if target.parent.is_dir():
                for stale in target.parent.glob(f"{TEMP_PREFIX}{target.name}.*"):
                    stale.unlink(missing_ok=True)
        return pending_rules

    def install(self, changes: Sequence[Change], rules: Sequence[str]) -> Backup:
        """Replace every target with its new bytes; each file is old or new, never mixed."""
        previous = {c.target: read_optional(c.target, MAX_INSTALLED_BYTES) for c in changes}
        temps: list[Path] = []
        try:
            for change in changes:
                temps.append(write_temp(change.target, change.data, change.mode))
        except InstallIOError:
            for temp in temps:
                temp.unlink(missing_ok=True)
            raise
        self.checkpoint("temps-written")
        journal = {
            "renames": [[str(t), str(c.target)] for t, c in zip(temps, changes, strict=True)],
            "rules": list(rules),
        }
        try:
            atomic_write(self.journal, json.dumps(journal).encode(), mode=0o600)
        except InstallIOError:
            for temp in temps:
                temp.unlink(missing_ok=True)
            raise
        self.checkpoint("journal-written")
        backup = Backup(previous)
        try:
            for temp, change in zip(temps, changes, strict=True):
                replace(temp, change.target)
                self.checkpoint(f"replaced:{change.target.name}")
        except InstallIOError:
            self.restore(backup)
            raise
        return backup

    def restore(self, backup: Backup) -> None:
        """Put back what was there before ``install`` (best effort on every file)."""
        for temp in self._journal_temps():
            temp.unlink(missing_ok=True)
        errors = []
        for target, data in backup.previous.items():
            try:
                if data is None:
                    target.unlink(missing_ok=True)
                else:
                    atomic_write(target, data)
            except (OSError, InstallIOError) as exc:
                errors.append(f"{target}: {exc}")
        self.finish()
        if errors:
            raise InstallIOError(f"could not restore {'; '.join(errors)}")

    def finish(self) -> None:
        """The install is committed (or rolled back): forget the journal."""
        self.journal.unlink(missing_ok=True)

    def _journal_temps(self) -> list[Path]:
        data = read_optional(self.journal, 1024 * 1024)
        if data is None:
            return []
        try:
            return [Path(t) for t, _ in json.loads(data)["renames"]]
        except (ValueError, KeyError, TypeError):
            return []


def rule_lines(text: str, *, allow_flush: bool = False) -> list[str]:
    """The rule lines of an audit rules file; refuse control lines (-D, -e, -b, ...)."""
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        option = line.split(None, 1)[0]
        if option in _RULE_OPTIONS:
            rules.append(line)
        elif not (option == "-D" and allow_flush and line == "-D"):
            raise AuditRulesRefused(
                f"audit.rules line {number} ({option}) is not a rule (-a/-A/-w); trails only "
                "loads its own rules; remove it from the policy"
            )
    return rules


def delete_argv(rule: str) -> list[str]:
    """``-a always,exit ...`` -> ``-d always,exit ...``; ``-w path ...`` -> ``-W path ...``."""
    args = shlex.split(rule)
    return [_DELETE_OPTION[args[0]], *args[1:]]


class AuditLoader(Protocol):
    def unload(self, rules: Sequence[str]) -> None: ...

    def load(self, rules_file: Path, rules: Sequence[str]) -> None: ...

    def list_rules(self) -> list[str]: ...

    def audit_enabled(self) -> str: ...


class CommandRunner:
    """Runs an external command with a timeout; failures become one-line errors."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def __call__(self, argv: Sequence[str]) -> Completed:
        try:
            return run_command(argv, self.timeout)
        except OSError as exc:  # not found, not executable, timed out
            raise AuditLoadError(f"could not run {argv[0]}: {exc}") from None


def _first_line(proc: Completed) -> str:
    text = (proc.stderr or proc.stdout or "").strip().splitlines()
    return text[-1] if text else f"exit status {proc.returncode}"


class AuditctlLoader:
    def __init__(self, auditctl: str, run: CommandRunner) -> None:
        self.auditctl = auditctl
        self.run = run

    def unload(self, rules: Sequence[str]) -> None:
        for rule in rules:
            proc = self.run([self.auditctl, *delete_argv(rule)])
            # ENOENT: the rule is already gone (reboot, admin); that is what we wanted.
            if proc.returncode != 0 and "No such file or directory" not in proc.stderr:
                raise AuditLoadError(f"auditctl could not delete {rule!r}: {_first_line(proc)}")

    def load(self, rules_file: Path, rules: Sequence[str]) -> None:
        if not rules:
            return
        proc = self.run([self.auditctl, "-R", str(rules_file)])
        if proc.returncode != 0:
            raise AuditLoadError(
                f"auditctl -R {rules_file} failed: {_first_line(proc)}; previous rules restored"
            )

    def list_rules(self) -> list[str]:
        proc = self.run([self.auditctl, "-l"])
        if proc.returncode != 0:
            raise AuditLoadError(f"auditctl -l failed: {_first_line(proc)}")
        lines = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
        return [] if lines == ["No rules"] else lines

    def audit_enabled(self) -> str:
        """The kernel's audit ``enabled`` flag from ``auditctl -s`` (read only)."""
        proc = self.run([self.auditctl, "-s"])
        for line in proc.stdout.splitlines() if proc.returncode == 0 else ():
            name, _, value = line.strip().partition(" ")
            if name == "enabled" and value in ("0", "1", "2"):
                return value
        raise AuditLoadError(f"auditctl -s did not report 'enabled': {_first_line(proc)}")


class AugenrulesLoader(AuditctlLoader):
    """``augenrules --load`` rebuilds the whole rule set from rules.d; nothing to unload."""

    def __init__(self, auditctl: str, augenrules: str, run: CommandRunner) -> None:
        super().__init__(auditctl, run)
        self.augenrules = augenrules

    def unload(self, rules: Sequence[str]) -> None:
        return None

    def load(self, rules_file: Path, rules: Sequence[str]) -> None:
        proc = self.run([self.augenrules, "--load"])
        if proc.returncode != 0:
            raise AuditLoadError(f"augenrules --load failed: {_first_line(proc)}")


def run_reload(argv: Sequence[str], run: CommandRunner) -> None:
    if not argv:
        return
    try:
        proc = run(argv)
    except AuditLoadError as exc:
        raise ReloadError(str(exc)) from None
    if proc.returncode != 0:
        raise ReloadError(
            f"reload command {shlex.join(argv)} failed: {_first_line(proc)}; previous config "
            "restored"
        )
