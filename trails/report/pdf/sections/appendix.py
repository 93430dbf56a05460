"""Appendix: method, what each status means, and what was ingested (malformed lines too)."""

from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph

from trails.models.evidence import ReportStatus
from trails.report.model import Report
from trails.report.pdf import styles
from trails.report.pdf.blocks import key_values
from trails.report.pdf.document import Heading
from trails.report.pdf.tables import data_table, shown_of, status_badge
from trails.report.pdf.text import TEXT_CHARS, markup

MAX_FILES = 50

STATUS_MEANINGS = {
    ReportStatus.PASS: "The control's query ran and returned a positive evidence row. A pass is "
    "never inferred from missing data.",
    ReportStatus.FAIL: "The query ran and found offending rows; they are the evidence shown.",
    ReportStatus.ERROR: "osquery's schedule statistics show the query failed or was denylisted.",
    ReportStatus.NOT_APPLICABLE: "The query ran and the control does not apply to the host.",
    ReportStatus.MANUAL: "No automated check exists; evidence must come from elsewhere.",
    ReportStatus.NO_EVIDENCE: "Nothing arrived for the control from the host in the window.",
    ReportStatus.STALE: "The newest evidence is older than the report window.",
    ReportStatus.WAIVED: "The query found offending rows and a signed exception in force "
    "accepts the failure (justification, approver, end date: Exceptions). Not a pass.",
}

METHOD = (
    "trails builds every control into a scheduled osquery snapshot query that always returns "
    "one row: the control id, pass or fail, and the offending rows as bounded evidence. Each "
    "result line is decorated with the host's namespace and the signed config version that "
    "scheduled it. The report reads the osquery results logs, keeps the newest row per host "
    "and control inside the window, and rolls the verdicts up per control, requirement, "
    "namespace and owner. Everything taken from hosts is untrusted: this PDF shows it "
    "literally, escapes characters the fonts cannot draw (for example \\u202e), and bounds "
    "its length."
)


def story(report: Report) -> list[Flowable]:
    ingest = report.ingest
    out: list[Flowable] = [
        Heading("Appendix", styles.H1, 0, "appendix"),
        Heading("Method", styles.H2, 1, "appendix-method"),
        Paragraph(markup(METHOD, len(METHOD)), styles.BODY),
        Heading("Statuses", styles.H2, 1, "appendix-statuses"),
        data_table(
            ["Status", "Meaning"],
            [[status_badge(s.value), markup(STATUS_MEANINGS[s], TEXT_CHARS)] for s in ReportStatus],
            [1.7, 8],
        ),
        Heading("Ingest statistics", styles.H2, 1, "appendix-ingest"),
        key_values(
            [
                ("Files read", f"{len(ingest.files):,}"),
                ("Lines read", f"{ingest.lines:,}"),
                ("Result rows used", f"{ingest.result_rows:,}"),
                ("Malformed lines", f"{ingest.malformed:,}"),
                ("Lines from trails simulate", f"{ingest.simulated_lines:,}"),
            ]
        ),
    ]
    if ingest.malformed_samples:
        out += [
            Heading("First malformed lines", styles.H2, 1, "appendix-malformed"),
            data_table(
                ["File", "Line", "Reason"],
                [
                    [markup(m.file, TEXT_CHARS), f"{m.line:,}", markup(m.reason, TEXT_CHARS)]
                    for m in ingest.malformed_samples
                ],
                [5, 1, 5],
            ),
        ]
    if ingest.files:
        files = [[markup(f, TEXT_CHARS)] for f in ingest.files[:MAX_FILES]]
        out += [
            Heading("Input files", styles.H2, 1, "appendix-files"),
            data_table(["File"], files, [1]),
        ]
        note = shown_of(len(files), len(ingest.files), "files")
        if note is not None:
            out.append(note)
    return out
