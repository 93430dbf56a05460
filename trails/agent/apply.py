"""Install verified files and load audit rules, with a way back.

``Installer`` writes every new file to a fsynced temp file first (so a full disk fails
before anything is replaced), records the planned renames in a journal, then
``os.replace``s each file. Each installed file is therefore always wholly old or wholly
new; if the process dies between renames, the next run rolls the journal forward
(the temp files are complete and verified). A change without data removes its target
(a release that no longer ships ``audit.rules``). ``restore`` puts back exactly what was
there after a later step (rule load, reload) fails: a regular file's bytes, mode and
owner, or a symlink as a symlink. A target is never read or written through a symlink.

``AuditctlLoader`` touches only the rules trails loaded itself: it deletes them one by
one (``auditctl -d``/``-W``) and loads the new file with ``auditctl -R``; it never
flushes the kernel's rules. ``AugenrulesLoader`` is for hosts whose whole rule set is
managed through ``/etc/audit/rules.d``. A kernel locked by ``-e 2`` is left alone (it
refuses every change until reboot); the installed file loads at the next boot.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from trails.agent.command import Completed, run_command
from trails.agent.files import KEPT, InstallIOError, check_renames, read_optional, read_trusted
from trails.errors import TransportError, VerificationError
from trails.fileio import TEMP_PREFIX, atomic_write, fsync_dir, replace, write_temp

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


class Change(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
    target: Path
    data: bytes | None  # None: remove the target
    mode: int = 0o644


class Saved(NamedTuple):
    """One target as it was before an install: a regular file or a symlink."""

    data: bytes | None  # a regular file's bytes (None for a symlink)
    mode: int = 0o644
    uid: int = -1
    gid: int = -1
    link: str | None = None  # a symlink's text, never followed


class Backup(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
    """What each target held before an install.

    ``previous``: a regular file's bytes (None: it did not exist, or was a symlink);
    ``saved``: everything ``restore`` puts back (absent: the target did not exist).
    """

    previous: Mapping[Path, bytes | None]
    saved: Mapping[Path, Saved] = {}


def _save(target: Path) -> Saved | None:
    """The target as it is, read without following a symlink (None: it does not exist)."""
    try:
        st = target.lstat()
        if stat.S_ISLNK(st.st_mode):
            return Saved(None, link=os.readlink(target))
        if not stat.S_ISREG(st.st_mode):
            raise InstallIOError(
                f"{target} is not a regular file; remove it or point the agent config elsewhere"
            )
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        fd = os.open(target, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InstallIOError(f"could not read {target}: {exc.strerror}; nothing changed") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):  # swapped since the lstat
            raise InstallIOError(f"{target} is not a regular file; remove it")
        data = f.read(MAX_INSTALLED_BYTES + 1)
    if len(data) > MAX_INSTALLED_BYTES:
        raise InstallIOError(f"{target} is larger than {MAX_INSTALLED_BYTES} bytes; remove it")
    return Saved(data, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)


def _put_back(target: Path, saved: Saved | None) -> None:
    """Make ``target`` what ``saved`` says, by rename (a symlink there is replaced)."""
    if saved is None:
        target.unlink(missing_ok=True)
        return
    if saved.link is not None:
        temp = target.parent / f"{TEMP_PREFIX}{target.name}.{os.urandom(6).hex()}"
        os.symlink(saved.link, temp)
        replace(temp, target, hint=KEPT)
        return
    temp = write_temp(target, saved.data or b"", saved.mode, hint=KEPT)
    try:
        os.chown(temp, saved.uid, saved.gid, follow_symlinks=False)
        os.chmod(temp, saved.mode, follow_symlinks=False)  # chown clears set-id bits
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise InstallIOError(f"could not restore the owner of {target}: {exc.strerror}") from None
    replace(temp, target, hint=KEPT)


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
        data = read_trusted(self.journal, 1024 * 1024)  # root's, or refused (exit 7)
        if data is not None:
            try:
                doc = json.loads(data)
                renames = [(Path(t), Path(d)) for t, d in doc["renames"]]
                removes = [Path(str(t)) for t in doc.get("removes", [])]  # older journals: none
                pending_rules = tuple(str(r) for r in doc["rules"])
            except (ValueError, KeyError, TypeError, AttributeError):
                renames, removes = [], []  # a torn journal: its renames never started
            check_renames(renames, targets)  # only trails temp files over its own targets
            for temp, target in renames:
                if temp.exists():
                    replace(temp, target, hint=KEPT)
            for target in removes:
                if target in targets:  # only a configured target, never another path
                    _remove(target)
        for target in targets:
            if target.parent.is_dir():
                for stale in target.parent.glob(f"{TEMP_PREFIX}{target.name}.*"):
                    stale.unlink(missing_ok=True)
        return pending_rules

    def install(self, changes: Sequence[Change], rules: Sequence[str]) -> Backup:
        """Replace every target with its new bytes (or remove it); each file is old or new,
        never mixed."""
        saved = {c.target: _save(c.target) for c in changes}
        previous = {t: s.data if s is not None else None for t, s in saved.items()}
        writes = [c for c in changes if c.data is not None]
        removes = [c.target for c in changes if c.data is None and saved[c.target] is not None]
        temps: list[Path] = []
        try:
            for change in writes:
                temps.append(write_temp(change.target, change.data or b"", change.mode, hint=KEPT))
        except InstallIOError:
            for temp in temps:
                temp.unlink(missing_ok=True)
            raise
        self.checkpoint("temps-written")
        journal = {
            "renames": [[str(t), str(c.target)] for t, c in zip(temps, writes, strict=True)],
            "removes": [str(t) for t in removes],
            "rules": list(rules),
        }
        try:
            atomic_write(self.journal, json.dumps(journal).encode(), mode=0o600, hint=KEPT)
        except InstallIOError:
            for temp in temps:
                temp.unlink(missing_ok=True)
            raise
        self.checkpoint("journal-written")
        backup = Backup(previous, {t: s for t, s in saved.items() if s is not None})
        try:
            for temp, change in zip(temps, writes, strict=True):
                replace(temp, change.target, hint=KEPT)
                self.checkpoint(f"replaced:{change.target.name}")
            for target in removes:
                _remove(target)
                self.checkpoint(f"removed:{target.name}")
        except InstallIOError:
            self.restore(backup)
            raise
        return backup

    def restore(self, backup: Backup) -> None:
        """Put back what was there before ``install`` (best effort on every file)."""
        for temp in self._journal_temps():
            temp.unlink(missing_ok=True)
        errors = []
        for target in backup.previous:
            try:
                _put_back(target, backup.saved.get(target))
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


def _remove(target: Path) -> None:
    try:
        if os.path.lexists(target):
            target.unlink()
            fsync_dir(target.parent)
    except OSError as exc:
        raise InstallIOError(f"could not remove {target}: {exc.strerror}") from None


def rule_lines(text: str) -> list[str]:
    """The rule lines of an audit rules file, to delete one by one later; a control line
    must be one a release may carry (``trails.audit_rules.controls``, as in the build)."""
    from trails.audit_rules import controls  # noqa: PLC0415 - never on the 304 path

    lines = [line.strip() for line in text.splitlines()]
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line and line[0] != "#"]
    rules = []
    for i, (number, line) in enumerate(numbered):
        option, value = [*line.split(None, 1), ""][:2]
        if option in _RULE_OPTIONS:
            rules.append(line)
            continue
        option, eq, attached = option.partition("=")  # --backlog_wait_time=60000
        why = controls.refusal(
            option, attached if eq else (value.strip() or None), last=i == len(numbered) - 1
        )
        if why is not None:
            raise AuditRulesRefused(f"audit.rules line {number}: {why}")
    return rules


def delete_argv(rule: str) -> list[str]:
    """``-a always,exit ...`` -> ``-d always,exit ...``; ``-w path ...`` -> ``-W path ...``."""
    args = shlex.split(rule)
    return [_DELETE_OPTION[args[0]], *args[1:]]


class AuditLoader(Protocol):
    # what the run should warn about (a kernel locked by -e 2 that was left alone)
    notices: list[str]

    def unload(self, rules: Sequence[str]) -> None: ...

    def load(self, rules_file: Path, rules: Sequence[str]) -> None: ...

    def list_rules(self) -> list[str]: ...

    def audit_enabled(self) -> str: ...

    def lock(self) -> None: ...


class CommandRunner:
    """Runs an external command with a timeout; failures become one-line errors."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def __call__(self, argv: Sequence[str]) -> Completed:
        try:
            return run_command(argv, self.timeout)
        except OSError as exc:  # not found, not executable, timed out
            raise AuditLoadError(f"could not run {argv[0]}: {exc}") from None


