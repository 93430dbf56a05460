"""Exceptions: the signed waivers the report applied, who approved them and until when."""

from __future__ import annotations

from reportlab.platypus import Flowable, PageBreak, Paragraph

from trails.report.model import ExceptionSeen, Report
from trails.report.pdf import styles
from trails.report.pdf.blocks import when
from trails.report.pdf.document import Heading
from trails.report.pdf.tables import data_table, shown_of
from trails.report.pdf.text import markup, whole

MAX_ROWS = 200
_IN_FORCE = '<font color="#a9713b"><b>in force</b></font>'
_EXPIRED = "<b>expired</b>: no longer applies"


def _scope(seen: ExceptionSeen) -> str:
    e = seen.exception
    parts = [markup(seen.namespace)]
    if e.owner:
        parts.append(f"owner {markup(e.owner)}")
    if e.hosts:
        parts.append(f"{len(e.hosts):,} named hosts: " + markup(", ".join(e.hosts[:5]), 200))
    return "<br/>".join(parts)


def story(report: Report) -> list[Flowable]:
    if not report.exceptions:
        return []
    rows = [
        [
            markup(s.exception.id, 64),
            markup(s.exception.control, 128),
            _scope(s),
            # The policy repository's own text (signed): shown whole.
            whole(s.exception.justification)
            + f"<br/><i>approved by {whole(s.exception.approved_by)}</i>",
            when(s.exception.expires).replace("T", "<br/>"),
            (_IN_FORCE if s.in_force else _EXPIRED) + f"<br/>{s.waived:,} waived",
        ]
        for s in report.exceptions[:MAX_ROWS]
    ]
    unverified = any(not s.verified for s in report.exceptions)
    out: list[Flowable] = [
        Heading("Exceptions", styles.H1, 0, "exceptions"),
        Paragraph(
            "Failures accepted for a time, each with a written justification, an approver and "
            "an end date, declared in the policy repository and shipped in the signed release "
            "of the namespace. A failure an exception in force covers is <b>waived</b>: listed "
            "next to its evidence, never counted as a pass. An expired exception waives "
            "nothing." + (" <b>Some releases were not verified.</b>" if unverified else ""),
            styles.BODY,
        ),
        data_table(
            ["Exception", "Control", "Scope", "Justification", "Expires", "State"],
            rows,
            [1.6, 2.4, 2.2, 3.6, 1.4, 1.4],
        ),
    ]
    note = shown_of(len(rows), len(report.exceptions), "exceptions")
    return [*out, *([note] if note is not None else []), PageBreak()]
