"""The report model: one frozen value that every renderer draws from (DESIGN.md §8).

Evaluation builds a ``Report`` once; renderers (``trails.report.render``) turn it into
bytes and never compute verdicts themselves. ``Report.to_dict()`` is the canonical JSON
form; ``Report.fingerprint`` is the SHA-256 of that JSON with the fingerprint left out,
so anyone can recompute it from a report file (see docs/report.md). Every string that
came from a host is already bounded here (``bound_text``); renderers still escape it for
their own syntax.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

from trails.models.canonical import canonical_json
from trails.models.evidence import ReportStatus
from trails.models.manifest import format_time

_str = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses
_ZERO = timedelta(0)

SCHEMA = "trails.report/v1"
MAX_TEXT = 1024  # any single host-supplied string in the model
MAX_EVIDENCE_VALUE = 256  # one evidence cell
MAX_EVIDENCE_FIELDS = 32  # columns kept per evidence row
MAX_LISTED_HOSTS = 50  # failing hosts named per control rollup
MAX_MALFORMED_SAMPLES = 5
_ELLIPSIS = "…"

# Worst first: the status a group of results takes is the first one present.
STATUS_PRECEDENCE = (
    ReportStatus.FAIL,
    ReportStatus.ERROR,
    ReportStatus.NO_EVIDENCE,
    ReportStatus.STALE,
    ReportStatus.PASS,
    ReportStatus.NOT_APPLICABLE,
    ReportStatus.MANUAL,
)


def bound_text(value: str, limit: int = MAX_TEXT) -> str:
    """Cut a host-supplied string to ``limit`` characters, marking the cut.

    Lone surrogates (undecodable bytes smuggled through) become U+FFFD so every
    renderer can encode the result as UTF-8.
    """
    if len(value) > limit:
        value = value[: limit - 1] + _ELLIPSIS
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    return value


def _time(t: datetime | None) -> str | None:
    return None if t is None else format_time(t)


def _fast_time(t: datetime) -> str:
    """``format_time`` for the common case (UTC, whole seconds), several times faster."""
    if t.utcoffset() == _ZERO and not t.microsecond:
        return t.isoformat()[:19] + "Z"
    return format_time(t)


def _evidence_text(rows: Iterable[EvidenceRow]) -> str:
    """Canonical JSON of ``[row.to_dict() ...]`` nested at a result's key depth."""
    items = []
    for row in rows:
        fields = row.to_dict()
        if not fields:
            items.append("        {}")
            continue
        body = ",\n".join(f"          {_str(k)}: {_str(fields[k])}" for k in sorted(fields))
        items.append("        {\n" + body + "\n        }")
    return "[\n" + ",\n".join(items) + "\n      ]"


def worst_status(statuses: Iterable[ReportStatus]) -> ReportStatus:
    present = set(statuses)
    for status in STATUS_PRECEDENCE:
        if status in present:
            return status
    return ReportStatus.NO_EVIDENCE


@dataclass(frozen=True)
class StatusCounts:
    """How many (host, control) results have each status; every status is present."""

    by_status: Mapping[ReportStatus, int] = field(default_factory=dict)

    @classmethod
    def of(cls, statuses: Iterable[ReportStatus]) -> StatusCounts:
        counts = dict.fromkeys(ReportStatus, 0)
        for status in statuses:
            counts[status] += 1
        return cls(counts)

    def __getitem__(self, status: ReportStatus) -> int:
        return self.by_status.get(status, 0)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def pass_rate(self) -> float | None:
        """Passes among pass + fail + error + no_evidence + stale; None if none were due."""
        due = self.total - self[ReportStatus.NOT_APPLICABLE] - self[ReportStatus.MANUAL]
        return None if due == 0 else self[ReportStatus.PASS] / due

    def to_dict(self) -> dict[str, int]:
        doc = {status.value: self[status] for status in ReportStatus}
        doc["total"] = self.total
        return doc


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
            "last_seen": _time(self.last_seen),
        }


