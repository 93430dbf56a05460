"""Renderers: pure functions from one ``Report`` to the bytes of one file format.

A renderer never computes a verdict and never reads the clock or the disk; it escapes
or neutralises host-supplied text for its own syntax. ``trails report --format NAME``
looks the name up here; ``EXTENSIONS`` gives the output file's suffix.
"""

from __future__ import annotations

from collections.abc import Callable

from trails.report.model import Report
from trails.report.pdf.render import render_pdf
from trails.report.render.csv_report import render_csv
from trails.report.render.json_report import render_json
from trails.report.render.junit import render_junit
from trails.report.render.oscal import render_oscal

Renderer = Callable[[Report], bytes]

RENDERERS: dict[str, Renderer] = {
    "json": render_json,
    "csv": render_csv,
    "junit": render_junit,
    "oscal": render_oscal,
    "pdf": render_pdf,
}

EXTENSIONS: dict[str, str] = {
    "json": "json",
    "csv": "csv",
    "junit": "junit.xml",
    "oscal": "oscal.json",
    "pdf": "pdf",
}
