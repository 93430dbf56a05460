"""The PDF as an auditor reads it (issue 15, item 6): checked by text position and content.

No heading ends a page without what it introduces; chart legends stay clear of the axis
labels; the pass rate has one stated definition; pack-sourced text is never cut; durations
read as people write them; the PDF's creation date is the report's generation time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Group, String, UserNode, mmult
from reportlab.platypus import Spacer

from testkit.report_synth import synthetic_report
from tests.report.factories import example_report
from tests.report.pdf.pdfcheck import page_lines, page_texts, reader
from trails.report.evaluate import Window
from trails.report.integrity import duration_text, integrity_findings
from trails.report.model import IntegrityKind, Report
from trails.report.pdf import charts, styles
from trails.report.pdf.blocks import PASS_RATE_DEFINITION
from trails.report.pdf.document import DocumentInfo, Heading, build_pdf
from trails.report.render import render

HEADING_SIZE = styles.H2.fontSize  # the smallest heading; body text, cells and charts are smaller
PAGE_HEIGHT = styles.PAGE_SIZE[1]


def _body_runs(runs: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Text inside the frame (not the running header or footer)."""
    return [r for r in runs if styles.MARGIN - 1 < r[0] < PAGE_HEIGHT - styles.MARGIN]


UNDER_A_HEADING = 40.0  # points of content a heading needs below it on a full page


def _pages_ending_in_a_heading(pdf: bytes) -> list[tuple[int, str]]:
    """Pages whose last text is a heading, or full pages whose last heading has less than
    ``UNDER_A_HEADING`` points of content under it while its section goes on at the top of
    the next page (a title and a status line here, the rest over the page)."""
    pages = [_body_runs(runs) for runs in page_lines(pdf)]
    out = []
    for number, body in enumerate(pages, start=1):
        headings = [r for r in body if r[1] >= HEADING_SIZE]
        if not headings:
            continue
        bottom = min(r[0] for r in body)
        y, _, text = min(headings, key=lambda r: r[0])
        following = pages[number] if number < len(pages) else []
        continues = bool(following) and max(following)[1] < HEADING_SIZE
        full = bottom < styles.MARGIN + UNDER_A_HEADING
        if y == bottom or (full and continues and y - bottom < UNDER_A_HEADING):
            out.append((number, text))
    return out


def test_a_heading_before_a_chart_that_does_not_fit_moves_with_it() -> None:
    """The demo's p.2 case: "By requirement" was left alone while its chart opened p.3."""
    chart = Drawing(400, 250)
    chart.add(String(10, 120, "the chart itself"))
    room = styles.PAGE_SIZE[1] - 2 * styles.MARGIN
    story = [
        Spacer(1, room - 150),  # leaves room for the heading and 3 cm, not for the chart
        Heading("By requirement", styles.H2, 0, "req"),
        chart,
    ]
    pdf = build_pdf(story, DocumentInfo(title="t", subject="s", author="a"))
    texts = page_texts(pdf)
    assert len(texts) == 2
    assert "By requirement" not in texts[0]
    assert "By requirement" in texts[1]
    assert "the chart itself" in texts[1]
    assert _pages_ending_in_a_heading(pdf) == []


REPORTS: dict[str, Callable[[], Report]] = {
    "example": lambda: example_report(simulated=True),
    "fleet-5-days": lambda: synthetic_report(hosts=120, controls=30, days=5),
    "fleet-500": lambda: synthetic_report(hosts=500, controls=60, days=2),
}


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_no_page_ends_with_a_heading(name: str) -> None:
    assert _pages_ending_in_a_heading(render("pdf", REPORTS[name]())) == []


# --- chart legends -----------------------------------------------------------------------


def _strings(node: object, matrix: tuple[float, ...]) -> Iterator[tuple[float, ...]]:
    """Bounding boxes (x0, y0, x1, y1, in drawing coordinates) of every String under node."""
    if isinstance(node, String):
        x0, y0, x1, y1 = node.getBounds()
        corners = [(x0, y0), (x0, y1), (x1, y0), (x1, y1)]
        a, b, c, d, e, f = matrix
        points = [(a * x + c * y + e, b * x + d * y + f) for x, y in corners]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        yield (min(xs), min(ys), max(xs), max(ys))
    elif isinstance(node, UserNode):  # a chart, an axis: draw it into primitive shapes
        yield from _strings(node.draw(), matrix)
    elif isinstance(node, Group):
        inner = mmult(matrix, node.transform)
        for child in node.contents:
            yield from _strings(child, inner)


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _legend_and_axis_labels(drawing: Drawing) -> tuple[tuple[float, ...], list[tuple[float, ...]]]:
    legends = [c for c in drawing.contents if isinstance(c, Legend)]
    assert len(legends) == 1
    legend = legends[0].getBounds()
    labels = [
        box
        for c in drawing.contents
        if not isinstance(c, Legend)
        for box in _strings(c, (1, 0, 0, 1, 0, 0))
    ]
    assert labels
    return legend, labels


