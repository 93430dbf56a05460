"""Every pack's controls and every framework's requirements, for reports and docs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from trails.errors import SourceError, SourceLoc
from trails.packs.loader import PACK_FILE, load_pack
from trails.packs.model import Control, Pack


@dataclass(frozen=True)
class Requirement:
    """One framework requirement and the controls that evidence it.

    ``manual_evidence`` says what must come from elsewhere (empty when the controls
    cover the requirement fully); a requirement with no control is manual only.
    """

    id: str
    title: str
    control_ids: tuple[str, ...]
    manual_evidence: str


def _req_key(req_id: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in req_id.split("."))


@dataclass(frozen=True)
class Catalog:
    packs: tuple[Pack, ...]
    controls: Mapping[str, Control]

    def control(self, control_id: str) -> Control:
        return self.controls[control_id]

    def frameworks(self) -> tuple[str, ...]:
        return tuple(sorted({r.framework for c in self.controls.values() for r in c.refs}))

    def pack(self, pack_id: str) -> Pack:
        for pack in self.packs:
            if pack.id == pack_id:
                return pack
        raise KeyError(pack_id)

    def requirements(self, framework: str) -> list[Requirement]:
        """Every requirement of ``framework``, manual ones included, in numeric order."""
        declared = {r.id: r for p in self.packs if p.framework == framework for r in p.requirements}
        by_req: dict[str, list[Control]] = {}
        for control in self.controls.values():
            for req in control.refs_for(framework):
                by_req.setdefault(req, []).append(control)
        out = []
        for req_id in sorted(set(declared) | set(by_req), key=_req_key):
            controls = sorted(by_req.get(req_id, []), key=lambda c: c.id)
            if req_id in declared:
                title = declared[req_id].title
                manual = declared[req_id].manual_evidence
            else:
                title = controls[0].title
                manual = "; ".join(c.manual for c in controls if c.manual)
            out.append(Requirement(req_id, title, tuple(c.id for c in controls), manual))
        return out


def _check_refs(packs: tuple[Pack, ...], controls: Mapping[str, Control]) -> None:
    """A reference to a framework that declares its requirements must name one of them."""
    declared: dict[str, set[str]] = {}
    for pack in packs:
        if pack.requirements:
            declared.setdefault(pack.framework, set()).update(r.id for r in pack.requirements)
    for control in controls.values():
        for ref in control.refs:
            known = declared.get(ref.framework)
            if known is not None and ref.requirement not in known:
                raise SourceError(
                    control.loc,
                    f"{control.id}: {ref.framework} has no requirement {ref.requirement}",
                )


def load_catalog(packs_dir: Path) -> Catalog:
    """Load every pack under ``packs_dir`` (each subdirectory holding a pack.yaml)."""
    if not packs_dir.is_dir():
        raise SourceError(SourceLoc(str(packs_dir)), "packs directory not found")
    packs = tuple(load_pack(d) for d in sorted(packs_dir.iterdir()) if (d / PACK_FILE).is_file())
    controls: dict[str, Control] = {}
    for pack in packs:
        for control in pack.controls:
            other = controls.setdefault(control.id, control)
            if other is not control:
                raise SourceError(
                    control.loc, f"control {control.id} is also defined at {other.loc}"
                )
    _check_refs(packs, controls)
    return Catalog(packs=packs, controls=controls)
