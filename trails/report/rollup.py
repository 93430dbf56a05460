"""Rollups of (host, control) results: per control, per requirement, per group, per day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from trails.models.evidence import ReportStatus
from trails.report.catalog import RequirementSpec
from trails.report.model import (
    MAX_LISTED_HOSTS,
    ControlInfo,
    ControlResult,
    ControlRollup,
    GroupRollup,
    Host,
    RequirementRollup,
    StatusCounts,
    worst_status,
)


def control_rollups(
    controls: Sequence[ControlInfo], results: Sequence[ControlResult]
) -> tuple[ControlRollup, ...]:
    statuses: dict[str, list[ReportStatus]] = defaultdict(list)
    failing_by_control: dict[str, list[str]] = defaultdict(list)
    fail = ReportStatus.FAIL
    for result in results:
        statuses[result.control_id].append(result.status)
        if result.status is fail:
            failing_by_control[result.control_id].append(result.host_uuid)
    info_by_id = {c.id: c for c in controls}
    rollups = []
    for control_id in sorted(info_by_id.keys() | statuses.keys()):
        counts = StatusCounts.of(statuses.get(control_id, ()))
        info = info_by_id.get(control_id)
        failing = sorted(failing_by_control.get(control_id, ()))
        if info is not None and info.manual:
            status = ReportStatus.MANUAL
        else:
            status = worst_status(s for s in ReportStatus if counts[s])
        rollups.append(
            ControlRollup(
                control_id=control_id,
                status=status,
                counts=counts,
                failing_hosts=tuple(failing[:MAX_LISTED_HOSTS]),
                failing_host_count=len(failing),
            )
        )
    return tuple(rollups)


def requirement_rollups(
    controls: Sequence[ControlInfo],
    specs: Sequence[RequirementSpec],
    results: Sequence[ControlResult],
) -> tuple[RequirementRollup, ...]:
    """Every requirement named by a spec or by a control's refs, with its controls' results."""
    mapped: dict[tuple[str, str], set[str]] = defaultdict(set)
    for control in controls:
        for ref in control.refs:
            mapped[(ref.framework, ref.requirement)].add(control.id)
    spec_by_key = {(s.framework, s.requirement): s for s in specs}
    manual_ids = {c.id for c in controls if c.manual}
    by_control: dict[str, list[ControlResult]] = defaultdict(list)
    for result in results:
        by_control[result.control_id].append(result)
    rollups = []
    for key in sorted(mapped.keys() | spec_by_key.keys(), key=_requirement_sort_key):
        spec = spec_by_key.get(key)
        ids = sorted(mapped.get(key, set()))
        rows = [r for cid in ids for r in by_control.get(cid, [])]
        automated = [cid for cid in ids if cid not in manual_ids]
        manual_reason = spec.manual_reason if spec else None
        if not automated:
            status = ReportStatus.MANUAL
            manual_reason = (
                manual_reason or "no automated control; evidence must come from elsewhere"
            )
        else:
            status = worst_status(r.status for r in rows)
        rollups.append(
            RequirementRollup(
                framework=key[0],
                requirement=key[1],
                title=spec.title if spec else "",
                status=status,
                controls=tuple(ids),
                counts=StatusCounts.of(r.status for r in rows),
                failing_hosts=len({r.host_uuid for r in rows if r.status is ReportStatus.FAIL}),
                manual_reason=manual_reason,
            )
        )
    return tuple(rollups)


def _requirement_sort_key(key: tuple[str, str]) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Sort "10.2.1" after "2.2.6": numeric parts as numbers."""
    parts = tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in key[1].split("."))
    return key[0], parts


def group_rollups(
    hosts: Iterable[Host], results: Sequence[ControlResult], key: Callable[[Host], str]
) -> tuple[GroupRollup, ...]:
    group_of = {h.host_uuid: key(h) for h in hosts}
    host_count: dict[str, int] = defaultdict(int)
    for group in group_of.values():
        host_count[group] += 1
    statuses: dict[str, list[ReportStatus]] = defaultdict(list)
    for result in results:
        statuses[group_of.get(result.host_uuid, "")].append(result.status)
    return tuple(
        GroupRollup(name=name, hosts=host_count[name], counts=StatusCounts.of(statuses[name]))
        for name in sorted(host_count)
    )
