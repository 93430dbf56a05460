from __future__ import annotations

from typing import TypeVar

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String

from trails.report.pdf import charts, styles

T = TypeVar("T")


def _only(drawing: Drawing, kind: type[T]) -> T:
    found = [c for c in drawing.contents if isinstance(c, kind)]
    assert len(found) == 1
    return found[0]


def test_pie_has_one_slice_per_present_status_in_canonical_order() -> None:
    drawing = charts.status_pie({"fail": 3, "pass": 7, "stale": 0, "weird": 1})
    pie = _only(drawing, Pie)
    assert pie.data == [7, 3, 1]  # pass, fail, then unknown statuses last
    assert pie.slices[0].fillColor == styles.status_colour("pass")
    assert pie.slices[1].fillColor == styles.status_colour("fail")


def test_pie_without_results_says_so() -> None:
    drawing = charts.status_pie({"pass": 0})
    text = _only(drawing, String)
    assert text.text == "no results in the report window"


def test_bars_are_bounded_first_row_on_top_and_labels_clipped() -> None:
    rows = [(f"ns-{i}-" + "x" * 60 + "\u202e", {"pass": i, "fail": 1}) for i in range(40)]
    chart = _only(charts.stacked_bars(rows), HorizontalBarChart)
    names = chart.categoryAxis.categoryNames
    assert len(names) == charts.MAX_BARS
    assert names[-1].startswith("ns-0-")  # drawn bottom-up, so the first row is last
    assert all(len(n) <= charts.LABEL_CHARS for n in names)
    assert all("\u202e" not in n for n in names)
    assert chart.data == [list(range(14, -1, -1)), [1] * 15]


def test_value_axis_ticks_are_whole_numbers() -> None:
    chart = _only(charts.stacked_bars([("a", {"pass": 3})]), HorizontalBarChart)
    assert (chart.valueAxis.valueStep, chart.valueAxis.valueMax) == (1, 3)
    chart = _only(charts.stacked_bars([("a", {"pass": 12_345})]), HorizontalBarChart)
    assert chart.valueAxis.valueStep == 5000
    assert chart.valueAxis.valueMax == 15_000


def test_trend_keeps_the_latest_days() -> None:
    days = [(f"day-{d:02d}", {"pass": d}) for d in range(40)]
    chart = _only(charts.day_trend(days), VerticalBarChart)
    assert chart.categoryAxis.categoryNames[0] == "day-09"
    assert len(chart.categoryAxis.categoryNames) == charts.MAX_DAYS


def test_empty_bars_and_trend_draw_a_message() -> None:
    for drawing in (charts.stacked_bars([]), charts.day_trend([("d", {"pass": 0})])):
        assert _only(drawing, String).text == "no results to chart"
