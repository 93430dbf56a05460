"""Scope and provenance: which namespaces, signed releases, signers and commits produced
the evidence, and which config versions the hosts actually ran."""

from __future__ import annotations

from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer

from trails.models.evidence import ReportStatus
from trails.report.model import GroupRollup, ReleaseIndexSeen, Report
from trails.report.pdf import styles
from trails.report.pdf.blocks import pct, when
from trails.report.pdf.document import Heading
from trails.report.pdf.tables import data_table, shown_of
from trails.report.pdf.text import markup

MAX_ROWS = 200  # per provenance table
UNVERIFIED_BANNER = "RELEASES NOT VERIFIED"
_VERIFIED = '<font color="#2f9e44"><b>verified</b></font>'
_NOT_VERIFIED = '<font color="#b42318"><b>NOT VERIFIED</b></font>'


def _mono(value: str, limit: int = 80) -> str:
    return f'<font name="{styles.FONT_MONO}">{markup(value, limit)}</font>'


def _stamp(t: datetime | None) -> str:
    return when(t).replace("T", "<br/>")


def _groups(title: str, key: str, label: str, groups: tuple[GroupRollup, ...]) -> list[Flowable]:
    rows = [
        [
            markup(g.name or "(none)"),
            f"{g.hosts:,}",
            pct(g.counts.pass_rate),
            f"{g.counts[ReportStatus.FAIL]:,}",
            f"{g.counts[ReportStatus.WAIVED]:,}",
            f"{g.counts[ReportStatus.ERROR]:,}",
            f"{g.counts[ReportStatus.NO_EVIDENCE] + g.counts[ReportStatus.STALE]:,}",
        ]
        for g in groups[:MAX_ROWS]
    ]
    story: list[Flowable] = [
        Heading(title, styles.H2, 1, key),
        data_table(
            [label, "Hosts", "Pass rate", "Fail", "Waived", "Error", "No evidence / stale"],
            rows,
            [5, 1.0, 1.1, 0.9, 1.1, 0.9, 1.7],
        )
        if rows
        else Paragraph("None.", styles.BODY),
    ]
    note = shown_of(len(rows), len(groups), title.lower())
    return story + ([note] if note is not None else [])


def _index_table(index: ReleaseIndexSeen) -> Flowable:
    rows = [
        ["Releases listed", f"{index.releases:,}"],
        ["Created / expires", f"{when(index.created)} / {when(index.expires)}"],
        ["Signer", f"{markup(index.signer_subject)}<br/>{_mono(index.signer_fingerprint, 64)}"],
        ["SHA-256 of index.dsse.json", _mono(index.envelope_sha256, 64)],
    ]
    return data_table(["Signed release index", ""], rows, [1, 3])


def story(report: Report) -> list[Flowable]:
    scope = report.scope
    newest = {r.namespace: r.config_version for r in scope.releases}
    out: list[Flowable] = [
        Heading("Scope and provenance", styles.H1, 0, "scope"),
        Paragraph(
            "Every verdict in this report traces back to a host, a query, a time and the signed "
            "config version that scheduled the query. The tables below name the signed releases "
            "the report was checked against and the config versions hosts reported running.",
            styles.BODY,
        ),
    ]
    out += _groups("Namespaces", "scope-namespaces", "Namespace", report.namespaces)

    releases = [
        [
            f"{markup(r.namespace)}<br/>{_VERIFIED if r.verified else _NOT_VERIFIED}",
            f"{r.version}<br/>{_mono(r.config_version)}",
            f"{_stamp(r.created)}<br/>expires<br/>{_stamp(r.expires)}",
            f"{markup(r.signer_subject)}<br/>{_mono(r.signer_fingerprint, 64)}",
            f"{markup(r.source_repo)}<br/>{_mono(r.source_commit, 64)}",
        ]
        for r in scope.releases[:MAX_ROWS]
    ]
    out.append(Heading("Signed releases", styles.H2, 1, "scope-releases"))
    unverified = sum(1 for r in scope.releases if not r.verified)
    if unverified:
        out.append(Paragraph(UNVERIFIED_BANNER, styles.BANNER_STYLE))
        out.append(
            Paragraph(
                f"<b>{unverified} of {len(scope.releases)} releases were read without "
                "verification</b> (--insecure-unverified-releases): their signatures, "
                "certificates and file hashes were not checked against the pinned roots, so "
                "the config versions and hashes the pipeline-integrity findings compare hosts "
                "against may have been altered.",
                styles.BODY,
            )
        )
    elif scope.releases:
        out.append(
            Paragraph(
                "Each release was verified before use: signature, certificate chain to the "
                "pinned roots, signing EKU, namespace authorisation and file hashes, at the "
                "end of the report period; and together they are exactly the set the signed "
                "release index lists (none deleted, replaced by an older one, or added).",
                styles.BODY,
            )
        )
    if scope.release_index is not None:
        out += [_index_table(scope.release_index), Spacer(1, 3 * mm)]
    out.append(
        data_table(
            ["Namespace / check", "Version", "Created", "Signer certificate", "Source commit"],
            releases,
            [2, 3, 2, 3, 3],
        )
        if releases
        else Paragraph("No signed releases were given (--releases).", styles.BODY)
    )

    versions = [
        [
            markup(c.namespace),
            _mono(c.config_version),
            f"{c.hosts:,}",
            "newest signed"
            if newest.get(c.namespace) == c.config_version
            else (
                '<font color="#d9480f"><b>not the newest</b></font>'
                if c.namespace in newest
                else "-"
            ),
        ]
        for c in scope.config_versions[:MAX_ROWS]
    ]
    out.append(Heading("Config versions reported by hosts", styles.H2, 1, "scope-versions"))
    out.append(
        data_table(["Namespace", "Config version", "Hosts", "Release"], versions, [3, 4, 1, 2])
        if versions
        else Paragraph("No host reported a config version.", styles.BODY)
    )
    note = shown_of(len(versions), len(scope.config_versions), "config versions")
    if note is not None:
        out.append(note)

    signers = [[markup(s.subject), _mono(s.fingerprint, 64)] for s in scope.signers[:MAX_ROWS]]
    out.append(Heading("Signer certificates", styles.H2, 1, "scope-signers"))
    out.append(
        data_table(["Subject", "SHA-256 of the certificate (DER)"], signers, [1, 1])
        if signers
        else Paragraph("None.", styles.BODY)
    )
    commits = [[_mono(c, 64)] for c in scope.commits[:MAX_ROWS]]
    out.append(Heading("Policy commits", styles.H2, 1, "scope-commits"))
    out.append(
        data_table(["Git commit"], commits, [1]) if commits else Paragraph("None.", styles.BODY)
    )
    out += _groups("Owners", "scope-owners", "Owner", report.owners)
    out.append(PageBreak())
    return out
