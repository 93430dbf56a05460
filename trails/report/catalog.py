"""What evaluation needs to know about controls and framework requirements.

The packs (``trails.packs.load_catalog``) are the source; ``from_packs`` adapts their
catalog to this small interface so that the report depends on nothing else of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from trails.packs.catalog import Catalog, load_catalog
from trails.packs.model import Control
from trails.report.model import ControlInfo, FrameworkRef


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


def _level(control: Control) -> str:
    return ", ".join(f"L{level} {profile}" for profile, level in control.profiles)


def from_packs(catalog: Catalog) -> ReportCatalog:
    """The report's view of the packs: control metadata and every framework requirement."""
    controls = tuple(
        ControlInfo(
            id=c.id,
            title=c.title,
            severity=c.severity,
            level=_level(c),
            refs=tuple(FrameworkRef(r.framework, r.requirement) for r in c.refs),
            manual_reason=c.manual,
            remediation=c.remediation,
            rationale=c.rationale,
        )
        for c in sorted(catalog.controls.values(), key=lambda c: c.id)
    )
    requirements = tuple(
        RequirementSpec(fw, r.id, r.title, r.manual_evidence or None)
        for fw in catalog.frameworks()
        for r in catalog.requirements(fw)
    )
    return ReportCatalog(controls=controls, requirements=requirements)


def load_report_catalog(packs_dir: Path) -> ReportCatalog:
    return from_packs(load_catalog(packs_dir))