@dataclass(frozen=True)
class EvidenceRow:
    """One offending row a control query reported, as ordered (column, value) pairs."""

    fields: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, str]:
        return dict(self.fields)


@dataclass(frozen=True, slots=True)
class ControlResult:
    """The verdict for one (host, control) pair, and why."""

    host_uuid: str
    control_id: str
    status: ReportStatus
    collected: datetime | None  # when osquery produced the evidence row used
    config_version: str  # the config that scheduled that query ("" if none arrived)
    evidence_count: int = 0  # offending rows the host found (may exceed len(evidence))
    evidence: tuple[EvidenceRow, ...] = ()
    detail: str = ""  # why, for error/stale/no_evidence, e.g. "denylisted by osquery"

    def to_dict(self) -> dict[str, Any]:
        return {
            "host_uuid": self.host_uuid,
            "control_id": self.control_id,
            "status": self.status.value,
            "collected": _time(self.collected),
            "config_version": self.config_version,
            "evidence_count": self.evidence_count,
            "evidence": [row.to_dict() for row in self.evidence],
            "detail": self.detail,
        }

    def canonical_text(self) -> str:
        """``canonical_json`` of ``to_dict()`` as an item of the top-level results list.

        Written out by hand because results are most of a report and the indenting
        encoder of the standard library is pure Python; tests hold the two equal.
        """
        evidence = _evidence_text(self.evidence) if self.evidence else "[]"
        collected = "null" if self.collected is None else _str(_fast_time(self.collected))
        return (
            f'    {{\n      "collected": {collected},\n'
            f'      "config_version": {_str(self.config_version)},\n'
            f'      "control_id": {_str(self.control_id)},\n'
            f'      "detail": {_str(self.detail)},\n'
            f'      "evidence": {evidence},\n'
            f'      "evidence_count": {self.evidence_count},\n'
            f'      "host_uuid": {_str(self.host_uuid)},\n'
            f'      "status": {_str(self.status.value)}\n    }}'
        )


@dataclass(frozen=True)
class RequirementRollup:
    """One framework requirement, automated or not: every requirement is listed."""

    framework: str
    requirement: str
    title: str
    status: ReportStatus
    controls: tuple[str, ...]  # control ids mapped to it
    counts: StatusCounts
    failing_hosts: int  # hosts failing at least one of its controls
    manual_reason: str | None = None  # evidence that must come from elsewhere

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "requirement": self.requirement,
            "title": self.title,
            "status": self.status.value,
            "controls": list(self.controls),
            "counts": self.counts.to_dict(),
            "failing_hosts": self.failing_hosts,
            "manual_reason": self.manual_reason,
        }


@dataclass(frozen=True)
class ControlRollup:
    control_id: str
    status: ReportStatus
    counts: StatusCounts
    failing_hosts: tuple[str, ...]  # host_uuids, at most MAX_LISTED_HOSTS
    failing_host_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "control_id": self.control_id,
            "status": self.status.value,
            "counts": self.counts.to_dict(),
            "failing_hosts": list(self.failing_hosts),
            "failing_host_count": self.failing_host_count,
        }


@dataclass(frozen=True)
class GroupRollup:
    """Results of every host in one namespace, or of one owner."""

    name: str
    hosts: int
    counts: StatusCounts

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "hosts": self.hosts, "counts": self.counts.to_dict()}


@dataclass(frozen=True)
class TrendPoint:
    """The newest result per (host, control) as of the end of one UTC day."""

    day: date
    counts: StatusCounts

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "counts": self.counts.to_dict()}


