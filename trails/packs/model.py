"""What a control pack holds once loaded: frozen, validated, with source locations.

A pack is a directory under ``cis_pci_packs/`` with a ``pack.yaml`` (metadata, and for a
framework pack such as PCI DSS its requirement list) and ``controls/*.yaml`` files.
See docs/packs.md for the format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trails.errors import SourceLoc

PROFILES = ("server", "workstation")
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Ref:
    """A framework reference: ``cis-ubuntu-22.04: 1.1.1.1`` or ``pci-dss-4.0.1: 2.2.6``."""

    framework: str
    requirement: str


@dataclass(frozen=True)
class Check:
    """How an automated control is evaluated: a raw query or one of the check kinds.

    ``kind`` is ``query`` or a template name (``sysctl``, ``file``, ...); ``spec`` is the
    validated YAML value of that key (read-only by convention).
    """

    kind: str
    spec: Any
    evidence: tuple[str, ...] = ()  # raw queries only: the columns shown as evidence
    pass_rule: str = "all_ok"  # raw queries only: "all_ok" or "no_rows"
    observe: str | None = None  # raw "no_rows" queries: proves the data source was seen


@dataclass(frozen=True)
class Fixture:
    """A test host and the status the control must get on it.

    ``host`` is a host state (trails.collector.hoststate) that the collector reads as
    osquery would; ``tables`` are raw rows, kept only where no host state can express
    the case (they replace the collector's table of that name).
    """

    expect: str  # a HostStatus value
    tables: Mapping[str, tuple[Mapping[str, Any], ...]]
    loc: SourceLoc
    note: str = ""
    host: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    pack: str
    refs: tuple[Ref, ...]
    profiles: tuple[tuple[str, int], ...]  # (profile, level), e.g. ("server", 1)
    severity: str
    platforms: tuple[str, ...]
    remediation: str
    rationale: str
    loc: SourceLoc
    check: Check | None = None
    manual: str | None = None  # why no automated check is possible
    not_applicable_when: str | None = None
    audit_rules: tuple[str, ...] = ()  # rule groups (cis_pci_packs/audit/<arch>/<g>.rules)
    fixtures: tuple[Fixture, ...] = ()
    interval: int | None = None

    @property
    def automated(self) -> bool:
        """Automated means: a check, and host-state fixtures proving both a pass and a
        fail (rows written by hand prove only that a check fits its own rows)."""
        expects = {f.expect for f in self.fixtures if f.host is not None}
        return self.check is not None and {"pass", "fail"} <= expects

    def level(self, profile: str) -> int | None:
        levels = [lvl for prof, lvl in self.profiles if prof == profile]
        return min(levels) if levels else None

    def refs_for(self, framework: str) -> tuple[str, ...]:
        return tuple(r.requirement for r in self.refs if r.framework == framework)


@dataclass(frozen=True)
class RequirementDef:
    """A framework requirement declared by a framework pack (PCI DSS)."""

    id: str
    title: str
    manual_evidence: str
    loc: SourceLoc


@dataclass(frozen=True)
class Pack:
    id: str
    framework: str
    title: str
    version: str
    platforms: tuple[str, ...]
    path: str  # the pack directory
    loc: SourceLoc  # pack.yaml
    packages: str = "deb"  # which package table the package checks read: deb or rpm
    applies_when: str | None = None  # no row -> every control is not_applicable
    interval: int = 3600
    audit_max_age: int = 10800  # s: an older trails_audit_rules snapshot makes checks stale
    controls: tuple[Control, ...] = ()
    requirements: tuple[RequirementDef, ...] = ()
    fixture_defaults: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    fixture_host: Mapping[str, Any] = field(default_factory=dict)  # every host state's base
