"""What one ``trails fetch`` run reports: the result for the CLI and the status row.

The status row follows ``trails.models.status.STATUS``: it always names the release
the host runs now (from the agent state), and the outcome of this attempt.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from trails.agent.state import AgentState
from trails.errors import TrailsError, failure_name
from trails.formats.manifest import format_time
from trails.formats.names import AUDIT_RULES, OSQUERY_CONF

__all__ = ["FetchResult", "failure_name", "status_row"]


class FetchResult(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
    outcome: str  # "installed", "unchanged" (304), "renewed" (same files, new expiry)
    namespace: str
    version: int
    config_version: str
    expires: str
    signer_subject: str
    signer_fingerprint: str
    installed: dict[str, str]  # path -> sha256
    audit_rules_loaded: int = 0
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "namespace": self.namespace,
            "version": self.version,
            "config_version": self.config_version,
            "expires": self.expires,
            "signer": {"subject": self.signer_subject, "fingerprint": self.signer_fingerprint},
            "installed": self.installed,
            "audit_rules_loaded": self.audit_rules_loaded,
            "warnings": list(self.warnings),
        }


def status_row(
    now: datetime,
    current: AgentState | None,
    result: FetchResult | None,
    error: TrailsError | None,
    *,
    osquery_conf: Path,
    audit_rules: Path,
) -> dict[str, str]:
    """The ``trails_status`` row after an attempt; ``current`` is the release that runs."""
    row = {
        "last_attempt_at": format_time(now),
        "last_result": "ok" if result and result.outcome != "unchanged" else "unchanged",
        "last_error": "",
        "osquery_conf_path": str(osquery_conf),
        "audit_rules_path": str(audit_rules),
    }
    if error is not None:
        row["last_result"] = failure_name(error)
        row["last_error"] = str(error)
    if current is not None:
        row.update(
            namespace=current.namespace,
            version=str(current.version),
            config_version=current.config_version,
            signer_subject=current.signer_subject,
            signer_fingerprint=current.signer_fingerprint,
            verified_at=current.verified_at,
            expires=current.expires,
            osquery_conf_sha256=current.files.get(OSQUERY_CONF, ""),
            audit_rules_sha256=current.files.get(AUDIT_RULES, ""),
        )
    return row
