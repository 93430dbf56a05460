"""Assemble a ``Report`` from ingested results, the catalog and the signed releases."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from trails import __version__
from trails.errors import UsageError
from trails.report.baseline import diff, load_baseline
from trails.report.catalog import ReportCatalog
from trails.report.evaluate import (
    default_window,
    evaluate_results,
    load_hosts,
    newest_time,
    prepare,
    status_counts,
    trend,
)
from trails.report.ingest import Ingested, ingest
from trails.report.integrity import integrity_findings, load_status
from trails.report.model import (
    ConfigVersionSeen,
    ControlInfo,
    Host,
    Metadata,
    ReleaseIndexSeen,
    Report,
    Scope,
    Signer,
)
from trails.report.releases import ReleaseInfo
from trails.report.rollup import control_rollups, group_rollups, requirement_rollups

DEFAULT_TITLE = "Fleet compliance evidence"


@dataclass(frozen=True)
class ReportOptions:
    now: datetime  # the default end of the window when --until is not given
    since: datetime | None = None
    until: datetime | None = None
    silent_after: timedelta = timedelta(hours=24)
    generated_at: datetime | None = None  # default: the newest input line
    title: str = DEFAULT_TITLE


def _controls(catalog: ReportCatalog, seen: set[str]) -> tuple[ControlInfo, ...]:
    known = {c.id: c for c in catalog.controls}
    for cid in seen - known.keys():
        known[cid] = ControlInfo(id=cid, title="(not in the control catalog)")
    return tuple(known[c] for c in sorted(known))


def _scope(
    hosts: Sequence[Host],
    status: dict[str, dict[str, str]],
    releases: Sequence[ReleaseInfo],
    controls: Sequence[ControlInfo],
    release_index: ReleaseIndexSeen | None,
) -> Scope:
    pairs: dict[tuple[str, str], int] = {}
    for host in hosts:
        key = (host.namespace, host.config_version)
        pairs[key] = pairs.get(key, 0) + 1
    signers = {(i.release.signer_subject, i.release.signer_fingerprint) for i in releases}
    signers |= {
        (r.get("signer_subject", ""), r.get("signer_fingerprint", "")) for r in status.values()
    }
    if release_index is not None:
        signers.add((release_index.signer_subject, release_index.signer_fingerprint))
    commits = {i.release.source_commit for i in releases}
    if not releases:  # config_version ends with the commit's short sha
        commits = {cv.rsplit("-", 1)[-1] for _, cv in pairs if "-" in cv}
    return Scope(
        namespaces=tuple(
            sorted({h.namespace for h in hosts} | {i.release.namespace for i in releases})
        ),
        frameworks=tuple(sorted({r.framework for c in controls for r in c.refs})),
        releases=tuple(i.release for i in releases),
        config_versions=tuple(
            ConfigVersionSeen(ns, cv, n) for (ns, cv), n in sorted(pairs.items())
        ),
        signers=tuple(Signer(s, f) for s, f in sorted(signers) if s or f),
        commits=tuple(sorted(commits)),
        release_index=release_index,
    )


def build_report(
    ingested: Ingested,
    catalog: ReportCatalog,
    releases: Sequence[ReleaseInfo],
    options: ReportOptions,
    baseline: dict[str, Any] | None = None,
    *,
    release_index: ReleaseIndexSeen | None = None,
) -> Report:
    window = default_window(options.until, options.since, options.now)
    if window.since >= window.until:
        raise UsageError("--since must be before --until")
    con = ingested.con
    hosts = load_hosts(con, window)
    prepare(con, window)
    results = evaluate_results(con, releases, window)
    status = load_status(con, window)
    controls = _controls(catalog, {r.control_id for r in results})
    generated = options.generated_at or newest_time(con, window) or window.until
    return Report(
        metadata=Metadata(
            title=options.title,
            generated_at=generated,
            since=window.since,
            until=window.until,
            simulated=ingested.simulated,
            tool_version=__version__,
        ),
        scope=_scope(hosts, status, releases, controls, release_index),
        summary=status_counts(results),
        hosts=hosts,
        controls=controls,
        results=results,
        control_rollups=control_rollups(controls, results),
        requirements=requirement_rollups(controls, catalog.requirements, results),
        namespaces=group_rollups(hosts, results, lambda h: h.namespace),
        owners=group_rollups(hosts, results, lambda h: h.owner),
        trend=trend(con, window),
        integrity=integrity_findings(hosts, status, releases, window, options.silent_after),
        ingest=ingested.stats,
        baseline=None if baseline is None else diff(baseline, results),
    )


def report_from_files(
    results: Sequence[str],
    catalog: ReportCatalog,
    releases: Sequence[ReleaseInfo],
    options: ReportOptions,
    baseline: Path | None = None,
    *,
    on_stage: Callable[[str], None] = lambda stage: None,
    release_index: ReleaseIndexSeen | None = None,
) -> Report:
    """Ingest ``results`` (paths or globs) in a scratch DuckDB and build the report.

    ``on_stage`` hears when the evaluation starts, after the (longer) reading.
    """
    baseline_doc = load_baseline(baseline) if baseline is not None else None
    with tempfile.TemporaryDirectory(prefix="trails-report-") as scratch:
        ingested = ingest(results, Path(scratch))
        on_stage("evaluating")
        try:
            return build_report(
                ingested, catalog, releases, options, baseline_doc, release_index=release_index
            )
        finally:
            ingested.con.close()
