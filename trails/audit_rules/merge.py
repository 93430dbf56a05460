"""Merge rule sets from several namespaces and packs the way ``augenrules`` orders them.

augenrules concatenates the rule files in order, keeps the *last* ``-D``, ``-b``, ``-f``
and ``-e``, and writes ``-D`` first, then ``-b``, then ``-f``, then every other line in
order, then ``-e`` last (so a locking ``-e 2`` cannot cut the rule set short). On top of
that, rules the kernel would refuse as duplicates ("Rule exists") are dropped, keeping
the first; the output is stable for the same input.
"""

from __future__ import annotations

from collections.abc import Sequence

from trails.audit_rules import values
from trails.audit_rules.model import AuditRule, ControlRule, Rule
from trails.audit_rules.normalise import default_arch, signature

_LAST_WINS = ("-D", "-b", "-f", "-e")


def identity(rule: Rule) -> object:
    """Two rules with the same identity are the same rule to the kernel."""
    if isinstance(rule, AuditRule):
        try:
            return ("kernel", rule.list, rule.action, *signature(rule, default_arch()))
        except values.ValueProblem:
            return ("text", rule.with_parts(rule.parts), rule.prepend)
    return rule


def merge(parts: Sequence[Sequence[Rule]]) -> tuple[Rule, ...]:
    """augenrules ordering of ``parts`` (in the order given), duplicates removed."""
    last: dict[str, ControlRule] = {}
    rest: list[Rule] = []
    seen: set[object] = set()
    for part in parts:
        for rule in part:
            if isinstance(rule, ControlRule) and rule.option in _LAST_WINS:
                last[rule.option] = rule
                continue
            ident = identity(rule)
            if ident not in seen:
                seen.add(ident)
                rest.append(rule)
    head = [last[o] for o in ("-D", "-b", "-f") if o in last]
    tail = [last["-e"]] if "-e" in last else []
    return (*head, *rest, *tail)
