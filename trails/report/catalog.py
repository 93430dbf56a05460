"""What evaluation needs to know about controls and framework requirements.

The packs (``trails.packs.load_catalog``) are the source; ``from_packs`` adapts their
catalog to this small interface so that the report depends on nothing else of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from trails.report.model import ControlInfo


@dataclass(frozen=True)
class RequirementSpec:
    """A framework requirement the report must list, even with no automated control."""

    framework: str
    requirement: str
    title: str = ""
    manual_reason: str | None = None  # what evidence must come from elsewhere


@dataclass(frozen=True)
class ReportCatalog:
    controls: tuple[ControlInfo, ...] = ()
    requirements: tuple[RequirementSpec, ...] = ()

    def control(self, control_id: str) -> ControlInfo | None:
        return self._by_id.get(control_id)

    @cached_property
    def _by_id(self) -> dict[str, ControlInfo]:
        return {c.id: c for c in self.controls}
