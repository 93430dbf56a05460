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
        c.id: " ".join(f"{r.framework}:{r.requirement}" for r in c.refs) for c in report.controls
    }
    for r in report.results:
        host = hosts.get(r.host_uuid)
        control = controls.get(r.control_id)
        evidence = (
            json.dumps([row.to_dict() for row in r.evidence], ensure_ascii=False, sort_keys=True)
            if r.evidence
            else ""
        )
        cells = (
            r.host_uuid,
            host.hostname if host else "",
            host.namespace if host else "",
            host.owner if host else "",
            r.control_id,
            control.title if control else "",
            control.severity if control else "",
            refs.get(r.control_id, ""),
            r.status.value,
            r.collected.isoformat().replace("+00:00", "Z") if r.collected else "",
            r.config_version,
            str(r.evidence_count),
            r.detail,
            evidence,
        )
        writer.writerow([csv_cell(c) for c in cells])
    return out.getvalue().encode("utf-8")
