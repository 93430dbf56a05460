"""The canonical form of a rule: exactly the line ``auditctl -l`` prints once it is loaded.

auditctl turns a rule into the kernel's form (fields in the order given, every key
joined into one key field at the end, syscalls as a bitmask, values as 32-bit numbers)
and ``auditctl -l`` prints that form back (src/auditctl-listing.c). This module
replays both steps. Two facts come from the host, as they do for auditctl: user and
group names, and whether a ``-w`` path that carries extra fields is a directory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from trails.audit_rules import tables, values
from trails.audit_rules.model import AuditRule, Compare, FieldCond, Key, Perm, Rule
from trails.audit_rules.render import render_rule
from trails.errors import SourceError

_WATCH_FIELDS = frozenset({"perm", "key", "dir", "path"})
_NO_SYSCALL_LISTS = frozenset({"task", "user", "exclude", "filesystem", "io_uring"})


def default_arch() -> str:
    machine = os.uname().machine
    return machine if machine in tables.MACHINES else "x86_64"


@dataclass
class _KField:
    name: str  # canonical field name, "compare" for -C
    op: str
    value: int | str


@dataclass
class _Kernel:
    fields: list[_KField]
    syscalls: set[int] | None  # None: all syscalls
    machine: tables.Machine


def _watch_path(path: str) -> str:
    while len(path) > 2 and path.endswith("/"):
        path = path[:-1]
    return path


def to_kernel(rule: AuditRule, host: str) -> _Kernel:
    """What auditctl sends to the kernel for this rule (raises ValueProblem)."""
    machine = values.host_machine(host)
    fields: list[_KField] = []
    mask: set[int] | None = set()
    syscall_given = False
    if rule.watch is not None:
        path = _watch_path(rule.watch)
        kind = "dir" if os.path.isdir(path) else "path"
        fields += [_KField(kind, "=", path), _KField("perm", "=", 15)]
        mask, syscall_given = None, True
    keys: list[str] = []
    for part in rule.parts:
        if isinstance(part, Key):
            keys.append(part.value)
        elif isinstance(part, Perm):
            bits = values.convert("perm", part.perms, host)
            existing = [f for f in fields if f.name == "perm"]
            if existing:
                for f in existing:
                    f.value = bits
            else:
                fields.append(_KField("perm", "=", bits))
        elif isinstance(part, Compare):
            pair = tables.COMPARE_CANON.get(
                frozenset({tables.canonical_field(part.left), tables.canonical_field(part.right)})
            )
            if pair is None:
                raise values.ValueProblem(f"cannot compare {part.left} with {part.right}")
            fields.append(_KField("compare", part.op, f"{pair[0]}{part.op}{pair[1]}"))
        elif isinstance(part, FieldCond):
            value = values.convert(part.name, part.value, host)
            if part.name == "arch":
                machine = values.resolve_arch(part.value, host)
            fields.append(_KField(tables.canonical_field(part.name), part.op, value))
        else:  # Syscalls
            syscall_given = True
            for name in part.names:
                if name == "all":
                    mask = None
                elif mask is not None:
                    mask.add(values.syscall_number(name, machine))
    if not syscall_given and rule.list != "task":
        mask = None
    if keys:
        fields.append(_KField("key", "=", "\x01".join(keys)))
    return _Kernel(fields, mask, machine)


Signature = tuple[tuple[tuple[str, str, str], ...], frozenset[int] | None]


@lru_cache(maxsize=1 << 16)
def signature(rule: AuditRule, host: str) -> Signature:
    """The kernel's view of a rule as an immutable value: (fields, syscall mask or None
    for all). Equal signatures are the same rule to the kernel ("Rule exists")."""
    kernel = to_kernel(rule, host)
    fields = tuple((f.name, f.op, str(f.value)) for f in kernel.fields)
    return fields, None if kernel.syscalls is None else frozenset(kernel.syscalls)


def _is_watch(kernel: _Kernel, lst: str) -> bool:
    names = {f.name for f in kernel.fields}
    all_calls = lst in ("user", "task", "exclude") or kernel.syscalls is None
    return names <= _WATCH_FIELDS and "perm" in names and all_calls


def _value_text(f: _KField) -> str:
    v = f.value
    if isinstance(v, str):
        return v
    if f.name == "msgtype":
        return tables.msgtype_names().get(v, str(values.s32(v)))
    if f.name == "exit":
        signed = values.s32(v)
        name = tables.errno_names().get(-signed) if signed < 0 else None
        return f"-{name}" if name else str(signed)
    if f.name == "fstype":
        return next((n for n, nr in tables.fstypes().items() if nr == v), str(values.s32(v)))
    if f.name == "perm":
        return values.perm_text(v)
    if f.name == "inode":
        return str(v)
    if f.name in tables.ARG_FIELDS:
        return f"0x{v:X}"
    return str(values.s32(v))


def _render_kernel(rule: AuditRule, kernel: _Kernel) -> str:
    watch = _is_watch(kernel, rule.list)
    out: list[str] = []
    if not watch:
        out.append(f"-a {rule.action},{rule.list}")
        arch_machine: tables.Machine | None = None
        for f in kernel.fields:
            if f.name == "arch":
                arch_machine = tables.ELF_TO_MACHINE[int(f.value)]
                out.append(f" -F arch{f.op}{values.arch_label(arch_machine)}")
        if rule.list not in _NO_SYSCALL_LISTS:
            out.append(_syscall_text(kernel, arch_machine or kernel.machine))
    for f in kernel.fields:
        if f.name == "arch":
            continue
        if f.name == "compare":
            out.append(f" -C {f.value}")
        elif f.name == "key":
            flag = " -k " if watch else " -F key="
            out.extend(flag + k for k in str(f.value).split("\x01") if k)
        elif watch and f.name in ("path", "dir"):
            out.append(f"-w {f.value}")
        elif watch and f.name == "perm":
            out.append(f" -p {_value_text(f)}")
        else:
            out.append(f" -F {f.name}{f.op}{_value_text(f)}")
    return "".join(out)


def _syscall_text(kernel: _Kernel, machine: tables.Machine) -> str:
    if kernel.syscalls is None:
        return " -S all"
    names = tables.syscall_names(machine.name)
    return " -S " + ",".join(names.get(nr, str(nr)) for nr in sorted(kernel.syscalls))


def normalise(rule: Rule, *, arch: str | None = None) -> str:
    """The line ``auditctl -l`` prints for ``rule`` on a host of ``arch`` (default: this one).

    Control lines have no listing; their rule-file text is returned. A rule whose
    values do not convert raises :class:`~trails.errors.SourceError` (validate first).
    """
    if not isinstance(rule, AuditRule):
        return render_rule(rule)
    try:
        return _render_kernel(rule, to_kernel(rule, arch or default_arch()))
    except values.ValueProblem as exc:
        raise SourceError(rule.loc, f"cannot normalise this rule: {exc}") from None


# The kernel keeps one rule list per filter and ``auditctl -l`` walks them by filter
# number (user 0, task 1, exit 4, exclude 5, filesystem 6, io_uring 7).
_LIST_ORDER = ("user", "task", "exit", "exclude", "filesystem", "io_uring")


def listing(rules: Sequence[Rule], *, arch: str | None = None) -> tuple[str, ...]:
    """The lines ``auditctl -l`` prints after loading ``rules`` in order into an empty
    kernel: grouped by list, ``-A`` rules at the head of theirs. Control lines are
    ignored (validate the rules first, as for :func:`normalise`)."""
    per_list: dict[str, list[str]] = {name: [] for name in _LIST_ORDER}
    for rule in rules:
        if isinstance(rule, AuditRule):
            line = normalise(rule, arch=arch)
            bucket = per_list.setdefault(rule.list, [])
            if rule.prepend:
                bucket.insert(0, line)
            else:
                bucket.append(line)
    return tuple(line for lines in per_list.values() for line in lines)
