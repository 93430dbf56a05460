"""``--baseline PREVIOUS/report.json``: what changed since the last report.

A ``trails.report/v2`` baseline is its report.json and the results file next to it. The
file must hash to the digest the baseline's report.json (and so its fingerprint) names:
a baseline whose results were edited or swapped is refused. Its statuses go into the
engine (``baseline_results``) and the comparison is one join.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trails.errors import UsageError
from trails.formats.manifest import ManifestError, parse_time
from trails.models.evidence import ReportStatus
from trails.report.engine.interface import Engine
from trails.report.model import RESULTS_FILE, SCHEMA, BaselineDiff, Change

MAX_BASELINE_BYTES = 256 * 1024 * 1024  # report.json: results are in their own file
MAX_RESULTS_BYTES = 64 * 1024 * 1024 * 1024  # the uncompressed results file
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class Baseline:
    fingerprint: str
    generated_at: datetime | None
    results: Path  # the results file, its digest checked

    def load(self, engine: Engine) -> None:
        """The baseline's (host, control, status) rows as the table ``baseline_results``."""
        engine.load_jsonl(
            "baseline_results",
            self.results,
            (("host_uuid", "STRING"), ("control_id", "STRING"), ("status", "STRING")),
        )


def _refuse(path: Path, why: str) -> UsageError:
    return UsageError(f"--baseline {path}: {why}; give a previous {SCHEMA} report.json")


def load_baseline(path: Path) -> Baseline:
    try:
        with path.open("rb") as f:  # read, not sized: a device or a FIFO has no size
            data = f.read(MAX_BASELINE_BYTES + 1)
    except OSError as exc:
        raise _refuse(path, exc.strerror or "cannot read it") from None
    if len(data) > MAX_BASELINE_BYTES:
        raise _refuse(path, f"larger than {MAX_BASELINE_BYTES} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise _refuse(path, f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise _refuse(path, "not a report of this version")
    results = doc.get("results")
    if (
        not isinstance(results, dict)
        or results.get("file") != RESULTS_FILE
        or not isinstance(results.get("sha256"), str)
        or not _SHA256.match(results["sha256"])
    ):
        raise _refuse(path, "its results entry is malformed")
    file = path.parent / RESULTS_FILE
    if _digest(file, path) != results["sha256"]:
        raise _refuse(path, f"{file} does not match the digest report.json names (edited?)")
    return Baseline(_fingerprint(doc), _generated(doc), file)


def _digest(file: Path, path: Path) -> str:
    digest, size = hashlib.sha256(), 0
    try:
        with gzip.open(file, "rb") as f:
            while chunk := f.read(1 << 20):
                size += len(chunk)
                if size > MAX_RESULTS_BYTES:
                    raise _refuse(path, f"{file} expands beyond {MAX_RESULTS_BYTES} bytes")
                digest.update(chunk)
    except OSError as exc:  # missing, unreadable, or not gzip
        raise _refuse(path, f"cannot read {file} ({exc})") from None
    return digest.hexdigest()


def _fingerprint(doc: dict[str, Any]) -> str:
    fingerprint = doc.get("fingerprint")
    return fingerprint if isinstance(fingerprint, str) else ""


def _generated(doc: dict[str, Any]) -> datetime | None:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    try:
        return parse_time(meta.get("generated_at", "")) if meta else None
    except ManifestError:
        return None


def diff(engine: Engine, baseline: Baseline) -> BaselineDiff:
    """Needs ``baseline.load(engine)`` and the ``results`` table."""
    rows = engine.rows(
        """
        SELECT coalesce(n.host_uuid, b.host_uuid), coalesce(n.control_id, b.control_id),
               b.status, n.status
        FROM results n FULL OUTER JOIN baseline_results b USING (host_uuid, control_id)
        WHERE n.status IS DISTINCT FROM b.status
        ORDER BY 1, 2
        """
    )
    failing, passing, added, removed = [], [], [], []
    for host, control, old, now in rows:
        change = Change(host, control, old, now)
        if now is None:
            removed.append(change)
        elif old is None:
            added.append(change)
        elif now == ReportStatus.FAIL:
            failing.append(change)
        elif now == ReportStatus.PASS:
            passing.append(change)
    return BaselineDiff(
        baseline_fingerprint=baseline.fingerprint,
        baseline_generated_at=baseline.generated_at,
        newly_failing=tuple(failing),
        newly_passing=tuple(passing),
        added=tuple(added),
        removed=tuple(removed),
    )
