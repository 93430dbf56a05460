"""What a policy file or an included pack contributes to one namespace's config.

``trails.build`` merges fragments; ``trails.packs.include`` turns a pack reference
into one. Every piece keeps the place it came from so that conflicts and lint errors
name file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trails.errors import SourceLoc


@dataclass(frozen=True)
class ScheduledQuery:
    """One osquery schedule entry (osquery's own key names, unset ones omitted)."""

    name: str
    query: str
    interval: int
    loc: SourceLoc
    snapshot: bool | None = None
    removed: bool | None = None
    platform: str | None = None
    version: str | None = None
    shard: int | None = None
    denylist: bool | None = None
    description: str | None = None

    def to_osquery(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"query": self.query, "interval": self.interval}
        for key in ("snapshot", "removed", "platform", "version", "shard", "denylist"):
            value = getattr(self, key)
            if value is not None:
                entry[key] = value
        if self.description:
            entry["description"] = self.description
        return entry


@dataclass(frozen=True)
class AuditRuleSource:
    """One line of auditctl rule text, as written in a policy or pack."""

    text: str
    loc: SourceLoc


@dataclass(frozen=True)
class Fragment:
    origin: str  # for messages: "pack cis_ubuntu_22_04" or a policy file path
    queries: tuple[ScheduledQuery, ...] = ()
    audit_rules: tuple[AuditRuleSource, ...] = ()
