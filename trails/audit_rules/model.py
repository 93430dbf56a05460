"""The parsed form of an auditctl rule file: frozen, hashable, comparable values.

A rule keeps its options in the order they were written (``parts``) because order is
meaning to auditctl: ``-F arch`` must come before ``-S``, ``-k`` needs a syscall or
watch before it, and the kernel keeps fields in the order given. ``loc`` never takes
part in equality, so the same rule read from two places compares equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trails.errors import SourceLoc
from trails.models.diagnostic import Diagnostic

NOWHERE = SourceLoc("<rules>", 0)

# Operators in the order auditctl looks for them in ``name<op>value`` (two-char first).
OPERATORS = ("!=", ">=", "<=", "&=", "=", ">", "<", "&")


@dataclass(frozen=True)
class Syscalls:
    """One ``-S`` option: names or numbers, comma lists flattened; ``("all",)`` for all."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class FieldCond:
    """One ``-F name<op>value`` (``-F key=`` is a :class:`Key`)."""

    name: str
    op: str
    value: str


@dataclass(frozen=True)
class Compare:
    """One ``-C left<op>right`` inter-field comparison."""

    left: str
    op: str
    right: str


@dataclass(frozen=True)
class Key:
    """One key, from ``-k key`` (``flag=True``) or ``-F key=key``."""

    value: str
    flag: bool = True


@dataclass(frozen=True)
class Perm:
    """``-p rwxa`` on a watch (or on a rule with a path field)."""

    perms: str


Part = Syscalls | FieldCond | Compare | Key | Perm


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Base of every line that does something; ``loc`` is where it was written."""

    loc: SourceLoc = field(default=NOWHERE, compare=False, hash=False)


@dataclass(frozen=True, kw_only=True)
class AuditRule(Rule):
    """A watch (``-w path ...``) or a filter rule (``-a|-A list,action ...``)."""

    list: str = "exit"
    action: str = "always"
    prepend: bool = False  # -A instead of -a
    watch: str | None = None  # the path of ``-w``; None for -a/-A rules
    parts: tuple[Part, ...] = ()

    @property
    def syscalls(self) -> tuple[str, ...]:
        return tuple(n for p in self.parts if isinstance(p, Syscalls) for n in p.names)

    @property
    def fields(self) -> tuple[FieldCond, ...]:
        return tuple(p for p in self.parts if isinstance(p, FieldCond))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.value for p in self.parts if isinstance(p, Key))

    def field_values(self, name: str) -> tuple[str, ...]:
        return tuple(p.value for p in self.fields if p.name == name)

    def with_parts(self, parts: tuple[Part, ...]) -> AuditRule:
        return AuditRule(
            loc=self.loc,
            list=self.list,
            action=self.action,
            prepend=self.prepend,
            watch=self.watch,
            parts=parts,
        )


# Control options: name -> takes a value. Never loaded by tests (see COMMON.md).
CONTROL_OPTIONS: dict[str, bool] = {
    "-D": False,
    "-b": True,
    "-f": True,
    "-e": True,
    "-r": True,
    "-i": False,
    "-c": False,
    "--backlog_wait_time": True,
    "--loginuid-immutable": False,
}


@dataclass(frozen=True, kw_only=True)
class ControlRule(Rule):
    """A line that sets audit state rather than adding a rule (``-D``, ``-e 2``...)."""

    option: str
    value: str | None = None


@dataclass(frozen=True)
class ParseResult:
    rules: tuple[Rule, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)
