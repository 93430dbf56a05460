"""Per-control pages: what the control checks, its results, the failing hosts with their
evidence, and hosts that gave no usable answer (bounded rows)."""

from __future__ import annotations

from collections import defaultdict

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph

from trails.models.evidence import ReportStatus
from trails.report.model import (
    LISTED_FAILING,
    LISTED_PROBLEMS,
    ControlInfo,
    ControlResult,
    ControlRollup,
    Report,
)
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
from trails.report.pdf.text import TEXT_CHARS, plain, whole

_PROBLEMS = frozenset({ReportStatus.ERROR, ReportStatus.STALE, ReportStatus.NO_EVIDENCE})


_Rows = dict[str, list[ControlResult]]


def _select(report: Report) -> tuple[_Rows, _Rows, _Rows]:
    """The listed results (``Report.listed``, bounded by the engine) of each control:
    failing, waived and problem rows."""
    failing: _Rows = defaultdict(list)
    waived: _Rows = defaultdict(list)
    problems: _Rows = defaultdict(list)
    for result in report.listed:
        if result.status is ReportStatus.FAIL:
            failing[result.control_id].append(result)
        elif result.status is ReportStatus.WAIVED:
            waived[result.control_id].append(result)
        elif result.status in _PROBLEMS:
            problems[result.control_id].append(result)
    return failing, waived, problems


def _about(info: ControlInfo | None, rollup: ControlRollup) -> list[Flowable]:
    facts = []
    if info is not None:
        if info.severity:
            facts.append(f"severity <b>{whole(info.severity)}</b>")
        if info.level:
            facts.append(f"level {whole(info.level)}")
        refs = ", ".join(f"{r.framework} {r.requirement}" for r in info.refs)
        if refs:
            facts.append(whole(refs))
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
                f"<b>Manual control.</b> {whole(info.manual_reason or '')}",
                styles.BODY,
            )
        )
    if info is not None and info.rationale:
        out.append(Paragraph(f"<b>Why:</b> {whole(info.rationale)}", styles.NOTE))
    if info is not None and info.remediation:
        out.append(Paragraph(f"<b>Fix:</b> {whole(info.remediation)}", styles.NOTE))
    return out


def _evidence_table(
    report: Report, rows: list[ControlResult], total: int, *, waived: bool
) -> list[Flowable]:
    """Failing hosts with their evidence; or, ``waived``, the failures an exception accepts,
    next to the evidence of the failure it covers."""

    def second(r: ControlResult) -> Mono:
        namespace = plain(namespace_of(report, r.host_uuid))
        if waived:
            return Mono(f"{plain(r.exception, 40)}\n{namespace}")
        return Mono(f"{namespace}\n{plain(r.config_version, 40)}")

    data = [
        [
            host_cell(report, r.host_uuid),
            second(r),
            when_cell(r.collected),
            evidence_cell(r.evidence, r.evidence_count),
        ]
        for r in rows
    ]
    header = (
        ["Waived host (failing)", "Exception / namespace"]
        if waived
        else ["Failing host", "Namespace / config"]
    )
    table = data_table(
        [*header, "Collected", "Evidence (offending rows)"], data, [3.9, 2.6, 1.5, 4.6]
    )
    if waived:
        table.spaceBefore = 2 * mm
    out: list[Flowable] = [table]
    note = shown_of(len(rows), total, "waived hosts" if waived else "failing hosts")
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
    table = data_table(["Host", "Status", "Newest evidence", "Detail"], data, [3.9, 1.7, 1.5, 5.7])
    table.spaceBefore = 2 * mm  # not a Spacer: the control's heading keeps with the table itself
    out: list[Flowable] = [table]
    note = shown_of(len(rows), total, "hosts without a usable result")
    return out + ([note] if note is not None else [])


def story(report: Report) -> list[Flowable]:
    failing, waived, problems = _select(report)
    out: list[Flowable] = [
        Heading("Controls", styles.H1, 0, "controls"),
        Paragraph(
            f"Each control with its results. Up to {LISTED_FAILING} failing hosts are listed "
            "with the evidence their query returned, then the failures a signed exception "
            f"accepts (waived, with the exception's id), and up to {LISTED_PROBLEMS} hosts "
            "whose result was an error, stale or missing.",
            styles.BODY,
        ),
    ]
    for n, rollup in enumerate(report.control_rollups):
        info = report.controls_by_id.get(rollup.control_id)
        title = f"{rollup.control_id} - {info.title}" if info else rollup.control_id
        # A known control's id and title come from the pack: shown whole.
        limit = None if info else 240
        out.append(Heading(title, styles.H2, 1, f"control-{n}", limit=limit))
        about = _about(info, rollup)
        tables: list[Flowable] = []
        if failing.get(rollup.control_id):
            tables += _evidence_table(
                report, failing[rollup.control_id], rollup.failing_host_count, waived=False
            )
        if waived.get(rollup.control_id):
            total = rollup.counts[ReportStatus.WAIVED]
            tables += _evidence_table(report, waived[rollup.control_id], total, waived=True)
        if problems.get(rollup.control_id):
            total = sum(rollup.counts[s] for s in _PROBLEMS)
            tables += _problem_table(report, problems[rollup.control_id], total)
        # The heading, what the control is and the start of its first table stay on one
        # page: a page never ends with a control's title and its status line alone.
        for paragraph in about if tables else about[:-1]:
            paragraph.keepWithNext = 1
        out += about + tables
    out.append(PageBreak())
    return out
