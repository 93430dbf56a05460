"""Cover page and executive summary."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer, Table, TableStyle

from trails.models.evidence import ReportStatus
from trails.report.model import GroupRollup, Report, RequirementRollup
from trails.report.pdf import charts, styles
from trails.report.pdf.blocks import PASS_RATE_DEFINITION, counts_line, key_values, pct, when
from trails.report.pdf.document import Heading
from trails.report.pdf.sections.provenance import UNVERIFIED_BANNER
from trails.report.pdf.tables import data_table, shown_of
from trails.report.pdf.text import TEXT_CHARS, markup, whole

MAX_COVER_NAMESPACES = 12
TOP_FAILING_CONTROLS = 10

SIMULATED_BANNER = "SIMULATED DATA - not evidence about real hosts"


def cover(report: Report) -> list[Flowable]:
    meta = report.metadata
    scope = report.scope
    story: list[Flowable] = [
        Spacer(1, 25 * mm),
        Heading(meta.title, styles.TITLE, 0, "cover", limit=120),
        Paragraph("Compliance evidence from osquery results (trails)", styles.SUBTITLE),
    ]
    if meta.simulated:
        story.append(Paragraph(SIMULATED_BANNER, styles.BANNER_STYLE))
    unverified = sum(1 for r in scope.releases if not r.verified)
    if unverified:
        story.append(
            Paragraph(
                f"{UNVERIFIED_BANNER} - {unverified} of {len(scope.releases)} releases"
                " were read without verifying their signatures",
                styles.BANNER_STYLE,
            )
        )
    namespaces = ", ".join(scope.namespaces[:MAX_COVER_NAMESPACES])
    if len(scope.namespaces) > MAX_COVER_NAMESPACES:
        namespaces += f" and {len(scope.namespaces) - MAX_COVER_NAMESPACES} more"
    story += [
        Spacer(1, 6 * mm),
        key_values(
            [
                ("Period", f"{when(meta.since)} to {when(meta.until)} (UTC)"),
                ("Newest evidence", when(meta.newest_evidence)),
                *(
                    [("Left out", f"{meta.lines_after_until:,} input lines dated after the period")]
                    if meta.lines_after_until
                    else []
                ),
                *(
                    [("Report date", when(meta.generated_at))]
                    if meta.generated_at != meta.newest_evidence
                    else []
                ),
                ("Namespaces", markup(namespaces or "-", TEXT_CHARS)),
                ("Frameworks", markup(", ".join(scope.frameworks) or "-", TEXT_CHARS)),
                ("Hosts", f"{len(report.hosts):,}"),
                ("Controls", f"{len(report.controls):,}"),
                ("Results", counts_line(report.summary)),
                (
                    "Report fingerprint",
                    f'<font name="{styles.FONT_MONO}">{report.fingerprint}</font>',
                ),
                ("Tool", f"trails {markup(meta.tool_version, 40)}"),
            ]
        ),
        Spacer(1, 6 * mm),
        Paragraph(
            "The report fingerprint is the SHA-256 of the canonical JSON report without its "
            "<i>fingerprint</i> field; the JSON report carries the same value. A signed report "
            "envelope (<i>trails verify-report</i>) proves that none of the report files was "
            "altered after signing.",
            styles.NOTE,
        ),
        PageBreak(),
    ]
    return story


def _headline(report: Report) -> Table:
    failing_controls = sum(1 for c in report.control_rollups if c.status is ReportStatus.FAIL)
    failing_hosts = report.failing_hosts
    figures = [
        ("pass rate", pct(report.summary.pass_rate)),
        (f"of {len(report.control_rollups):,} controls failing", f"{failing_controls:,}"),
        (f"of {len(report.hosts):,} hosts failing", f"{failing_hosts:,}"),
        ("pipeline findings", f"{len(report.integrity):,}"),
    ]
    big = styles.TITLE.clone("figure", fontSize=18, leading=22, spaceAfter=0)
    cells = [
        [Paragraph(value, big) for _, value in figures],
        [Paragraph(markup(label), styles.NOTE) for label, _ in figures],
    ]
    table = Table(cells, colWidths=[styles.FRAME_WIDTH / len(figures)] * len(figures))
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), styles.ZEBRA)]))
    return table


def _counts(group: GroupRollup | RequirementRollup) -> dict[str, int]:
    return {s.value: group.counts[s] for s in ReportStatus}


def _worst_first(groups: list[GroupRollup]) -> list[GroupRollup]:
    return sorted(groups, key=lambda g: (-g.counts[ReportStatus.FAIL], -g.counts.total, g.name))


def executive_summary(report: Report) -> list[Flowable]:
    story: list[Flowable] = [
        Heading("Executive summary", styles.H1, 0, "summary"),
        _headline(report),
        Paragraph(whole(PASS_RATE_DEFINITION), styles.NOTE),
        Spacer(1, 2 * mm),
        Paragraph(
            f"{len(report.hosts):,} hosts were evaluated against {len(report.controls):,} "
            f"controls between {when(report.metadata.since)} and {when(report.metadata.until)}. "
            f"Results: {counts_line(report.summary)}.",
            styles.BODY,
        ),
        Heading("Status of every host and control", styles.H2, 1, "summary-status"),
        charts.status_pie({s.value: report.summary[s] for s in ReportStatus}),
    ]
    if report.namespaces:
        story += [
            Heading("By namespace (most failures first)", styles.H2, 1, "summary-namespaces"),
            charts.stacked_bars(
                [(g.name, _counts(g)) for g in _worst_first(list(report.namespaces))]
            ),
        ]
    pci = [r for r in report.requirements if r.framework.startswith("pci")]
    automated = [
        r for r in (pci or list(report.requirements)) if r.status is not ReportStatus.MANUAL
    ]
    if automated:
        automated.sort(key=lambda r: (-r.counts[ReportStatus.FAIL], -r.counts.total))
        story += [
            Heading("By requirement (most failures first)", styles.H2, 1, "summary-requirements"),
            charts.stacked_bars(
                [(f"{r.framework} {r.requirement}", _counts(r)) for r in automated]
            ),
        ]
    if len(report.trend) > 1:
        story += [
            Heading("Trend per day", styles.H2, 1, "summary-trend"),
            charts.day_trend(
                [
                    (p.day.isoformat(), {s.value: p.counts[s] for s in ReportStatus})
                    for p in report.trend
                ]
            ),
        ]
    story += _top_failing(report)
    if report.baseline is not None:
        diff = report.baseline
        story += [
            Heading("Changes since the baseline", styles.H2, 1, "summary-baseline"),
            Paragraph(
                f"Against baseline {markup(diff.baseline_fingerprint[:16], 16)}... "
                f"({when(diff.baseline_generated_at)}): "
                f"<b>{diff.totals.get('newly_failing', 0):,}</b> newly failing, "
                f"<b>{diff.totals.get('newly_passing', 0):,}</b> newly passing, "
                f"<b>{diff.totals.get('added', 0):,}</b> added and "
                f"<b>{diff.totals.get('removed', 0):,}</b> removed "
                "(host, control) results, listed in <i>Changes since the baseline</i>.",
                styles.BODY,
            ),
        ]
    story.append(PageBreak())
    return story


def _top_failing(report: Report) -> list[Flowable]:
    failing = sorted(
        (c for c in report.control_rollups if c.failing_host_count),
        key=lambda c: (-c.failing_host_count, c.control_id),
    )
    if not failing:
        return [Paragraph("No control failed on any host in the window.", styles.BODY)]
    rows = []
    for rollup in failing[:TOP_FAILING_CONTROLS]:
        info = report.controls_by_id.get(rollup.control_id)
        rows.append(
            [
                markup(rollup.control_id),
                whole(info.title) if info else "",
                whole(info.severity) if info else "",
                f"{rollup.failing_host_count:,}",
            ]
        )
    story: list[Flowable] = [
        Heading("Controls failing on the most hosts", styles.H2, 1, "summary-top"),
        data_table(["Control", "Title", "Severity", "Failing hosts"], rows, [3, 6, 1.3, 1.3]),
    ]
    note = shown_of(len(rows), len(failing), "failing controls")
    if note is not None:
        story.append(note)
    return story
