"""Pipeline integrity (was the audit pipeline itself intact?) and changes since a baseline."""

from __future__ import annotations

from collections import defaultdict

from reportlab.platypus import Flowable, PageBreak, Paragraph

from trails.report.model import MAX_LISTED_CHANGES, Change, IntegrityFinding, IntegrityKind, Report
from trails.report.pdf import styles
from trails.report.pdf.blocks import host_cell, when, when_cell
from trails.report.pdf.document import Heading
from trails.report.pdf.tables import data_table, shown_of, status_badge
from trails.report.pdf.text import TEXT_CHARS, markup

MAX_FINDING_ROWS = 100  # per kind of finding
MAX_CHANGE_ROWS = 50  # per kind of change

KIND_TITLES = {
    IntegrityKind.OUTDATED_CONFIG: "Hosts not running the newest signed config",
    IntegrityKind.VERIFICATION_ERROR: "Hosts whose agent refused a release",
    IntegrityKind.EXPIRED_RELEASE: "Hosts running an expired release",
    IntegrityKind.SILENT: "Silent hosts",
    IntegrityKind.CONFIG_HASH_MISMATCH: "Installed config differs from the signed manifest",
    IntegrityKind.NEWER_THAN_SIGNED: "Hosts running a config newer than the signed releases",
    IntegrityKind.NO_INTEGRITY_DATA: "Hosts that sent no integrity data",
    IntegrityKind.MISSING: "Hosts in the inventory that never reported",
}


# Findings that need a host's trails.integrity row; silence is judged from any line, and
# missing hosts from the --inventory.
_FROM_INTEGRITY_ROWS = frozenset(IntegrityKind) - {IntegrityKind.SILENT, IntegrityKind.MISSING}


def _no_finding(kind: IntegrityKind, judged: int, blind: int) -> str:
    """What an empty list means: nothing found, or nothing to look at."""
    if kind not in _FROM_INTEGRITY_ROWS or not blind:
        return "No finding."
    if not judged:
        return f"Cannot be judged: no integrity data received from {blind:,} hosts."
    return (
        f"No finding among the {judged:,} hosts that sent integrity data; no integrity data "
        f"received from {blind:,} hosts."
    )


def integrity(report: Report) -> list[Flowable]:
    out: list[Flowable] = [
        Heading("Pipeline integrity", styles.H1, 0, "integrity"),
        Paragraph(
            "Evidence that the audit pipeline itself was intact: every host should run the "
            "newest signed config of its namespace, verify releases without error, report "
            "within the silence limit, and have the installed config the manifest signed.",
            styles.BODY,
        ),
    ]
    by_kind: dict[IntegrityKind, list[IntegrityFinding]] = defaultdict(list)
    for finding in report.integrity:
        by_kind[finding.kind].append(finding)
    blind = len(by_kind.get(IntegrityKind.NO_INTEGRITY_DATA, []))
    missing = len(by_kind.get(IntegrityKind.MISSING, []))
    judged = len(report.hosts) - blind - missing
    for kind in IntegrityKind:
        findings = by_kind.get(kind, [])
        if kind is IntegrityKind.MISSING and not findings:
            continue  # no --inventory, or every host in it reported
        out.append(
            Heading(
                f"{KIND_TITLES[kind]} ({len(findings):,})", styles.H2, 1, f"integrity-{kind.value}"
            )
        )
        if not findings:
            out.append(Paragraph(_no_finding(kind, judged, blind), styles.BODY))
            continue
        rows = [
            [
                host_cell(report, f.host_uuid),
                markup(f.namespace),
                when_cell(f.observed),
                markup(f.detail, TEXT_CHARS),
            ]
            for f in findings[:MAX_FINDING_ROWS]
        ]
        out.append(
            data_table(["Host", "Namespace", "Observed", "Detail"], rows, [3.9, 2, 1.5, 4.6])
        )
        note = shown_of(len(rows), len(findings), "findings")
        if note is not None:
            out.append(note)
    out.append(PageBreak())
    return out


def _changes(
    report: Report, title: str, key: str, changes: tuple[Change, ...], total: int
) -> list[Flowable]:
    out: list[Flowable] = [Heading(f"{title} ({total:,})", styles.H2, 1, key)]
    if not changes:
        return [*out, Paragraph("None.", styles.BODY)]
    rows = [
        [
            host_cell(report, c.host_uuid),
            markup(c.control_id),
            status_badge(c.before) if c.before else "-",
            status_badge(c.after) if c.after else "-",
        ]
        for c in changes[:MAX_CHANGE_ROWS]
    ]
    out.append(data_table(["Host", "Control", "Before", "Now"], rows, [4, 4, 1.5, 1.5]))
    note = shown_of(
        len(rows), total, "changes", f"report.json lists the first {MAX_LISTED_CHANGES:,}"
    )
    return out + ([note] if note is not None else [])


def baseline(report: Report) -> list[Flowable]:
    diff = report.baseline
    if diff is None:
        return []
    out: list[Flowable] = [
        Heading("Changes since the baseline", styles.H1, 0, "baseline"),
        Paragraph(
            f"Baseline report fingerprint {markup(diff.baseline_fingerprint, 64)}, generated "
            f"{when(diff.baseline_generated_at)}.",
            styles.BODY,
        ),
    ]
    for title, anchor, kind, changes in (
        ("Newly failing", "baseline-failing", "newly_failing", diff.newly_failing),
        ("Newly passing", "baseline-passing", "newly_passing", diff.newly_passing),
        ("Added", "baseline-added", "added", diff.added),
        ("Removed", "baseline-removed", "removed", diff.removed),
    ):
        out += _changes(report, title, anchor, changes, diff.totals.get(kind, 0))
    out.append(PageBreak())
    return out
