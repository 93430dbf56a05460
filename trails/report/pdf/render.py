"""``render_pdf``: the report model as a PDF for people (pure and byte-for-byte reproducible)."""

from __future__ import annotations

from typing import BinaryIO

from trails.report.model import Report
from trails.report.pdf.document import DocumentInfo, build_pdf
from trails.report.pdf.sections import (
    appendix,
    controls,
    exceptions,
    overview,
    pipeline,
    provenance,
    requirements,
)
from trails.report.pdf.text import plain


def write_pdf(report: Report, out: BinaryIO) -> None:
    meta = report.metadata
    title = plain(meta.title, 90)
    if meta.simulated:
        title += " (SIMULATED DATA)"
    story = [
        *overview.cover(report),
        *overview.executive_summary(report),
        *provenance.story(report),
        *requirements.story(report),
        *controls.story(report),
        *exceptions.story(report),
        *pipeline.integrity(report),
        *pipeline.baseline(report),
        *appendix.story(report),
    ]
    info = DocumentInfo(
        title=title,
        subject=(
            f"Compliance evidence for {len(report.hosts):,} hosts, "
            f"{meta.since:%Y-%m-%d %H:%M} to {meta.until:%Y-%m-%d %H:%M} UTC"
        ),
        author=f"trails {plain(meta.tool_version, 40)}",
        keywords=("compliance", "osquery", *(plain(f, 40) for f in report.scope.frameworks)),
        footer=f"fingerprint {report.fingerprint[:16]} \u00b7 {title}",
        created=meta.generated_at,  # the report's own time: reproducible, and not 2000-01-01
    )
    out.write(build_pdf(story, info))
