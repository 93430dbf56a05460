"""Renderers: pure functions from one ``Report`` to one file format, written to a stream.

A renderer never computes a verdict and never reads the clock or the disk; it escapes
or neutralises host-supplied text for its own syntax, and streams what is large (every
result) from the report's engine. ``trails report --format NAME`` looks the name up
here; ``EXTENSIONS`` gives the output file's suffix; ``render`` returns the bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from trails.report.model import Report
from trails.report.pdf.render import write_pdf
from trails.report.render.csv_report import write_csv
from trails.report.render.json_report import write_json
from trails.report.render.junit import write_junit
from trails.report.render.oscal import write_oscal

Renderer = Callable[[Report, BinaryIO], None]

RENDERERS: dict[str, Renderer] = {
    "json": write_json,
    "csv": write_csv,
    "junit": write_junit,
    "oscal": write_oscal,
    "pdf": write_pdf,
}

EXTENSIONS: dict[str, str] = {
    "json": "json",
    "csv": "csv",
    "junit": "junit.xml",
    "oscal": "oscal.json",
    "pdf": "pdf",
}


def render(name: str, report: Report) -> bytes:
    """The whole output of one renderer, in memory (small reports, tests)."""
    out = io.BytesIO()
    RENDERERS[name](report, out)
    return out.getvalue()
