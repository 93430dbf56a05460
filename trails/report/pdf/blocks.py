"""Small pieces the sections share: times, percentages, host labels, key-value tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reportlab.platypus import Paragraph, Table, TableStyle

from trails.formats.manifest import format_time
from trails.models.evidence import ReportStatus
from trails.report.model import EvidenceRow, Host, Report, StatusCounts
from trails.report.pdf import styles
from trails.report.pdf.tables import Fixed, Mono, badge_markup
from trails.report.pdf.text import EVIDENCE_CHARS, NAME_CHARS, markup, plain

MAX_EVIDENCE_ROWS = 3  # evidence rows shown per (host, control) cell
MAX_EVIDENCE_FIELDS = 8  # columns shown per evidence row

# The one definition of every "pass rate" in the PDF (``StatusCounts.pass_rate``), stated once
# in the executive summary; no other percentage of passes is shown.
PASS_RATE_DEFINITION = (
    "Pass rate: passing results among the results that were due (pass, fail, error, "
    "no_evidence and stale); not_applicable and manual results are left out."
)


def when(t: datetime | None) -> str:
    return "-" if t is None else format_time(t)


def when_cell(t: datetime | None) -> Fixed:
    """A time on two lines (date, then time), so narrow columns never split it mid-way."""
    return Fixed(when(t).replace("T", "\n"))


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def host_cell(report: Report, host_uuid: str) -> Mono:
    """Hostname over its uuid (both untrusted, made drawable and bounded)."""
    host: Host | None = report.hosts_by_uuid.get(host_uuid)
    name = host.hostname if host is not None else "(unknown host)"
    return Mono(f"{plain(name)}\n{plain(host_uuid, 64)}")


def namespace_of(report: Report, host_uuid: str) -> str:
    host = report.hosts_by_uuid.get(host_uuid)
    return "" if host is None else host.namespace


def evidence_cell(rows: Sequence[EvidenceRow], count: int) -> Mono:
    """At most ``MAX_EVIDENCE_ROWS`` rows of ``column=value`` pairs, in a small mono font."""
    lines = []
    for row in rows[:MAX_EVIDENCE_ROWS]:
        pairs = "; ".join(f"{k}={v}" for k, v in row.fields[:MAX_EVIDENCE_FIELDS])
        if len(row.fields) > MAX_EVIDENCE_FIELDS:
            pairs += f"; (+{len(row.fields) - MAX_EVIDENCE_FIELDS} columns)"
        lines.append("\u2022 " + plain(pairs, EVIDENCE_CHARS))
    more = max(count, len(rows)) - len(lines)
    if more > 0:
        lines.append(f"(+{more:,} more rows)")
    return Mono("\n".join(lines) or "-")


def counts_line(counts: StatusCounts) -> str:
    """ "pass 12 · fail 3 · ..." for the statuses present, coloured like the charts."""
    parts = [f"{badge_markup(s.value)} {counts[s]:,}" for s in ReportStatus if counts[s]]
    return " \u00b7 ".join(parts) or "no results"


def key_values(pairs: Sequence[tuple[str, str]], key_width: float = 0.25) -> Table:
    """A two-column table of labels and values (values are markup, already escaped)."""
    width = styles.FRAME_WIDTH
    data = [
        [Paragraph(markup(k, NAME_CHARS), styles.CELL_BOLD), Paragraph(v, styles.CELL)]
        for k, v in pairs
    ]
    table = Table(data, colWidths=[width * key_width, width * (1 - key_width)], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, styles.RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table