def _only_existing(proc: Completed, rules_file: Path) -> bool:
    """auditctl -R failed only because rules were already loaded, and went on past them
    (the file starts with ``-c``, as the agent's load file does: rules are loaded before
    the old ones are deleted, so a rule in both sets is there already)."""
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error")]
    try:
        with rules_file.open("rb") as f:
            goes_on = f.read(3) == b"-c\n"
    except OSError:
        return False
    return goes_on and bool(errors) and all(e.endswith("(Rule exists)") for e in errors)


def _first_line(proc: Completed) -> str:
    text = (proc.stderr or proc.stdout or "").strip().splitlines()
    return text[-1] if text else f"exit status {proc.returncode}"


LOCKED_NOTICE = (
    "the kernel's audit rules are locked (-e 2, enabled 2) and cannot change until reboot; "
    "the installed rules file loads at the next boot"
)


class AuditctlLoader:
    def __init__(self, auditctl: str, run: CommandRunner) -> None:
        self.auditctl = auditctl
        self.run = run
        self.notices: list[str] = []  # reported as warnings of the run

    def locked(self) -> bool:
        """The kernel refuses every rule change until reboot (a release's final ``-e 2``):
        leave it alone; rules.d holds the installed file for the next boot."""
        try:
            locked = self.audit_enabled() == "2"
        except AuditLoadError:
            return False  # unknown: try, and report what auditctl says
        if locked and LOCKED_NOTICE not in self.notices:
            self.notices.append(LOCKED_NOTICE)
        return locked

    def unload(self, rules: Sequence[str]) -> None:
        if not rules or self.locked():
            return
        for rule in rules:
            proc = self.run([self.auditctl, *delete_argv(rule)])
            # ENOENT: the rule is already gone (reboot, admin); that is what we wanted.
            if proc.returncode != 0 and "No such file or directory" not in proc.stderr:
                raise AuditLoadError(f"auditctl could not delete {rule!r}: {_first_line(proc)}")

    def load(self, rules_file: Path, rules: Sequence[str]) -> None:
        if not rules or self.locked():
            return
        proc = self.run([self.auditctl, "-R", str(rules_file)])
        if proc.returncode != 0 and not _only_existing(proc, rules_file):
            raise AuditLoadError(
                f"auditctl -R {rules_file} failed: {_first_line(proc)}; previous rules restored"
            )

    def lock(self) -> None:
        """``auditctl -e 2``: a release's final lock line, sent once the old rules are gone."""
        if self.locked():
            return
        proc = self.run([self.auditctl, "-e", "2"])
        if proc.returncode != 0:
            raise AuditLoadError(f"auditctl -e 2 failed: {_first_line(proc)}")

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
        if self.locked():
            return
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
