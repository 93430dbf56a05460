"""Bounds, status precedence and counts shared by every part of the report model."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trails.formats.manifest import format_time
from trails.models.evidence import ReportStatus

json_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses
_ZERO = timedelta(0)

SCHEMA = "trails.report/v2"
MAX_TEXT = 1024  # any single host-supplied string in the model
MAX_EVIDENCE_VALUE = 256  # one evidence cell
MAX_EVIDENCE_FIELDS = 32  # columns kept per evidence row
MAX_LISTED_HOSTS = 50  # failing hosts named per control rollup
# Results each control lists with their evidence or reason (``Report.listed``, the PDF's
# tables): the first failing and the first waived hosts, and the first hosts without a
# usable result (error, stale, no_evidence).
LISTED_FAILING = 15
LISTED_PROBLEMS = 5
MAX_MALFORMED_SAMPLES = 5
# Changes since the baseline listed per kind (newly failing, ...; their totals are all
# counted): a baseline of another fleet or framework differs in every result.
MAX_LISTED_CHANGES = 10_000
_ELLIPSIS = "…"

# Worst first: the status a group of results takes is the first one present.
STATUS_PRECEDENCE = (
    ReportStatus.FAIL,
    ReportStatus.ERROR,
    ReportStatus.NO_EVIDENCE,
    ReportStatus.STALE,
    ReportStatus.WAIVED,
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


def optional_time(t: datetime | None) -> str | None:
    return None if t is None else format_time(t)


def fast_time(t: datetime) -> str:
    """``format_time`` for the common case (UTC, whole seconds), several times faster."""
    if t.utcoffset() == _ZERO and not t.microsecond:
        return t.isoformat()[:19] + "Z"
    return format_time(t)


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
        counts.update(Counter(statuses))  # counts in C: a report has millions of results
        return cls(counts)

    def __getitem__(self, status: ReportStatus) -> int:
        return self.by_status.get(status, 0)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def pass_rate(self) -> float | None:
        """Passes among pass + fail + waived + error + no_evidence + stale; None if none
        were due (a waived failure is still not a pass)."""
        due = self.total - self[ReportStatus.NOT_APPLICABLE] - self[ReportStatus.MANUAL]
        return None if due == 0 else self[ReportStatus.PASS] / due

    def to_dict(self) -> dict[str, int]:
        doc = {status.value: self[status] for status in ReportStatus}
        doc["total"] = self.total
        return doc