@dataclass(frozen=True)
class Change:
    host_uuid: str
    control_id: str
    before: str | None  # status in the baseline; None when added
    after: str | None  # status now; None when removed

    def to_dict(self) -> dict[str, Any]:
        return {
            "host_uuid": self.host_uuid,
            "control_id": self.control_id,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class BaselineDiff:
    baseline_fingerprint: str
    baseline_generated_at: datetime | None
    newly_failing: tuple[Change, ...]
    newly_passing: tuple[Change, ...]
    added: tuple[Change, ...]
    removed: tuple[Change, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline_fingerprint": self.baseline_fingerprint,
            "baseline_generated_at": _time(self.baseline_generated_at),
            "newly_failing": [c.to_dict() for c in self.newly_failing],
            "newly_passing": [c.to_dict() for c in self.newly_passing],
            "added": [c.to_dict() for c in self.added],
            "removed": [c.to_dict() for c in self.removed],
        }


class IntegrityKind(StrEnum):
    OUTDATED_CONFIG = "outdated_config"  # not the newest signed config_version of its namespace
    VERIFICATION_ERROR = "verification_error"  # the agent refused a release
    EXPIRED_RELEASE = "expired_release"  # the installed release expired before `until`
    SILENT = "silent"  # nothing received for longer than --silent-after
    CONFIG_HASH_MISMATCH = "config_hash_mismatch"  # installed osquery.conf != signed manifest


@dataclass(frozen=True)
class IntegrityFinding:
    kind: IntegrityKind
    host_uuid: str
    hostname: str
    namespace: str
    detail: str
    observed: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "host_uuid": self.host_uuid,
            "hostname": self.hostname,
            "namespace": self.namespace,
            "detail": self.detail,
            "observed": _time(self.observed),
        }


@dataclass(frozen=True)
class Release:
    """A signed release of one namespace, as found in --releases (dist/)."""

    namespace: str
    version: int
    config_version: str
    created: datetime | None
    expires: datetime | None
    signer_subject: str
    signer_fingerprint: str  # hex SHA-256 of the leaf certificate DER
    source_repo: str
    source_commit: str
    osquery_conf_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "version": self.version,
            "config_version": self.config_version,
            "created": _time(self.created),
            "expires": _time(self.expires),
            "signer_subject": self.signer_subject,
            "signer_fingerprint": self.signer_fingerprint,
            "source_repo": self.source_repo,
            "source_commit": self.source_commit,
            "osquery_conf_sha256": self.osquery_conf_sha256,
        }


@dataclass(frozen=True)
class ConfigVersionSeen:
    namespace: str
    config_version: str
    hosts: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "config_version": self.config_version,
            "hosts": self.hosts,
        }


@dataclass(frozen=True)
class Signer:
    subject: str
    fingerprint: str

    def to_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class Scope:
    """What the report covers and which signed configs produced the evidence."""

    namespaces: tuple[str, ...]
    frameworks: tuple[str, ...]
    releases: tuple[Release, ...]
    config_versions: tuple[ConfigVersionSeen, ...]
    signers: tuple[Signer, ...]
    commits: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespaces": list(self.namespaces),
            "frameworks": list(self.frameworks),
            "releases": [r.to_dict() for r in self.releases],
            "config_versions": [c.to_dict() for c in self.config_versions],
            "signers": [s.to_dict() for s in self.signers],
            "commits": list(self.commits),
        }


@dataclass(frozen=True)
class MalformedLine:
    file: str
    line: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class IngestStats:
    files: tuple[str, ...]
    lines: int  # every line read, malformed included
    result_rows: int  # trails.* rows kept (schedule statistics only where they are errors)
    malformed: int
    malformed_samples: tuple[MalformedLine, ...]  # the first few, with file and line
    simulated_lines: int = 0  # lines marked by ``trails simulate``

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "lines": self.lines,
            "result_rows": self.result_rows,
            "malformed": self.malformed,
            "malformed_samples": [m.to_dict() for m in self.malformed_samples],
            "simulated_lines": self.simulated_lines,
        }


@dataclass(frozen=True)
class Metadata:
    title: str
    generated_at: datetime  # from the input (newest line) unless given explicitly
    since: datetime
    until: datetime
    simulated: bool  # True when any input came from ``trails simulate``
    tool_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "generated_at": format_time(self.generated_at),
            "since": format_time(self.since),
            "until": format_time(self.until),
            "simulated": self.simulated,
            "tool_version": self.tool_version,
        }


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
