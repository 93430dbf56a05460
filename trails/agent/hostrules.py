"""Host-side audit rules: the release's ``audit.rules`` with its globs expanded here.

Globs (``-w /etc/cron.d/*``) can only be resolved on the host, against its own file
system (under ``--root`` for a sandbox). The audit-rules engine parses, expands and
renders; this module maps its findings to the agent's refusal, so a rule file that
does not parse never reaches the installed file or the kernel. Control lines are judged
by ``trails.audit_rules.controls``, the rule set the build applies.
"""

from __future__ import annotations

from pathlib import Path

from trails import audit_rules
from trails.agent.apply import AuditRulesRefused
from trails.audit_rules import controls
from trails.audit_rules.normalise import default_arch
from trails.formats.names import AUDIT_RULES
from trails.models.diagnostic import Severity


def expand(data: bytes, *, root: Path, max_rules: int) -> bytes:
    """The rules file to install on this host for the signed ``audit.rules``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AuditRulesRefused("audit.rules is not UTF-8 text; fix the build") from None
    # Validate for this host's architecture: a rule auditctl or the kernel would refuse
    # is caught here, before any file is replaced.
    parsed = audit_rules.check(text, AUDIT_RULES, arch=default_arch())
    errors = [d for d in parsed.diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise AuditRulesRefused(f"{errors[0]}; keep the installed rules and fix the policy")
    for rule, why in controls.problems(parsed.rules):  # the build's rule set, in file order
        raise AuditRulesRefused(f"audit.rules line {rule.loc.line}: {why}")
    try:
        expanded = audit_rules.expand_globs(parsed.rules, root=root, max_rules=max_rules)
    except audit_rules.GlobExpansionError as exc:
        raise AuditRulesRefused(str(exc)) from None
    return audit_rules.render(expanded).encode("utf-8")
