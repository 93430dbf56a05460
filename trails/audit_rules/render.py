"""Rules back to rule-file text: one line per rule, in the order and spelling parsed.

``render`` is pure and deterministic, and ``parse(render(rules))`` gives the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from trails.audit_rules.model import (
    AuditRule,
    Compare,
    ControlRule,
    FieldCond,
    Key,
    Part,
    Rule,
    Syscalls,
)


def _part_text(part: Part) -> str:
    if isinstance(part, Syscalls):
        return "-S " + ",".join(part.names)
    if isinstance(part, FieldCond):
        return f"-F {part.name}{part.op}{part.value}"
    if isinstance(part, Compare):
        return f"-C {part.left}{part.op}{part.right}"
    if isinstance(part, Key):
        return f"-k {part.value}" if part.flag else f"-F key={part.value}"
    return f"-p {part.perms}"


def render_rule(rule: Rule) -> str:
    """One rule as a rule-file line (no newline)."""
    if isinstance(rule, ControlRule):
        return rule.option if rule.value is None else f"{rule.option} {rule.value}"
    if not isinstance(rule, AuditRule):
        raise TypeError(f"not an audit rule: {rule!r}")
    if rule.watch is not None:
        head = f"-w {rule.watch}"
    else:
        head = f"{'-A' if rule.prepend else '-a'} {rule.action},{rule.list}"
    return " ".join([head, *(_part_text(p) for p in rule.parts)])


def render(rules: Sequence[Rule]) -> str:
    """Rule-file text: one rule per line, each ending in a newline."""
    return "".join(render_rule(r) + "\n" for r in rules)
