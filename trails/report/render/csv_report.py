"""CSV: one row per (host, control), for spreadsheets and scripts.

Every text cell passes ``csv_cell``: a cell that a spreadsheet would evaluate as a
formula (``=cmd|' /C calc'!A0``, ``+``, ``-``, ``@``, tab, carriage return) gets a
leading apostrophe, and control or bidi-override characters become U+FFFD.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import BinaryIO

from trails.report.lines import EVIDENCE_CELLS, csv_sql
from trails.report.model import Report, evidence_rows
from trails.report.render.text import csv_cell
from trails.report.results import write_behind

COLUMNS = (
    "host_uuid",
    "hostname",
    "namespace",
    "owner",
    "control_id",
    "control_title",
    "severity",
    "requirements",
    "status",
    "collected",
    "config_version",
    "evidence_count",
    "detail",
    "exception",  # waived: the signed exception that accepts the failure
    "evidence",
    "simulated",  # true on every row of a report made from `trails simulate` output
)


def cells_text(cells: Iterable[str]) -> str:
    """Cells already neutralised with ``csv_cell``, as one CSV fragment."""
    out = io.StringIO()
    # The row's own terminator, cut off: with "" the csv module would not quote a newline.
    csv.writer(out, lineterminator="\r\n").writerow(list(cells))
    return out.getvalue()[:-2]


def csv_evidence(text: str | None) -> str:
    """The CSV's evidence cell."""
    rows = evidence_rows(text)
    if not rows:
        return ""
    return cells_text(
        [csv_cell(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, sort_keys=True))]
    )


def write_csv(report: Report, out: BinaryIO) -> None:
    """Streamed: the engine writes each row (``trails.report.lines``); host, control and
    evidence cells are made here, once each."""
    results = report.results
    results.load_cells(
        "host_cells",
        [
            (
                h.host_uuid,
                cells_text(csv_cell(v) for v in (h.host_uuid, h.hostname, h.namespace, h.owner)),
            )
            for h in report.hosts
        ],
    )
    results.load_cells(
        "control_cells",
        [
            (
                c.id,
                cells_text(
                    csv_cell(v)
                    for v in (
                        c.id,
                        c.title,
                        c.severity,
                        " ".join(f"{r.framework}:{r.requirement}" for r in c.refs),
                    )
                ),
            )
            for c in report.controls
        ],
    )
    results.load_evidence(EVIDENCE_CELLS, csv_evidence)
    out.write((cells_text(COLUMNS) + "\r\n").encode("utf-8"))
    sql = csv_sql(results.dialect, results.table, report.metadata.simulated)
    write_behind(
        (
            ("\r\n".join([line for (line,) in b]) + "\r\n").encode("utf-8")
            for b in results.lines(sql)
        ),
        out.write,
    )
