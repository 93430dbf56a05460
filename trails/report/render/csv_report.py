"""CSV: one row per (host, control), for spreadsheets and scripts.

Every text cell passes ``csv_cell``: a cell that a spreadsheet would evaluate as a
formula (``=cmd|' /C calc'!A0``, ``+``, ``-``, ``@``, tab, carriage return) gets a
leading apostrophe, and control or bidi-override characters become U+FFFD.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from functools import lru_cache
from typing import BinaryIO

from trails.report.model import Report
from trails.report.render.text import csv_cell

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


@lru_cache(maxsize=1 << 16)  # results repeat their collection times
def _time_cell(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write_csv(report: Report, out: BinaryIO) -> None:
    """Streamed: every result from the engine, written a batch of rows at a time."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    # Host-supplied and catalog text goes through csv_cell; the rest is ours. The cells of
    # a host and of a control are made once, not once per result.
    host_cells = {
        h.host_uuid: (
            csv_cell(h.host_uuid),
            csv_cell(h.hostname),
            csv_cell(h.namespace),
            csv_cell(h.owner),
        )
        for h in report.hosts
    }
    control_cells = {
        c.id: (
            csv_cell(c.id),
            csv_cell(c.title),
            csv_cell(c.severity),
            csv_cell(" ".join(f"{r.framework}:{r.requirement}" for r in c.refs)),
        )
        for c in report.controls
    }
    simulated = "true" if report.metadata.simulated else "false"
    for r in report.results:
        evidence = (
            json.dumps([row.to_dict() for row in r.evidence], ensure_ascii=False, sort_keys=True)
            if r.evidence
            else ""
        )
        writer.writerow(
            (
                *(host_cells.get(r.host_uuid) or (csv_cell(r.host_uuid), "", "", "")),
                *(control_cells.get(r.control_id) or (csv_cell(r.control_id), "", "", "")),
                r.status.value,
                _time_cell(r.collected) if r.collected else "",
                csv_cell(r.config_version),
                str(r.evidence_count),
                csv_cell(r.detail),
                csv_cell(r.exception),
                csv_cell(evidence),
                simulated,
            )
        )
    text.flush()
    text.detach()  # the caller owns ``out``
