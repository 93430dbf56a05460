"""Per-control pages: what the control checks, its results, the failing hosts with their
evidence, and hosts that gave no usable answer (bounded rows)."""

from __future__ import annotations

from collections import defaultdict

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer

from trails.models.evidence import ReportStatus
from trails.report.model import ControlInfo, ControlResult, ControlRollup, Report
from trails.report.pdf import styles
from trails.report.pdf.blocks import (
    counts_line,
    evidence_cell,
    host_cell,
    namespace_of,
    when_cell,
)
from trails.report.pdf.document import Heading
from trails.report.pdf.tables import Mono, badge_markup, data_table, shown_of, status_badge
from trails.report.pdf.text import TEXT_CHARS, markup, plain

MAX_FAILING_ROWS = 15  # failing hosts shown per control
MAX_PROBLEM_ROWS = 5  # error / stale / no_evidence hosts shown per control
_PROBLEMS = frozenset({ReportStatus.ERROR, ReportStatus.STALE, ReportStatus.NO_EVIDENCE})


def _select(
    report: Report,
) -> tuple[dict[str, list[ControlResult]], dict[str, list[ControlResult]]]:
    """One pass over every result: the first failing and problem rows of each control."""
    failing: dict[str, list[ControlResult]] = defaultdict(list)
    problems: dict[str, list[ControlResult]] = defaultdict(list)
    for result in report.results:
        if result.status is ReportStatus.FAIL:
            rows = failing[result.control_id]
            if len(rows) < MAX_FAILING_ROWS:
                rows.append(result)
        elif result.status in _PROBLEMS:
            rows = problems[result.control_id]
            if len(rows) < MAX_PROBLEM_ROWS:
                rows.append(result)
    return failing, problems


def _about(info: ControlInfo | None, rollup: ControlRollup) -> list[Flowable]:
    facts = []
    if info is not None:
        if info.severity:
            facts.append(f"severity <b>{markup(info.severity, 20)}</b>")
        if info.level:
            facts.append(f"level {markup(info.level, 20)}")
        refs = ", ".join(f"{r.framework} {r.requirement}" for r in info.refs)
        if refs:
            facts.append(markup(refs, TEXT_CHARS))
    out: list[Flowable] = [
        Paragraph(
            " \u00b7 ".join([f"Status {badge_markup(rollup.status.value)}", *facts]),
            styles.BODY,
        ),
        Paragraph(f"Results: {counts_line(rollup.counts)}", styles.BODY),
    ]
    if info is not None and info.manual:
        out.append(
            Paragraph(
                f"<b>Manual control.</b> {markup(info.manual_reason or '', TEXT_CHARS)}",
                styles.BODY,
            )
        )
    if info is not None and info.rationale:
        out.append(Paragraph(f"<b>Why:</b> {markup(info.rationale, TEXT_CHARS)}", styles.NOTE))
    if info is not None and info.remediation:
        out.append(Paragraph(f"<b>Fix:</b> {markup(info.remediation, TEXT_CHARS)}", styles.NOTE))
    return out


def _failing_table(report: Report, rows: list[ControlResult], total: int) -> list[Flowable]:
    data = [
        [
            host_cell(report, r.host_uuid),
            Mono(f"{plain(namespace_of(report, r.host_uuid))}\n{plain(r.config_version, 40)}"),
            when_cell(r.collected),
            evidence_cell(r.evidence, r.evidence_count),
        ]
        for r in rows
    ]
    out: list[Flowable] = [
        data_table(
            ["Failing host", "Namespace / config", "Collected", "Evidence (offending rows)"],
            data,
            [3.9, 2.6, 1.5, 4.6],
        )
    ]
    note = shown_of(len(rows), total, "failing hosts")
    return out + ([note] if note is not None else [])


def _problem_table(report: Report, rows: list[ControlResult], total: int) -> list[Flowable]:
    data = [
        [
            host_cell(report, r.host_uuid),
            status_badge(r.status.value),
            when_cell(r.collected),
            Mono(plain(r.detail or "-", TEXT_CHARS)),
        ]
        for r in rows
    ]
    out: list[Flowable] = [
        Spacer(1, 2 * mm),
        data_table(["Host", "Status", "Newest evidence", "Detail"], data, [3.9, 1.7, 1.5, 5.7]),
    ]
    note = shown_of(len(rows), total, "hosts without a usable result")
    return out + ([note] if note is not None else [])


def story(report: Report) -> list[Flowable]:
    failing, problems = _select(report)
    out: list[Flowable] = [
        Heading("Controls", styles.H1, 0, "controls"),
        Paragraph(
            f"Each control with its results. Up to {MAX_FAILING_ROWS} failing hosts are listed "
            f"with the evidence their query returned, and up to {MAX_PROBLEM_ROWS} hosts whose "
            "result was an error, stale or missing.",
            styles.BODY,
        ),
    ]
    for n, rollup in enumerate(report.control_rollups):
        info = report.controls_by_id.get(rollup.control_id)
        title = f"{rollup.control_id} - {info.title}" if info else rollup.control_id
        out.append(Heading(title, styles.H2, 1, f"control-{n}"))
        out += _about(info, rollup)
        if failing.get(rollup.control_id):
            out += _failing_table(report, failing[rollup.control_id], rollup.failing_host_count)
        if problems.get(rollup.control_id):
            total = sum(rollup.counts[s] for s in _PROBLEMS)
            out += _problem_table(report, problems[rollup.control_id], total)
    out.append(PageBreak())
    return out
