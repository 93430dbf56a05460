"""The whole report: one frozen value, its canonical JSON and its fingerprint.

``trails.report/v2``: the per-(host, control) results live in the engine and in the
results file next to report.json (``ResultsDigest``: its rows and SHA-256, so the
fingerprint covers them); report.json keeps the summaries, rollups, integrity findings and
the results the renderers list (``listed``: per control the first failing, waived and
unjudged hosts).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from trails.models.canonical import canonical_json
from trails.report.model.common import SCHEMA, StatusCounts
from trails.report.model.exceptions import ExceptionSeen
from trails.report.model.provenance import IngestStats, IntegrityFinding, Metadata, Scope
from trails.report.model.results import ControlInfo, ControlResult, Host, Results, ResultsDigest
from trails.report.model.rollups import (
    BaselineDiff,
    ControlRollup,
    GroupRollup,
    RequirementRollup,
    TrendPoint,
)

# A top-level key of the body's encoding: indent-2 output starts only those lines with
# exactly two spaces and a quote (a JSON string never holds a raw newline).
_TOP_KEY = re.compile(rb'^  "([^"]*)": ', re.MULTILINE)


@dataclass(frozen=True)
class Report:
    metadata: Metadata
    scope: Scope
    summary: StatusCounts  # over every (host, control) result
    hosts: tuple[Host, ...]  # sorted by host_uuid
    controls: tuple[ControlInfo, ...]  # sorted by id; manual ones included
    results: Results  # every result, streamed from the engine (not in report.json)
    results_digest: ResultsDigest  # what report.json says of them
    listed: tuple[ControlResult, ...]  # sorted by (control_id, status, host_uuid)
    failing_hosts: int  # hosts failing at least one control
    control_rollups: tuple[ControlRollup, ...]
    requirements: tuple[RequirementRollup, ...]
    namespaces: tuple[GroupRollup, ...]
    owners: tuple[GroupRollup, ...]
    trend: tuple[TrendPoint, ...]
    integrity: tuple[IntegrityFinding, ...]
    ingest: IngestStats
    baseline: BaselineDiff | None = None
    exceptions: tuple[ExceptionSeen, ...] = ()  # by (namespace, id); in force and expired

    def body_dict(self) -> dict[str, Any]:
        """The canonical document without its fingerprint."""
        return {
            "schema": SCHEMA,
            "metadata": self.metadata.to_dict(),
            "scope": self.scope.to_dict(),
            "summary": self.summary.to_dict(),
            "failing_hosts": self.failing_hosts,
            "hosts": [h.to_dict() for h in self.hosts],
            "controls": [c.to_dict() for c in self.controls],
            "results": self.results_digest.to_dict(),
            "listed_results": [r.to_dict() for r in self.listed],
            "control_rollups": [c.to_dict() for c in self.control_rollups],
            "requirements": [r.to_dict() for r in self.requirements],
            "namespaces": [g.to_dict() for g in self.namespaces],
            "owners": [g.to_dict() for g in self.owners],
            "trend": [t.to_dict() for t in self.trend],
            "integrity": [f.to_dict() for f in self.integrity],
            "ingest": self.ingest.to_dict(),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "exceptions": [e.to_dict() for e in self.exceptions],
        }

    @cached_property
    def _body(self) -> bytes:
        return canonical_json(self.body_dict())

    @cached_property
    def fingerprint(self) -> str:
        """Hex SHA-256 of ``canonical_json(body_dict())``."""
        return hashlib.sha256(self._body).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        doc = self.body_dict()
        doc["fingerprint"] = self.fingerprint
        return doc

    def canonical_json(self) -> bytes:
        """Exactly ``canonical_json(self.to_dict())``: the body's encoding with the
        fingerprint put at its sorted place (encoding again would double the time)."""
        body = self._body
        at = next(m.start() for m in _TOP_KEY.finditer(body) if m[1] > b"fingerprint")
        return body[:at] + f'  "fingerprint": "{self.fingerprint}",\n'.encode() + body[at:]

    @cached_property
    def hosts_by_uuid(self) -> Mapping[str, Host]:
        return {h.host_uuid: h for h in self.hosts}

    @cached_property
    def controls_by_id(self) -> Mapping[str, ControlInfo]:
        return {c.id: c for c in self.controls}
