"""Rollups of results: per requirement, per control, per group, per day; the baseline diff."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from trails.models.evidence import ReportStatus
from trails.report.model.common import StatusCounts, optional_time


@dataclass(frozen=True)
class RequirementRollup:
    """One framework requirement, automated or not: every requirement is listed."""

    framework: str
    requirement: str
    title: str
    status: ReportStatus
    controls: tuple[str, ...]  # control ids mapped to it
    counts: StatusCounts
    failing_hosts: int  # hosts failing at least one of its controls
    manual_reason: str | None = None  # evidence that must come from elsewhere

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "requirement": self.requirement,
            "title": self.title,
            "status": self.status.value,
            "controls": list(self.controls),
            "counts": self.counts.to_dict(),
            "failing_hosts": self.failing_hosts,
            "manual_reason": self.manual_reason,
        }


@dataclass(frozen=True)
class ControlRollup:
    control_id: str
    status: ReportStatus
    counts: StatusCounts
    failing_hosts: tuple[str, ...]  # host_uuids, at most MAX_LISTED_HOSTS
    failing_host_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "control_id": self.control_id,
            "status": self.status.value,
            "counts": self.counts.to_dict(),
            "failing_hosts": list(self.failing_hosts),
            "failing_host_count": self.failing_host_count,
        }


@dataclass(frozen=True)
class GroupRollup:
    """Results of every host in one namespace, or of one owner."""

    name: str
    hosts: int
    counts: StatusCounts

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "hosts": self.hosts, "counts": self.counts.to_dict()}


@dataclass(frozen=True)
class TrendPoint:
    """The newest result per (host, control) as of the end of one UTC day."""

    day: date
    counts: StatusCounts

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "counts": self.counts.to_dict()}


CHANGE_KINDS = ("newly_failing", "newly_passing", "added", "removed")


@dataclass(frozen=True)
class Change:
    host_uuid: str
    control_id: str
    before: str | None  # status in the baseline; None when added
    after: str | None  # status now; None when removed

    def to_dict(self) -> dict[str, Any]:
        return {
            "host_uuid": self.host_uuid,
            "control_id": self.control_id,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class BaselineDiff:
    baseline_fingerprint: str
    baseline_generated_at: datetime | None
    # the first MAX_LISTED_CHANGES of each kind, by host and control; ``totals`` counts all
    newly_failing: tuple[Change, ...]
    newly_passing: tuple[Change, ...]
    added: tuple[Change, ...]
    removed: tuple[Change, ...]
    totals: Mapping[str, int]  # per kind: "newly_failing", "newly_passing", "added", "removed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline_fingerprint": self.baseline_fingerprint,
            "baseline_generated_at": optional_time(self.baseline_generated_at),
            "newly_failing": [c.to_dict() for c in self.newly_failing],
            "newly_passing": [c.to_dict() for c in self.newly_passing],
            "added": [c.to_dict() for c in self.added],
            "removed": [c.to_dict() for c in self.removed],
            "totals": {kind: self.totals.get(kind, 0) for kind in CHANGE_KINDS},
        }
