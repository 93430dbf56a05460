"""Audit rules of a namespace: parsed and validated by ``trails.audit_rules``, then merged
and rendered into ``audit.rules`` in augenrules order (one function is the interface).

Each line is parsed on its own (cached: an ancestor's rules are parsed once, not once per
descendant), then the namespace's whole rule set is validated together, so checks that
look across rules (a b64 rule's b32 twin, overlaps) see every rule the host will load.
Control lines no host loads (``-D``, ``-e 0``, ...) are errors: the rule set is
``trails.audit_rules.controls``, which the agent applies too.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from trails import audit_rules
from trails.audit_rules import controls
from trails.models.diagnostic import Diagnostic, Severity
from trails.models.fragment import AuditRuleSource


@functools.lru_cache(maxsize=65536)
def _parse(text: str, path: str, line: int) -> audit_rules.ParseResult:
    return audit_rules.parse(text, path, first_line=line)


def render_rules(rules: Sequence[AuditRuleSource], arch: str) -> tuple[str, list[Diagnostic]]:
    """The ``audit.rules`` text and the problems found (text is empty if any is an error)."""
    parts: list[tuple[audit_rules.Rule, ...]] = []
    diags: list[Diagnostic] = []
    for rule in rules:
        result = _parse(rule.text, rule.loc.path, rule.loc.line)
        diags.extend(result.diagnostics)
        parts.append(result.rules)
    flat = [r for part in parts for r in part]
    diags.extend(audit_rules.validate(flat, arch=arch))
    # What every host refuses, the build refuses (trails.audit_rules.controls); merge puts
    # -e last, so the position of -e 2 in the sources does not matter.
    diags.extend(
        Diagnostic(rule.loc, Severity.ERROR, why, "audit.control-refused")
        for rule, why in controls.problems(flat, ordered=False)
    )
    if any(d.severity is Severity.ERROR for d in diags):
        return "", diags
    return audit_rules.render(audit_rules.merge(parts)), diags
