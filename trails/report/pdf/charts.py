"""Charts drawn with reportlab's own graphics: status share, stacked bars, a per-day trend.

Each function takes plain counts (status -> number) and returns a ``Drawing`` sized for the
frame. Labels are untrusted and go through ``text.plain``; the number of bars is bounded so
a fleet of any size gives a readable chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from trails.report.pdf import styles
from trails.report.pdf.text import clip, plain

MAX_BARS = 15  # categories in a bar chart; the caller picks which (worst first)
LEGEND_ROW = 18  # the colour key of a bar chart is one row above the plot, clear of its axes
MAX_DAYS = 31  # days in a trend chart; the latest are kept
LABEL_CHARS = 26

Counts = Mapping[str, int]


def _present_statuses(series: Sequence[Counts]) -> list[str]:
    """Statuses with a non-zero count somewhere, in the canonical order, unknown ones last."""
    seen = {s for counts in series for s, n in counts.items() if n > 0}
    known = [s for s in styles.STATUS_ORDER if s in seen]
    return known + sorted(seen - set(known))


def _legend(
    statuses: Sequence[str], x: float, y: float, labels: Sequence[str], *, row_width: float = 0
) -> Legend:
    """A colour key: a column with its top-left at (x, y), or, given ``row_width``, one row
    starting at (x, y) that fits in that width."""
    one_row = row_width > 0
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.fontName = styles.FONT
    legend.fontSize = 6.5 if one_row else 7.5  # one row holds all eight statuses
    legend.boxAnchor = "w" if one_row else "nw"
    legend.columnMaximum = 1 if one_row else 8
    legend.dx = legend.dy = 6 if one_row else 7
    if one_row:
        legend.deltax = min(75, row_width / max(1, len(statuses)))
        legend.autoXPadding = 3
    legend.deltay = 11
    legend.strokeWidth = 0
    legend.colorNamePairs = [
        (styles.status_colour(s), label) for s, label in zip(statuses, labels, strict=True)
    ]
    return legend


def _integer_axis(axis: object, maximum: int) -> None:
    """Ticks at whole numbers: counts are never fractional."""
    step = 1
    while maximum / step > 6:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2  # 1, 2, 5, 10, 20...
    axis.valueMin = 0  # type: ignore[attr-defined]
    axis.valueMax = max(step, -(-maximum // step) * step)  # type: ignore[attr-defined]
    axis.valueStep = step  # type: ignore[attr-defined]


def _empty(width: float, height: float, message: str) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(
        String(
            width / 2,
            height / 2,
            message,
            fontName=styles.FONT,
            fontSize=9,
            fillColor=styles.MUTED,
            textAnchor="middle",
        )
    )
    return drawing


def status_pie(counts: Counts, width: float = 240, height: float = 150) -> Drawing:
    """Share of each status, with its count in the legend (no percentages: the report's one
    pass rate is defined over the results that were due, not over all of them)."""
    statuses = _present_statuses([counts])
    total = sum(counts.get(s, 0) for s in statuses)
    if total == 0:
        return _empty(width, height, "no results in the report window")
    drawing = Drawing(width, height)
    pie = Pie()
    size = min(height - 10, width * 0.45)
    pie.x, pie.y = 5, (height - size) / 2
    pie.width = pie.height = size
    pie.data = [counts[s] for s in statuses]
    pie.labels = None
    pie.simpleLabels = 1
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 0.8
    for i, status in enumerate(statuses):
        pie.slices[i].fillColor = styles.status_colour(status)
    drawing.add(pie)
    labels = [f"{plain(s, LABEL_CHARS)}  {counts[s]:,}" for s in statuses]
    drawing.add(_legend(statuses, size + 20, (height + 11 * len(statuses)) / 2, labels))
    return drawing


def stacked_bars(
    rows: Sequence[tuple[str, Counts]], width: float = 480, bar_height: float = 13
) -> Drawing:
    """One horizontal bar per label, stacked by status; the first ``MAX_BARS`` rows are drawn
    top to bottom, so callers order them (worst first)."""
    rows = list(rows)[:MAX_BARS]
    statuses = _present_statuses([counts for _, counts in rows])
    if not statuses:
        return _empty(width, 40, "no results to chart")
    label_width = 130
    chart_height = bar_height * len(rows) * 1.4
    height = chart_height + 26 + LEGEND_ROW
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_width, 26  # value-axis labels below, the legend above
    chart.width = width - label_width - 10
    chart.height = chart_height
    # Categories are drawn bottom-up; reverse so the first row is on top.
    ordered = rows[::-1]
    chart.data = [[counts.get(s, 0) for _, counts in ordered] for s in statuses]
    chart.categoryAxis.categoryNames = [clip(label, LABEL_CHARS) for label, _ in ordered]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.labels.fontName = styles.FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = styles.RULE
    _integer_axis(chart.valueAxis, max(sum(c.get(s, 0) for s in statuses) for _, c in rows))
    chart.valueAxis.labels.fontName = styles.FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.strokeColor = styles.RULE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = styles.ZEBRA
    chart.valueAxis.labelTextFormat = "{:,.0f}".format
    chart.barSpacing = 0
    chart.groupSpacing = bar_height * 0.4
    chart.bars.strokeWidth = 0
    for i, status in enumerate(statuses):
        chart.bars[i].fillColor = styles.status_colour(status)
    drawing.add(chart)
    drawing.add(
        _legend(
            statuses,
            10,
            height - LEGEND_ROW / 2,
            [plain(s, LABEL_CHARS) for s in statuses],
            row_width=width - 20,
        )
    )
    return drawing


def day_trend(
    days: Sequence[tuple[str, Counts]], width: float = 480, height: float = 170
) -> Drawing:
    """Stacked columns per day (the latest ``MAX_DAYS`` days)."""
    days = list(days)[-MAX_DAYS:]
    statuses = _present_statuses([counts for _, counts in days])
    if not statuses:
        return _empty(width, 40, "no results to chart")
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 45, 45  # room below for day labels (slanted when there are many)
    chart.width = width - 55
    chart.height = height - chart.y - LEGEND_ROW - 4
    chart.data = [[counts.get(s, 0) for _, counts in days] for s in statuses]
    chart.categoryAxis.categoryNames = [plain(day, 10) for day, _ in days]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.labels.fontName = styles.FONT
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 45 if len(days) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(days) > 8 else "n"
    _integer_axis(chart.valueAxis, max(sum(c.get(s, 0) for s in statuses) for _, c in days))
    chart.valueAxis.labels.fontName = styles.FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = styles.ZEBRA
    chart.valueAxis.labelTextFormat = "{:,.0f}".format
    chart.bars.strokeWidth = 0
    for i, status in enumerate(statuses):
        chart.bars[i].fillColor = styles.status_colour(status)
    drawing.add(chart)
    drawing.add(
        _legend(
            statuses,
            10,
            height - LEGEND_ROW / 2,
            [plain(s, LABEL_CHARS) for s in statuses],
            row_width=width - 20,
        )
    )
    return drawing
