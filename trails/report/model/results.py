"""Hosts, controls and the (host, control) results: the rows of every renderer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from trails.models.evidence import MAX_EVIDENCE_ROWS, ReportStatus
from trails.report.engine.interface import Dialect
from trails.report.model.common import (
    MAX_EVIDENCE_FIELDS,
    MAX_EVIDENCE_VALUE,
    bound_text,
    optional_time,
)

# The per-(host, control) results of a report, next to report.json (trails.report/v2).
RESULTS_FILE = "report.results.jsonl.gz"
# The names of the files one `trails report` run wrote into --out, for the next run to
# replace as a set (``fileio.Staging``): bookkeeping, not evidence, and not signed.
FILE_LIST = ".trails-report-files"


@dataclass(frozen=True)
class FrameworkRef:
    framework: str  # e.g. "pci-dss-4.0.1", "cis-ubuntu-22.04"
    requirement: str  # e.g. "2.2.6", "5.1.20"

    def to_dict(self) -> dict[str, str]:
        return {"framework": self.framework, "requirement": self.requirement}


@dataclass(frozen=True)
class ControlInfo:
    """A control as the catalog describes it (trusted: it comes from the packs)."""

    id: str
    title: str
    severity: str = ""
    level: str = ""
    refs: tuple[FrameworkRef, ...] = ()
    manual_reason: str | None = None  # set when no automated check exists
    remediation: str = ""
    rationale: str = ""

    @property
    def manual(self) -> bool:
        return self.manual_reason is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "level": self.level,
            "refs": [r.to_dict() for r in self.refs],
            "manual": self.manual,
            "manual_reason": self.manual_reason,
            "remediation": self.remediation,
            "rationale": self.rationale,
        }


@dataclass(frozen=True)
class Host:
    """A host as its decorations named it (untrusted, bounded)."""

    host_uuid: str
    hostname: str
    namespace: str
    config_version: str
    org: str = ""
    owner: str = ""
    owner_group: str = ""
    project: str = ""
    last_seen: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "host_uuid": self.host_uuid,
            "hostname": self.hostname,
            "namespace": self.namespace,
            "config_version": self.config_version,
            "org": self.org,
            "owner": self.owner,
            "owner_group": self.owner_group,
            "project": self.project,
            "last_seen": optional_time(self.last_seen),
        }


@dataclass(frozen=True)
class EvidenceRow:
    """One offending row a control query reported, as ordered (column, value) pairs."""

    fields: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, str]:
        return dict(self.fields)


@dataclass(frozen=True)
class ResultsDigest:
    """What ``report.json`` says of the results file: its rows and the SHA-256 of its
    uncompressed JSON Lines, so the report's fingerprint covers every result."""

    rows: int
    sha256: str
    file: str = RESULTS_FILE

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "rows": self.rows, "sha256": self.sha256}


def evidence_rows(text: str | None) -> tuple[EvidenceRow, ...]:
    """A control row's evidence (JSON text, as the host sent it) as bounded rows."""
    if not text:
        return ()
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
        doc = None
    if not isinstance(doc, list):
        return (EvidenceRow((("evidence", bound_text(text, MAX_EVIDENCE_VALUE)),)),)
    rows = []
    for item in doc[:MAX_EVIDENCE_ROWS]:
        if isinstance(item, dict):
            fields = tuple(
                (
                    bound_text(str(k), 64),
                    bound_text(v if isinstance(v, str) else json.dumps(v), MAX_EVIDENCE_VALUE),
                )
                for k, v in list(item.items())[:MAX_EVIDENCE_FIELDS]
            )
        else:
            fields = (("value", bound_text(json.dumps(item), MAX_EVIDENCE_VALUE)),)
        rows.append(EvidenceRow(fields))
    return tuple(rows)


class ControlResult(NamedTuple):
    """The verdict for one (host, control) pair, and why.

    A named tuple, not a frozen dataclass: a fleet report holds millions of these and a
    tuple is built about four times faster; it is just as immutable.
    """

    host_uuid: str
    control_id: str
    status: ReportStatus
    collected: datetime | None  # when osquery produced the evidence row used
    config_version: str  # the config that scheduled that query ("" if none arrived)
    evidence_count: int = 0  # offending rows the host found (may exceed len(evidence))
    evidence: tuple[EvidenceRow, ...] = ()
    detail: str = ""  # why, for error/stale/no_evidence, e.g. "denylisted by osquery"
    exception: str = ""  # waived: the id of the signed exception that accepts the failure

    def to_dict(self) -> dict[str, Any]:
        return {
            "host_uuid": self.host_uuid,
            "control_id": self.control_id,
            "status": self.status.value,
            "collected": optional_time(self.collected),
            "config_version": self.config_version,
            "evidence_count": self.evidence_count,
            "evidence": [row.to_dict() for row in self.evidence],
            "detail": self.detail,
            "exception": self.exception,
        }


class Results(Protocol):
    """Every (host, control) result of a report, streamed: iteration gives them sorted by
    (host_uuid, control_id), ``by_control()`` by (control_id, host_uuid)."""

    def __iter__(self) -> Iterator[ControlResult]: ...

    def __len__(self) -> int: ...

    def by_control(self) -> Iterator[ControlResult]: ...

    @property
    def table(self) -> str:
        """The engine's table of them (SQL of ``trails.report.lines`` reads it)."""

    @property
    def dialect(self) -> Dialect:
        """The engine's spelling of the functions that SQL needs."""

    def lines(self, sql: str) -> Iterator[list[tuple[str]]]:
        """Run ``trails.report.lines`` SQL over them: its lines, a batch at a time."""

    def load_cells(self, name: str, cells: Iterable[tuple[str, str]]) -> None:
        """A (key, text) table that SQL joins (the CSV's host and control cells)."""

    def load_evidence(self, name: str, text: Callable[[str], str]) -> None:
        """The (key, text) table ``name`` of every distinct evidence text of the results
        and ``text`` of it: Python formats each once, the SQL of a line joins it."""

    def close(self) -> None:
        """Release the engine behind them (also done when they are garbage)."""
