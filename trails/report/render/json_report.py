"""The JSON report: the canonical model itself (schema: trails/schemas/report.schema.json)."""

from __future__ import annotations

from trails.models.canonical import canonical_json
from trails.report.model import Report


def render_json(report: Report) -> bytes:
    return canonical_json(report.to_dict())
