"""Select the automated controls of the packs, compile them, evaluate each on the host."""

from __future__ import annotations

import json
import platform
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from trails.check.interface import ERROR, CheckResult, Evaluator, QueryFailed
from trails.errors import UsageError
from trails.models.evidence import RESULT_COLUMNS, HostStatus
from trails.packs import Catalog
from trails.packs.compiler import compile_sql
from trails.packs.include import audit_context
from trails.packs.model import Control, Pack

_ARCHES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Selection:
    packs: tuple[str, ...] = ()  # pack ids; empty: every pack
    controls: tuple[str, ...] = ()  # control ids; empty: every automated control


def selected(catalog: Catalog, selection: Selection) -> list[tuple[Pack, Control]]:
    known_packs = {p.id for p in catalog.packs}
    for name in selection.packs:
        if name not in known_packs:
            raise UsageError(f"no pack {name!r}; packs: {', '.join(sorted(known_packs))}")
    chosen = [
        (pack, control)
        for pack in catalog.packs
        if not selection.packs or pack.id in selection.packs
        for control in pack.controls
        if control.automated and "linux" in control.platforms
    ]
    if selection.controls:
        ids = {c.id for _, c in chosen}
        unknown = sorted(set(selection.controls) - ids)
        if unknown:
            raise UsageError(f"no automated control {unknown[0]!r} in the selected packs")
        chosen = [(p, c) for p, c in chosen if c.id in selection.controls]
    return chosen


def _result(control: Control, rows: list[dict[str, Any]]) -> CheckResult:
    if len(rows) != 1 or not set(RESULT_COLUMNS) <= set(rows[0]):
        return CheckResult(control.id, control.title, ERROR, detail="query gave no status row")
    row = rows[0]
    status = str(row["status"])
    if status not in set(HostStatus):
        return CheckResult(control.id, control.title, ERROR, detail=f"unknown status {status!r}")
    try:
        evidence = json.loads(str(row["evidence"]))
    except ValueError:
        evidence = [{"evidence": str(row["evidence"])}]
    items = tuple(e for e in evidence if isinstance(e, dict)) if isinstance(evidence, list) else ()
    notes = [str(e["trails_note"]) for e in items if "trails_note" in e]
    detail = notes[0] if notes and status != HostStatus.FAIL else ""
    return CheckResult(control.id, control.title, status, items, detail)


def evaluate(
    catalog: Catalog,
    packs_dir: Path,
    selection: Selection,
    evaluator: Evaluator,
    progress: Callable[[Sequence[tuple[Pack, Control]]], Iterator[tuple[Pack, Control]]] = iter,
) -> list[CheckResult]:
    arch = _ARCHES.get(platform.machine(), "x86_64")
    results = []
    outside: dict[str, bool] = {}  # pack id -> this host is not what the pack is for
    for pack, control in progress(selected(catalog, selection)):
        sql = compile_sql(control, pack, audit_context(pack, control, packs_dir, arch))
        try:
            result = _result(control, evaluator.run(sql))
            if result.status == HostStatus.NOT_APPLICABLE:
                if pack.id not in outside:
                    outside[pack.id] = bool(pack.applies_when) and not evaluator.run(
                        str(pack.applies_when)
                    )
                reason = (
                    f"this host is not what {pack.title} {pack.version} applies to"
                    if outside[pack.id]
                    else "the control's not-applicable condition holds on this host"
                )
                result = replace(result, detail=reason)
            results.append(result)
        except QueryFailed as exc:
            results.append(CheckResult(control.id, control.title, ERROR, detail=str(exc)))
    return results
