"""Per-requirement tables: every requirement of every framework, manual ones included
(PCI DSS first, since that is what a QSA asks for)."""

from __future__ import annotations

from itertools import groupby

from reportlab.platypus import Flowable, PageBreak, Paragraph

from trails.models.evidence import ReportStatus
from trails.report.model import Report, RequirementRollup
from trails.report.pdf import styles
from trails.report.pdf.blocks import counts_line
from trails.report.pdf.document import Heading
from trails.report.pdf.tables import data_table, status_badge
from trails.report.pdf.text import TEXT_CHARS, markup, whole

MAX_CONTROL_IDS = 12  # control ids listed in one requirement row


def _framework_order(framework: str) -> tuple[int, str]:
    return (0 if framework.lower().startswith("pci") else 1, framework)


def _row(req: RequirementRollup) -> list[object]:
    ids = ", ".join(req.controls[:MAX_CONTROL_IDS])
    if len(req.controls) > MAX_CONTROL_IDS:
        ids += f" (+{len(req.controls) - MAX_CONTROL_IDS})"
    if req.status is ReportStatus.MANUAL:
        results = f"<i>manual: {whole(req.manual_reason or '')}</i>"
    else:
        results = counts_line(req.counts)
    title = whole(req.title) if req.title else "-"
    return [
        f"<b>{whole(req.requirement)}</b>",
        title,
        status_badge(req.status.value),
        markup(ids or "-", TEXT_CHARS),
        results,
        f"{req.failing_hosts:,}",
    ]


def story(report: Report) -> list[Flowable]:
    out: list[Flowable] = [
        Heading("Requirements", styles.H1, 0, "requirements"),
        Paragraph(
            "Each framework requirement with the controls mapped to it. A requirement takes the "
            "worst status of its controls' results; one with no automated control is "
            "<i>manual</i>, and its evidence must come from outside this report.",
            styles.BODY,
        ),
    ]
    ordered = sorted(report.requirements, key=lambda r: _framework_order(r.framework))
    if not ordered:
        out.append(Paragraph("The catalog maps no control to a requirement.", styles.BODY))
    for n, (framework, reqs) in enumerate(groupby(ordered, key=lambda r: r.framework)):
        rows = [_row(r) for r in reqs]
        out += [
            Heading(framework, styles.H2, 1, f"requirements-{n}"),
            data_table(
                ["Req.", "Title", "Status", "Controls", "Results", "Failing hosts"],
                rows,
                [1.2, 3.2, 1.7, 2.6, 3.4, 1.1],
            ),
        ]
    out.append(PageBreak())
    return out
