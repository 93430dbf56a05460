"""Warnings auditctl does not give: rules that load but lose evidence or never match.

Runs on rules that passed the per-rule checks. Each warning names the rule it is about
and, where it helps, the earlier rule it collides with.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from trails.audit_rules import tables, values
from trails.audit_rules.model import (
    AuditRule,
    Compare,
    ControlRule,
    FieldCond,
    Key,
    Rule,
    Syscalls,
)
from trails.audit_rules.normalise import signature
from trails.errors import SourceLoc
from trails.models.diagnostic import Diagnostic, Severity

_W = Severity.WARNING


def _warn(loc: SourceLoc, message: str, code: str) -> Diagnostic:
    return Diagnostic(loc, _W, message, code)


def _explicit_syscalls(rule: AuditRule) -> bool:
    names = rule.syscalls
    return bool(names) and "all" not in names


def _arch_of(rule: AuditRule, host: str) -> tables.Machine | None:
    archs = [f for f in rule.fields if f.name == "arch" and f.op == "="]
    return values.resolve_arch(archs[-1].value, host) if archs else None


def _twin_key(rule: AuditRule) -> tuple[object, ...]:
    """Everything but the arch and the syscalls: what a 32-bit twin shares."""
    rest = tuple(
        Key(p.value) if isinstance(p, Key) else p  # -k k and -F key=k are the same key
        for p in rule.parts
        if not isinstance(p, Syscalls) and not (isinstance(p, FieldCond) and p.name == "arch")
    )
    return (rule.list, rule.action, rest)


def _arch_warnings(rules: Sequence[AuditRule], host: str) -> Iterator[Diagnostic]:
    base = values.host_machine(host)
    compat = tables.COMPAT_32.get(base.name)
    if compat is None:
        return
    b32 = {_twin_key(r) for r in rules if _arch_of(r, host) == tables.MACHINES[compat]}
    for rule in rules:
        if rule.list != "exit" or not _explicit_syscalls(rule):
            continue
        machine = _arch_of(rule, host)
        if machine is None:
            yield _warn(
                rule.loc,
                f"-S without -F arch uses the {base.name} numbers only; add -F arch=b64 "
                "and a -F arch=b32 twin",
                "audit.arch-missing",
            )
        elif machine == base and _twin_key(rule) not in b32:
            yield _warn(
                rule.loc,
                f"64-bit syscall rule has no -F arch=b32 twin: 32-bit programs on {host} escape it",
                "audit.missing-32bit-twin",
            )


def _on_inode_list(rule: AuditRule) -> bool:
    return rule.watch is not None or any(f.name in ("path", "dir") for f in rule.fields)


@dataclass
class _Group:
    """Earlier rules with one set of conditions: which of them cover which syscalls."""

    all_calls: int | None = None  # ordinal of the first rule matching every syscall
    by_call: dict[int, set[int]] = field(default_factory=dict)

    def add(self, ordinal: int, mask: frozenset[int] | None) -> None:
        if mask is None:
            if self.all_calls is None:
                self.all_calls = ordinal
            return
        for nr in mask:
            self.by_call.setdefault(nr, set()).add(ordinal)

    def covering(self, mask: frozenset[int] | None) -> int | None:
        """Ordinal of the first earlier rule whose syscalls include all of ``mask``."""
        found: set[int] = set()
        if mask is not None and mask:
            calls = iter(mask)
            found = set(self.by_call.get(next(calls), ()))
            for nr in calls:
                if not found:
                    break
                found &= self.by_call.get(nr, set())
        if self.all_calls is not None:
            found.add(self.all_calls)
        return min(found) if found else None


_Key = tuple[str, frozenset[tuple[str, str, str]]]
_MAX_SUBSET_FIELDS = 10


def _subsets(
    lst: str,
    conds: frozenset[tuple[str, str, str]],
    groups: dict[_Key, _Group],
    known: set[tuple[str, str, str]],
) -> list[_Key]:
    """Keys of the groups whose conditions are a subset of ``conds`` on list ``lst``
    (``known``: every condition some group has; others cannot be in a key)."""
    conds = conds & known
    if len(conds) > _MAX_SUBSET_FIELDS:  # rare: scan instead of enumerating 2^n subsets
        return [k for k in groups if k[0] == lst and k[1] <= conds]
    keys = (
        (lst, frozenset(combo))
        for size in range(len(conds) + 1)
        for combo in itertools.combinations(conds, size)
    )
    return [k for k in keys if k in groups]


def _overlap_warnings(rules: Sequence[AuditRule], host: str) -> Iterator[Diagnostic]:
    """Duplicates, and rules an earlier broader rule on the same list always beats
    (the kernel stops at the first rule that matches)."""
    seen: dict[tuple[object, ...], SourceLoc] = {}
    groups: dict[_Key, _Group] = {}
    known: set[tuple[str, str, str]] = set()
    placed: list[SourceLoc] = []
    for rule in rules:
        try:
            fields, mask = signature(rule, host)
        except values.ValueProblem:
            continue
        conds = tuple(f for f in fields if f[0] != "key")
        if rule.list != "exit":
            mask = None  # syscalls do not apply: every rule on the list sees every event
        ident = (rule.list, rule.action, conds, mask, rule.keys)
        if ident in seen:
            yield _warn(rule.loc, f"duplicate of the rule at {seen[ident]}", "audit.duplicate")
            continue
        seen[ident] = rule.loc
        if _on_inode_list(rule) or rule.prepend:
            continue  # inode lists and -A (head of list) order differently: no claim
        condset = frozenset(conds)
        hits = [
            hit
            for key in _subsets(rule.list, condset, groups, known)
            for hit in (groups[key].covering(mask),)
            if hit is not None
        ]
        if hits:
            yield _warn(
                rule.loc,
                f"never matches: the broader rule at {placed[min(hits)]} matches first",
                "audit.shadowed",
            )
        groups.setdefault((rule.list, condset), _Group()).add(len(placed), mask)
        known.update(condset)
        placed.append(rule.loc)


def _style_warnings(rule: AuditRule) -> Iterator[Diagnostic]:
    if rule.watch is not None:
        if any(isinstance(p, (Syscalls, FieldCond, Compare)) for p in rule.parts):
            yield _warn(
                rule.loc,
                "-w with -S/-F/-C is the deprecated watch syntax; write "
                f"-a always,exit -F path={rule.watch} -F perm=... instead",
                "audit.deprecated-watch",
            )
        elif rule.watch.endswith("/") and len(rule.watch) > 1:
            yield _warn(
                rule.loc,
                f"-w on a directory: -a always,exit -F dir={rule.watch.rstrip('/')} -F perm=... "
                "says so explicitly",
                "audit.deprecated-watch",
            )
    elif (
        rule.list == "exit"
        and not rule.syscalls
        and not {f.name for f in rule.fields} & {"path", "dir", "perm", "exe"}
    ):
        yield _warn(
            rule.loc,
            "exit rule without -S, path or perm is checked on every syscall; name the syscalls",
            "audit.no-syscall",
        )


def lint(rules: Sequence[Rule], *, arch: str) -> Iterator[Diagnostic]:
    """Warnings across a rule set that passed the per-rule checks."""
    audit = [r for r in rules if isinstance(r, AuditRule)]
    for rule in audit:
        yield from _style_warnings(rule)
    yield from _arch_warnings(audit, arch)
    yield from _overlap_warnings(audit, arch)
    for i, control in enumerate(rules):
        if (
            isinstance(control, ControlRule)
            and (control.option, control.value) == ("-e", "2")
            and i != len(rules) - 1
        ):
            yield _warn(
                control.loc,
                "-e 2 locks the rules; anything after it fails to load: put it last",
                "audit.enable-not-last",
            )
