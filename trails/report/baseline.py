"""``--baseline PREVIOUS/report.json``: what changed since the last report.

A ``trails.report/v2`` baseline is its report.json and the results file next to it. The
report.json must hash to its own fingerprint, and the results file to the digest it
names: a baseline whose report or results were edited or swapped is refused. Its
statuses go into the engine (``baseline_results``) and the comparison is one join.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trails.errors import UsageError
from trails.formats.manifest import ManifestError, parse_time
from trails.models.canonical import canonical_json, loads_unique
from trails.report.engine.interface import Engine
from trails.report.model import (
    CHANGE_KINDS,
    MAX_LISTED_CHANGES,
    RESULTS_FILE,
    SCHEMA,
    BaselineDiff,
    Change,
)

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
    try:  # as trails writes it: no NaN or Infinity, no key twice
        doc = loads_unique(data, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise _refuse(path, f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise _refuse(path, "not a report of this version")
    body = {k: v for k, v in doc.items() if k != "fingerprint"}
    try:
        fingerprint = hashlib.sha256(canonical_json(body)).hexdigest()
    except (ValueError, UnicodeError):  # a float out of range, a lone surrogate
        fingerprint = ""
    if doc.get("fingerprint") != fingerprint:
        raise _refuse(path, "its fingerprint does not match its content (edited?)")
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
    return Baseline(doc["fingerprint"], _generated(doc), file)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


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


def _generated(doc: dict[str, Any]) -> datetime | None:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    try:
        return parse_time(meta.get("generated_at", "")) if meta else None
    except ManifestError:
        return None


def diff(engine: Engine, baseline: Baseline) -> BaselineDiff:
    """Needs ``baseline.load(engine)`` and the ``results`` table. Lists the first
    ``MAX_LISTED_CHANGES`` changes of each kind and counts them all."""
    rows = engine.rows(
        f"""
        WITH d AS (
          SELECT coalesce(n.host_uuid, b.host_uuid) AS host_uuid,
                 coalesce(n.control_id, b.control_id) AS control_id,
                 b.status AS before, n.status AS after,
                 CASE WHEN n.status IS NULL THEN 'removed' WHEN b.status IS NULL THEN 'added'
                      WHEN n.status = 'fail' THEN 'newly_failing'
                      WHEN n.status = 'pass' THEN 'newly_passing' END AS kind
          FROM results n FULL OUTER JOIN (
            SELECT * FROM baseline_results WHERE host_uuid IS NOT NULL AND control_id IS NOT NULL
          ) b USING (host_uuid, control_id)
          WHERE n.status IS DISTINCT FROM b.status
        ), k AS (
          SELECT *, count(*) OVER (PARTITION BY kind) AS total,
                 row_number() OVER (PARTITION BY kind ORDER BY host_uuid NULLS FIRST,
                   control_id NULLS FIRST, before NULLS FIRST, after NULLS FIRST) AS i
          FROM d WHERE kind IS NOT NULL
        )
        SELECT kind, host_uuid, control_id, before, after, total FROM k
        WHERE i <= {MAX_LISTED_CHANGES} ORDER BY kind, i
        """  # noqa: S608
    )
    listed: dict[str, list[Change]] = {kind: [] for kind in CHANGE_KINDS}
    totals: dict[str, int] = {}
    for kind, host, control, before, after, total in rows:
        listed[kind].append(Change(host, control, before, after))
        totals[kind] = int(total)
    return BaselineDiff(
        baseline_fingerprint=baseline.fingerprint,
        baseline_generated_at=baseline.generated_at,
        newly_failing=tuple(listed["newly_failing"]),
        newly_passing=tuple(listed["newly_passing"]),
        added=tuple(listed["added"]),
        removed=tuple(listed["removed"]),
        totals=totals,
    )
