"""Host-side audit-rule expansion: the release's ``audit.rules`` with globs expanded here.

Globs (``-w /etc/cron.d/*``) can only be resolved on the host, against its own file
system (under ``--root`` for a sandbox). Until the audit-rules engine's
``expand_globs`` is wired in, a rule with a glob is refused (fail closed) rather
than loaded literally; rules without globs are installed exactly as signed.
"""

from __future__ import annotations

import re
from pathlib import Path

from trails.verify.apply import AuditRulesRefused

_GLOB = re.compile(r"[*?\[]")


def expand(data: bytes, *, root: Path, max_rules: int) -> bytes:
    """The rules file to install for the signed ``audit.rules`` on this host."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AuditRulesRefused("audit.rules is not UTF-8 text; fix the build") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if len(lines) > max_rules:
        raise AuditRulesRefused(
            f"audit.rules has {len(lines)} rules, more than max_audit_rules ({max_rules}); "
            "raise the limit if the release is legitimate"
        )
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#") and _GLOB.search(line):
            raise AuditRulesRefused(
                f"audit.rules line {number} has a glob, which this agent cannot expand yet; "
                "list the paths explicitly"
            )
    return data
