"""The JSON report: the canonical model itself (schema: trails/schemas/report.schema.json)."""

from __future__ import annotations

from typing import BinaryIO

from trails.report.model import Report


def write_json(report: Report, out: BinaryIO) -> None:
    out.write(report.canonical_json())
