"""CSV: one row per (host, control), for spreadsheets and scripts.

Every text cell passes ``csv_cell``: a cell that a spreadsheet would evaluate as a
formula (``=cmd|' /C calc'!A0``, ``+``, ``-``, ``@``, tab, carriage return) gets a
leading apostrophe, and control or bidi-override characters become U+FFFD.
"""

from __future__ import annotations

import csv
import io
import json

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
    "evidence",
)


def render_csv(report: Report) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    hosts = report.hosts_by_uuid
    controls = report.controls_by_id
    refs = {
        c.id: csv_cell(" ".join(f"{r.framework}:{r.requirement}" for r in c.refs))
        for c in report.controls
    }
    for r in report.results:
        host = hosts.get(r.host_uuid)
        control = controls.get(r.control_id)
        evidence = (
            json.dumps([row.to_dict() for row in r.evidence], ensure_ascii=False, sort_keys=True)
            if r.evidence
            else ""
        )
        # Host-supplied and catalog text goes through csv_cell; the rest is ours.
        cells = (
            csv_cell(r.host_uuid),
            csv_cell(host.hostname) if host else "",
            csv_cell(host.namespace) if host else "",
            csv_cell(host.owner) if host else "",
            csv_cell(r.control_id),
            csv_cell(control.title) if control else "",
            csv_cell(control.severity) if control else "",
            refs.get(r.control_id, ""),
            r.status.value,
            r.collected.isoformat().replace("+00:00", "Z") if r.collected else "",
            csv_cell(r.config_version),
            str(r.evidence_count),
            csv_cell(r.detail),
            csv_cell(evidence),
        )
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")
