"""Per-rule checks as strict as auditctl and the kernel, so a rule that passes here loads.

Each check names the rule's file and line. The sources of truth are auditctl's
``setopt``/``audit_rule_fieldpair_data`` (lib/libaudit.c) and the kernel's
``audit_field_valid`` / ``audit_to_watch`` (kernel/auditfilter.c).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from trails.audit_rules import tables, values
from trails.audit_rules.lint import lint
from trails.audit_rules.model import (
    AuditRule,
    Compare,
    ControlRule,
    FieldCond,
    Perm,
    Rule,
    Syscalls,
)
from trails.models.diagnostic import Diagnostic, Severity

Finding = tuple[Severity, str, str]  # severity, message, code
_E, _W = Severity.ERROR, Severity.WARNING


@dataclass
class _State:
    machine: tables.Machine
    syscall_added: bool = False
    dependency: bool = False  # a syscall, perm, path, exe or fstype came before (keys need one)
    arch_given: bool = False
    paths: int = 0
    exes: int = 0
    inode: bool = False


def _check_list(rule: AuditRule) -> Iterator[Finding]:
    if rule.list not in tables.LISTS:  # the parser refuses these; a hand-made rule may not
        yield _E, f"unknown list {rule.list!r} (one of {', '.join(tables.LISTS)})", "audit.list"
    elif rule.list == "io_uring":
        yield _W, "io_uring rules need auditctl 3.1+; -S op names are not checked", "audit.list"


def _check_watch(path: str) -> Iterator[Finding]:
    if not path.startswith("/"):
        yield _E, f"path {path!r} must start with '/'", "audit.path"
    if len(path) >= tables.PATH_MAX:
        yield _E, f"path is longer than {tables.PATH_MAX - 1} characters", "audit.path"
    if len(path.rstrip("/").rsplit("/", 1)[-1]) > tables.NAME_MAX:
        yield _E, f"the last name in the path is longer than {tables.NAME_MAX}", "audit.path"
    if ".." in path:
        yield _W, "relative path notation ('..') is not supported by audit", "audit.path"


def _check_syscalls(rule: AuditRule, part: Syscalls, st: _State) -> Iterator[Finding]:
    if rule.list in ("task", "user", "filesystem", "exclude"):
        yield _E, f"-S is not allowed on the {rule.list} list", "audit.syscall-list"
        return
    st.syscall_added = st.dependency = True
    if rule.list == "io_uring":
        return
    for name in part.names:
        if name == "all":
            continue
        try:
            nr = values.syscall_number(name, st.machine)
        except values.ValueProblem as exc:
            yield _E, str(exc), "audit.syscall"
            continue
        if name[:1].isdigit() and nr not in tables.syscall_names(st.machine.name):
            yield (
                _W,
                f"syscall number {nr} has no name for {st.machine.name}; check it is right",
                "audit.syscall-number",
            )


def _check_field(rule: AuditRule, f: FieldCond, st: _State, host: str) -> Iterator[Finding]:
    name, lst = f.name, rule.list
    if name not in tables.field_names():
        yield _E, f"unknown field {name!r}", "audit.field"
        return
    if name == "key":
        yield _E, "key takes only '=' (-F key=... or -k ...)", "audit.operator"
        return
    if name in tables.EXIT_ONLY and lst != "exit":
        yield _E, f"field {name} is allowed only on the exit list", "audit.field-list"
    elif name in tables.FIELD_LISTS and lst not in tables.FIELD_LISTS[name]:
        where = ", ".join(sorted(tables.FIELD_LISTS[name]))
        yield _E, f"field {name} is allowed only on the {where} list(s)", "audit.field-list"
    elif lst == "exclude" and name not in tables.EXCLUDE_FIELDS:
        yield _E, f"field {name} cannot be used on the exclude list", "audit.field-list"
    elif lst == "filesystem" and name != "fstype":
        yield _E, "the filesystem list takes only fstype (and keys)", "audit.field-list"
    ops = tables.FIELD_OPS.get(name, tables.NO_BIT_OPS)
    if f.op not in ops:
        yield (
            _E,
            f"operator {f.op} is not valid for {name} (use {' '.join(sorted(ops))})",
            ("audit.operator"),
        )
    if name == "arch":
        if st.syscall_added:
            yield _E, "-F arch must come before -S (and cannot follow -w)", "audit.arch-order"
        st.arch_given = True
    try:
        value = values.convert(name, f.value, host)
        if name in ("auid", "loginuid") and value == values.U32 and f.op not in tables.EQ_OPS:
            # The kernel turns auid=unset into loginuid_set, which takes only = and !=.
            yield _E, f"auid unset (-1) takes only = or !=, not {f.op}", "audit.operator"
        if name == "arch":
            st.machine = values.resolve_arch(f.value, host)
    except values.Unresolved as exc:
        yield _W, f"{exc}; auditctl on the target host must know it", "audit.unresolved"
    except values.ValueProblem as exc:
        yield _E, str(exc), "audit.value"
    if name in ("path", "dir"):
        st.paths += 1
        st.dependency = True
        if not f.value.startswith("/"):
            yield _E, f"{name} {f.value!r} must be an absolute path", "audit.path"
        elif name == "path" and f.value.endswith("/"):
            yield _E, "path must not end in '/' (use -F dir= for a directory)", "audit.path"
    if name == "exe":
        st.exes += 1
        if not f.value.startswith("/"):
            yield _E, f"exe {f.value!r} must be an absolute path", "audit.path"
    st.inode = st.inode or name == "inode"
    if name in ("perm", "exe", "fstype"):
        st.dependency = True


def _check_compare(rule: AuditRule, c: Compare) -> Iterator[Finding]:
    if rule.list != "exit":
        yield _E, "-C is allowed only on the exit list", "audit.field-list"
    if c.op not in ("=", "!="):
        yield _E, f"-C takes only = or !=, not {c.op}", "audit.operator"
    left, right = tables.canonical_field(c.left), tables.canonical_field(c.right)
    if frozenset({left, right}) not in tables.COMPARE_CANON:
        yield _E, f"-C cannot compare {c.left} with {c.right}", "audit.compare"


def _check_keys(rule: AuditRule, st: _State) -> Iterator[Finding]:
    keys = rule.keys
    if keys and not st.dependency and rule.watch is None:
        yield _E, "a key needs a syscall, watch, perm, exe or fstype in the rule", "audit.key"
    total = sum(len(k) for k in keys) + max(len(keys) - 1, 0)
    if total > tables.AUDIT_MAX_KEY_LEN:
        yield _E, f"keys are {total} bytes; the limit is {tables.AUDIT_MAX_KEY_LEN}", "audit.key"


def check_audit_rule(rule: AuditRule, host: str) -> Iterator[Finding]:
    yield from _check_list(rule)
    st = _State(machine=values.host_machine(host))
    if rule.watch is not None:
        yield from _check_watch(rule.watch)
        st.syscall_added = st.dependency = True
        st.paths = 1
    count = 2 if rule.watch is not None else 0
    for part in rule.parts:
        if isinstance(part, Syscalls):
            yield from _check_syscalls(rule, part, st)
        elif isinstance(part, FieldCond):
            count += 1
            yield from _check_field(rule, part, st, host)
        elif isinstance(part, Compare):
            count += 1
            yield from _check_compare(rule, part)
        elif isinstance(part, Perm):
            st.dependency = True
            try:
                values.convert("perm", part.perms, host)
            except values.ValueProblem as exc:
                yield _E, str(exc), "audit.value"
        elif part.flag and not st.dependency:
            yield _E, "-k must follow a watch or -S (auditctl reads options in order)", "audit.key"
    if st.paths > 1:
        yield _E, "a rule takes at most one path, dir or watch", "audit.path"
    if st.exes > 1:
        yield _E, "a rule takes at most one exe", "audit.path"
    if st.paths and st.inode:
        yield _E, "a rule cannot have both a path and an inode", "audit.path"
    yield from _check_keys(rule, st)
    if count + (1 if rule.keys else 0) >= tables.AUDIT_MAX_FIELDS:
        yield _E, f"more than {tables.AUDIT_MAX_FIELDS - 1} fields in one rule", "audit.fields"


def check_control(rule: ControlRule) -> Iterator[Finding]:
    opt, value = rule.option, rule.value
    if opt in ("-e", "-f"):
        if value not in ("0", "1", "2"):
            yield _E, f"{opt} must be 0, 1 or 2, got {value!r}", "audit.control"
    elif value is not None:
        n = values.c_int(value) if value[:1].isdigit() else None
        if n is None or n > values.U32:
            yield _E, f"{opt} must be a number, got {value!r}", "audit.control"


def _rule_findings(rule: Rule, host: str) -> Iterator[Finding]:
    if isinstance(rule, ControlRule):
        yield from check_control(rule)
    elif isinstance(rule, AuditRule):
        yield from check_audit_rule(rule, host)


def validate(rules: Sequence[Rule], *, arch: str = "x86_64") -> tuple[Diagnostic, ...]:
    """Errors (auditctl or the kernel would refuse) and lint warnings, in rule order."""
    values.host_machine(arch)  # an unknown arch is the caller's bug: fail loudly
    out: list[Diagnostic] = []
    bad: set[int] = set()
    for i, rule in enumerate(rules):
        for severity, message, code in _rule_findings(rule, arch):
            out.append(Diagnostic(rule.loc, severity, message, code))
            if severity is Severity.ERROR:
                bad.add(i)
    good = [r for i, r in enumerate(rules) if i not in bad]
    out.extend(lint(good, arch=arch))
    out.sort(key=lambda d: (d.loc.path, d.loc.line))
    return tuple(out)
