"""The whole report: one frozen value, its canonical JSON and its fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from trails.models.canonical import canonical_json
from trails.report.model.common import SCHEMA, StatusCounts
from trails.report.model.exceptions import ExceptionSeen
from trails.report.model.provenance import IngestStats, IntegrityFinding, Metadata, Scope
from trails.report.model.results import ControlInfo, ControlResult, Host
from trails.report.model.rollups import (
    BaselineDiff,
    ControlRollup,
    GroupRollup,
    RequirementRollup,
    TrendPoint,
)


@dataclass(frozen=True)
class Report:
    metadata: Metadata
    scope: Scope
    summary: StatusCounts  # over every (host, control) result
    hosts: tuple[Host, ...]  # sorted by host_uuid
    controls: tuple[ControlInfo, ...]  # sorted by id; manual ones included
    results: tuple[ControlResult, ...]  # sorted by (host_uuid, control_id)
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
        doc = self._frame()
        doc["results"] = [r.to_dict() for r in self.results]
        return doc

    def _frame(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "metadata": self.metadata.to_dict(),
            "scope": self.scope.to_dict(),
            "summary": self.summary.to_dict(),
            "hosts": [h.to_dict() for h in self.hosts],
            "controls": [c.to_dict() for c in self.controls],
            "results": [],
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
    def fingerprint(self) -> str:
        """Hex SHA-256 of ``canonical_json(body_dict())``."""
        return self._hash(self._body_parts())

    def to_dict(self) -> dict[str, Any]:
        doc = self.body_dict()
        doc["fingerprint"] = self.fingerprint
        return doc

    def canonical_json(self) -> bytes:
        """Exactly ``canonical_json(self.to_dict())``, encoding each result once, by hand."""
        parts = self._body_parts()
        if "fingerprint" not in self.__dict__:  # fill the cached_property from these parts
            self.__dict__["fingerprint"] = self._hash(parts)
        # "fingerprint" sorts right before "hosts" among the top-level keys.
        marker = '\n  "hosts": '
        head = parts[0].replace(marker, f'\n  "fingerprint": "{self.fingerprint}",{marker}', 1)
        return "".join([head, *parts[1:]]).encode("utf-8")

    @staticmethod
    def _hash(parts: list[str]) -> str:
        digest = hashlib.sha256()
        for part in parts:
            digest.update(part.encode("utf-8"))
        return digest.hexdigest()

    def _body_parts(self) -> list[str]:
        """``canonical_json(body_dict())`` as text pieces; the results are written by hand."""
        text = canonical_json(self._frame()).decode("utf-8")
        marker = '\n  "results": []'  # cannot occur inside a JSON string (no raw newlines)
        cut = text.index(marker) + len(marker) - 2
        if not self.results:
            return [text]
        results = ",\n".join(r.canonical_text() for r in self.results)
        return [text[:cut], "[\n", results, "\n  ]", text[cut + 2 :]]

    @cached_property
    def hosts_by_uuid(self) -> Mapping[str, Host]:
        return {h.host_uuid: h for h in self.hosts}

    @cached_property
    def controls_by_id(self) -> Mapping[str, ControlInfo]:
        return {c.id: c for c in self.controls}
