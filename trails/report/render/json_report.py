"""The JSON report: the canonical model itself (schema: trails/schemas/report.schema.json)."""

from __future__ import annotations

from trails.report.model import Report


def render_json(report: Report) -> bytes:
    return report.canonical_json()
