"""``--baseline PREVIOUS.json``: what changed since the last report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trails.errors import UsageError
from trails.formats.manifest import ManifestError, parse_time
from trails.models.evidence import ReportStatus
from trails.report.model import SCHEMA, BaselineDiff, Change, ControlResult

MAX_BASELINE_BYTES = 4 * 1024 * 1024 * 1024


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_BASELINE_BYTES:
            raise UsageError(f"--baseline {path}: larger than {MAX_BASELINE_BYTES} bytes")
        with path.open("rb") as f:
            doc = json.load(f)
    except OSError as exc:
        raise UsageError(
            f"--baseline {path}: {exc.strerror}; give a previous JSON report"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise UsageError(
            f"--baseline {path}: not JSON ({exc}); give a previous JSON report"
        ) from None
    if (
        not isinstance(doc, dict)
        or doc.get("schema") != SCHEMA
        or not isinstance(doc.get("results"), list)
    ):
        raise UsageError(f"--baseline {path}: not a {SCHEMA} report; give a previous JSON report")
    return doc


def _statuses(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    out = {}
    for r in doc["results"]:
        if isinstance(r, dict):
            host, control, status = r.get("host_uuid"), r.get("control_id"), r.get("status")
            if isinstance(host, str) and isinstance(control, str) and isinstance(status, str):
                out[(host, control)] = status
    return out


def diff(doc: dict[str, Any], results: Sequence[ControlResult]) -> BaselineDiff:
    before = _statuses(doc)
    now = {(r.host_uuid, r.control_id): r.status.value for r in results}
    failing, passing, added = [], [], []
    for key, status in sorted(now.items()):
        old = before.get(key)
        change = Change(key[0], key[1], old, status)
        if old is None:
            added.append(change)
        elif status == ReportStatus.FAIL and old != ReportStatus.FAIL:
            failing.append(change)
        elif status == ReportStatus.PASS and old != ReportStatus.PASS:
            passing.append(change)
    removed = [Change(k[0], k[1], s, None) for k, s in sorted(before.items()) if k not in now]
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    try:
        generated = parse_time(meta.get("generated_at", "")) if meta else None
    except ManifestError:
        generated = None
    fingerprint = doc.get("fingerprint")
    return BaselineDiff(
        baseline_fingerprint=fingerprint if isinstance(fingerprint, str) else "",
        baseline_generated_at=generated,
        newly_failing=tuple(failing),
        newly_passing=tuple(passing),
        added=tuple(added),
        removed=tuple(removed),
    )