STATUSES = {s: 1_000 * (i + 1) for i, s in enumerate(styles.STATUS_ORDER)}


@pytest.mark.parametrize(
    "drawing",
    [
        charts.stacked_bars([("linux/pci", STATUSES), ("linux", STATUSES)]),
        charts.stacked_bars([(f"pci-dss-4.0.1 10.2.1.{i}", STATUSES) for i in range(15)]),
        charts.day_trend([("2026-12-01", STATUSES), ("2026-12-02", STATUSES)]),
        charts.day_trend([(f"2026-12-{d:02d}", STATUSES) for d in range(1, 32)]),  # slanted
    ],
    ids=["bars-2", "bars-15", "trend-2", "trend-31"],
)
def test_legend_does_not_overlap_axis_labels(drawing: Drawing) -> None:
    legend, labels = _legend_and_axis_labels(drawing)
    assert [box for box in labels if _overlaps(legend, box)] == []
    # and the legend stays inside the drawing, so it cannot reach the next flowable either
    assert min(legend[0], legend[1]) >= 0
    assert legend[2] <= drawing.width
    assert legend[3] <= drawing.height


# --- one pass rate -----------------------------------------------------------------------


def test_one_pass_rate_definition_is_stated_and_no_other_percentage_of_passes() -> None:
    report = example_report()
    text = " ".join(" ".join(page_texts(render("pdf", report))).split())
    assert text.count(PASS_RATE_DEFINITION) == 1
    assert "pass rate" in text  # the headline figure the definition explains
    pie_labels = next(
        c.colorNamePairs
        for c in charts.status_pie({"pass": 8, "fail": 2, "not_applicable": 5}).contents
        if isinstance(c, Legend)
    )
    assert [label for _, label in pie_labels] == ["pass  8", "fail  2", "not_applicable  5"]


# --- pack-sourced text is whole ----------------------------------------------------------


def test_pack_sourced_titles_and_levels_are_never_cut() -> None:
    report = example_report()
    title = " ".join(f"word{i:03d}" for i in range(38))[:300]  # 300 characters
    level = "Level 2 - Server and Workstation, with a long profile name " * 3
    rationale = "Because " + "the benchmark says so at length; " * 20
    assert len(title) == 300
    first = report.controls[0]
    changed = dataclasses.replace(first, title=title, level=level, rationale=rationale)
    report = dataclasses.replace(report, controls=(changed, *report.controls[1:]))
    text = " ".join(" ".join(page_texts(render("pdf", report))).split())
    assert f"{first.id} - {title}" in text  # the control's heading
    assert " ".join(level.split()) in text
    assert " ".join(rationale.split()) in text
    assert "chars]" not in text.split("Pipeline integrity")[0].split("Controls")[-1]


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(days=1), "1 day"),
        (timedelta(days=2, hours=6), "2 days 6 hours"),
        (timedelta(hours=12), "12 hours"),
        (timedelta(seconds=90), "1 minute 30 seconds"),
        (timedelta(0), "0 seconds"),
    ],
)
def test_durations_read_as_words(span: timedelta, words: str) -> None:
    assert duration_text(span) == words
    assert ":" not in duration_text(span)


# --- creation date -----------------------------------------------------------------------


def test_creation_date_is_the_generation_time() -> None:
    report = example_report()
    meta = reader(render("pdf", report)).metadata
    assert meta is not None
    generated = report.metadata.generated_at.astimezone(UTC)
    stamp = generated.strftime("D:%Y%m%d%H%M%S+00'00'")
    created, modified = meta["/CreationDate"], meta["/ModDate"]
    assert isinstance(created, str)
    assert isinstance(modified, str)
    assert created == stamp
    assert modified == stamp
    assert meta.creation_date == generated.replace(microsecond=0)
    assert meta.creation_date != datetime(2000, 1, 1, tzinfo=UTC)


def test_a_silent_host_finding_reads_one_day() -> None:
    host = example_report().hosts[0]
    quiet = dataclasses.replace(host, last_seen=datetime(2026, 11, 20, tzinfo=UTC))
    until = datetime(2026, 11, 23, 12, tzinfo=UTC)
    window = Window(since=until - timedelta(days=1), until=until)
    findings = integrity_findings([quiet], {}, [], window, timedelta(hours=24))
    silent = [f for f in findings if f.kind is IntegrityKind.SILENT]
    assert [f.detail for f in silent] == ["silent for more than 1 day"]
