"""The report model: one frozen value that every renderer draws from (docs/design.md §8).

Evaluation builds a ``Report`` once; renderers (``trails.report.render``) turn it into
bytes and never compute verdicts themselves. ``Report.to_dict()`` is the canonical JSON
form; ``Report.fingerprint`` is the SHA-256 of that JSON with the fingerprint left out,
so anyone can recompute it from a report file (see docs/report.md). Every string that
came from a host is already bounded here (``bound_text``); renderers still escape it for
their own syntax.
"""

from trails.report.model.common import (
    LISTED_FAILING,
    LISTED_PROBLEMS,
    MAX_EVIDENCE_FIELDS,
    MAX_EVIDENCE_VALUE,
    MAX_LISTED_CHANGES,
    MAX_LISTED_HOSTS,
    MAX_MALFORMED_SAMPLES,
    MAX_TEXT,
    SCHEMA,
    StatusCounts,
    bound_text,
    worst_status,
)
from trails.report.model.exceptions import ExceptionSeen
from trails.report.model.provenance import (
    ConfigVersionSeen,
    IngestStats,
    IntegrityFinding,
    IntegrityKind,
    MalformedLine,
    Metadata,
    Release,
    ReleaseIndexSeen,
    Scope,
    Signer,
)
from trails.report.model.report import Report
from trails.report.model.results import (
    FILE_LIST,
    RESULTS_FILE,
    ControlInfo,
    ControlResult,
    EvidenceRow,
    FrameworkRef,
    Host,
    Results,
    ResultsDigest,
    evidence_rows,
)
from trails.report.model.rollups import (
    CHANGE_KINDS,
    BaselineDiff,
    Change,
    ControlRollup,
    GroupRollup,
    RequirementRollup,
    TrendPoint,
)

__all__ = [
    "CHANGE_KINDS",
    "FILE_LIST",
    "LISTED_FAILING",
    "LISTED_PROBLEMS",
    "MAX_EVIDENCE_FIELDS",
    "MAX_EVIDENCE_VALUE",
    "MAX_LISTED_CHANGES",
    "MAX_LISTED_HOSTS",
    "MAX_MALFORMED_SAMPLES",
    "MAX_TEXT",
    "RESULTS_FILE",
    "SCHEMA",
    "BaselineDiff",
    "Change",
    "ConfigVersionSeen",
    "ControlInfo",
    "ControlResult",
    "ControlRollup",
    "EvidenceRow",
    "ExceptionSeen",
    "FrameworkRef",
    "GroupRollup",
    "Host",
    "IngestStats",
    "IntegrityFinding",
    "IntegrityKind",
    "MalformedLine",
    "Metadata",
    "Release",
    "ReleaseIndexSeen",
    "Report",
    "RequirementRollup",
    "Results",
    "ResultsDigest",
    "Scope",
    "Signer",
    "StatusCounts",
    "TrendPoint",
    "bound_text",
    "evidence_rows",
    "worst_status",
]
