"""What evaluation needs to know about controls and framework requirements.

The packs (``trails.packs.load_catalog``) are the source; ``from_packs`` adapts their
catalog to this small interface so that the report depends on nothing else of theirs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from trails.errors import UsageError
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
    declared: bool = False  # listed by the framework's own pack (not only by a control's ref)


@dataclass(frozen=True)
class ReportCatalog:
    controls: tuple[ControlInfo, ...] = ()
    requirements: tuple[RequirementSpec, ...] = ()
    packs: Mapping[str, str] = field(default_factory=dict)  # control id -> pack id

    def frameworks(self) -> tuple[str, ...]:
        return tuple(sorted({r.framework for c in self.controls for r in c.refs}))

    def scoped(self, scheduled: Collection[str] | None, framework: str | None) -> ReportCatalog:
        """The part of the catalog a report covers (docs/report.md, "Scope").

        ``scheduled``: the controls the signed releases schedule (None: no releases, every
        control); the manual controls of their packs come along (a manual control with
        no known pack, when its frameworks are those of a scheduled control). ``framework``
        narrows to the controls that reference it. Requirements follow: those of the
        frameworks left (with releases: declared by the framework's pack, or referenced by
        a control left).
        """
        if scheduled is None and framework is None:
            return self  # no releases: every pack, as before
        if framework is not None and framework not in self.frameworks():
            known = ", ".join(self.frameworks()) or "none (give --packs)"
            raise UsageError(f"--framework {framework}: choose from {known}")
        controls = self.controls
        if scheduled is not None:
            wanted = set(scheduled)
            packs = {self.packs[c] for c in wanted if c in self.packs}
            frameworks = {r.framework for c in controls if c.id in wanted for r in c.refs}
            controls = tuple(
                c
                for c in controls
                if c.id in wanted
                or (
                    c.manual_reason
                    and (
                        self.packs.get(c.id) in packs
                        if c.id in self.packs
                        else any(r.framework in frameworks for r in c.refs)
                    )
                )
            )
        if framework is not None:
            controls = tuple(c for c in controls if any(r.framework == framework for r in c.refs))
        in_scope = {r.framework for c in controls for r in c.refs}
        if framework is not None:
            in_scope &= {framework}
        referenced = {(r.framework, r.requirement) for c in controls for r in c.refs}
        requirements = tuple(
            r
            for r in self.requirements
            if r.framework in in_scope
            and (scheduled is None or r.declared or (r.framework, r.requirement) in referenced)
        )
        ids = {c.id for c in controls}
        return ReportCatalog(
            controls, requirements, {c: p for c, p in self.packs.items() if c in ids}
        )

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
    declared = {(p.framework, r.id) for p in catalog.packs for r in p.requirements}
    requirements = tuple(
        RequirementSpec(
            fw, r.id, r.title, r.manual_evidence or None, declared=(fw, r.id) in declared
        )
        for fw in catalog.frameworks()
        for r in catalog.requirements(fw)
    )
    return ReportCatalog(
        controls=controls,
        requirements=requirements,
        packs={c.id: c.pack for c in catalog.controls.values()},
    )


def load_report_catalog(packs_dir: Path) -> ReportCatalog:
    return from_packs(load_catalog(packs_dir))
