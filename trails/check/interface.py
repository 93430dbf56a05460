"""What evaluating one compiled control gives, and what evaluates it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# A query that fails on the host has no status row: the report calls that ``error``.
ERROR = "error"


@dataclass(frozen=True)
class CheckResult:
    control_id: str
    title: str
    status: str  # a HostStatus value, or ERROR
    evidence: tuple[Mapping[str, Any], ...] = ()
    detail: str = ""  # why, for error / no_evidence / stale

    def as_dict(self) -> dict[str, Any]:
        return {
            "control_id": self.control_id,
            "status": self.status,
            "evidence": [dict(e) for e in self.evidence],
            "detail": self.detail,
        }


class QueryFailed(Exception):
    """The host's SQL engine refused or failed the query (one line: why)."""


class Evaluator(Protocol):
    def describe(self) -> dict[str, Any]:
        """What collected the rows, for ``--json``'s ``collector``."""
        ...

    def run(self, sql: str) -> list[dict[str, Any]]:
        """The rows of ``sql``; raises QueryFailed."""
        ...

    def close(self) -> None: ...
