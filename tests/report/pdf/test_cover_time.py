"""The cover names the newest evidence, not a generation time (issue 15 item 5)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from tests.report.factories import example_report
from tests.report.pdf.pdfcheck import page_texts
from trails.report.render import render


def test_cover_says_newest_evidence() -> None:
    report = example_report()
    newest = report.metadata.until - timedelta(minutes=5)
    meta = dataclasses.replace(report.metadata, newest_evidence=newest, generated_at=newest)
    cover = page_texts(render("pdf", dataclasses.replace(report, metadata=meta)))[0]
    assert f"Newest evidence\n{newest:%Y-%m-%dT%H:%M:%SZ}" in cover
    assert "Generated" not in cover
    assert "Report date" not in cover  # the same time: said once


def test_an_explicit_report_date_is_shown_next_to_it() -> None:
    report = example_report()
    meta = dataclasses.replace(
        report.metadata,
        newest_evidence=report.metadata.until - timedelta(hours=1),
        generated_at=report.metadata.until + timedelta(days=1),
    )
    cover = page_texts(render("pdf", dataclasses.replace(report, metadata=meta)))[0]
    assert "Newest evidence" in cover
    assert f"Report date\n{meta.generated_at:%Y-%m-%dT%H:%M:%SZ}" in cover


def test_lines_dated_after_the_period_are_said_to_be_left_out() -> None:
    report = example_report()
    assert "Left out" not in page_texts(render("pdf", report))[0]
    meta = dataclasses.replace(report.metadata, lines_after_until=1234)
    cover = page_texts(render("pdf", dataclasses.replace(report, metadata=meta)))[0]
    assert "Left out\n1,234 input lines dated after the period" in cover
