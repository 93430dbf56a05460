"""Assemble a ``Report`` from ingested results, the catalog and the signed releases."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trails import __version__
from trails.errors import UsageError
from trails.report.assemble import assemble
from trails.report.baseline import Baseline, diff, load_baseline
from trails.report.catalog import ReportCatalog
from trails.report.engine.choose import Reader
from trails.report.engine.interface import Engine
from trails.report.evaluate import (
    Window,
    add_missing_hosts,
    default_window,
    evaluate_results,
    lines_after,
    load_hosts,
    newest_line,
    newest_time,
    prepare,
    trend,
)
from trails.report.ingest import Ingested, ingest
from trails.report.integrity import integrity_findings, load_status, missing_findings
from trails.report.inventory import InventoryEntry, missing_hosts
from trails.report.model import (
    RESULTS_FILE,
    ConfigVersionSeen,
    ControlInfo,
    ExceptionSeen,
    Host,
    Metadata,
    ReleaseIndexSeen,
    Report,
    Scope,
    Signer,
)
from trails.report.releases import LoadedReleases, ReleaseInfo
from trails.report.rollup import exception_use

DEFAULT_TITLE = "Fleet compliance evidence"
# How far ahead of the report's clock a line may be dated and still set the default
# --until: a host's clock a little fast, not one in another year.
CLOCK_SKEW = timedelta(minutes=5)


# Releases given as a loader are verified at the window's end, known only after reading.
ReleaseSource = Sequence[ReleaseInfo] | Callable[[datetime], LoadedReleases]


@dataclass(frozen=True)
class ReportOptions:
    # The window's end when --until is not given; None: the newest input line (so the
    # same input gives the same report), the clock only when there is no input line.
    now: datetime | None = None
    since: datetime | None = None
    until: datetime | None = None
    silent_after: timedelta = timedelta(hours=24)
    generated_at: datetime | None = None  # default: the newest input line
    title: str = DEFAULT_TITLE
    framework: str | None = None  # --framework: narrow the scope to this framework
    # --inventory: the hosts that should report; those never seen are listed as missing
    inventory: tuple[InventoryEntry, ...] | None = None


def _controls(
    scoped: ReportCatalog, catalog: ReportCatalog, seen: set[str]
) -> tuple[ControlInfo, ...]:
    """The controls in scope plus any a host reported (described from the whole catalog)."""
    known = {c.id: c for c in scoped.controls}
    for cid in seen - known.keys():
        known[cid] = catalog.control(cid) or ControlInfo(
            id=cid, title="(not in the control catalog)"
        )
    return tuple(known[c] for c in sorted(known))


def _scope(
    hosts: Sequence[Host],
    status: dict[str, dict[str, str]],
    releases: Sequence[ReleaseInfo],
    controls: Sequence[ControlInfo],
    *,
    release_index: ReleaseIndexSeen | None,
    framework: str | None,
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
        frameworks=(framework,)
        if framework is not None
        else tuple(sorted({r.framework for c in controls for r in c.refs})),
        releases=tuple(i.release for i in releases),
        config_versions=tuple(
            ConfigVersionSeen(ns, cv, n) for (ns, cv), n in sorted(pairs.items())
        ),
        signers=tuple(Signer(s, f) for s, f in sorted(signers) if s or f),
        commits=tuple(sorted(commits)),
        release_index=release_index,
        from_releases=bool(releases),
        framework=framework,
    )


def _exceptions(
    releases: Sequence[ReleaseInfo], use: Mapping[tuple[str, str], int], window: Window
) -> tuple[ExceptionSeen, ...]:
    """Every exception the releases ship, in force or not, with the failures it waived."""
    return tuple(
        ExceptionSeen(
            namespace=info.release.namespace,
            exception=e,
            in_force=e.in_force(window.until),
            waived=use.get((info.release.namespace, e.id), 0),
            verified=info.release.verified,
        )
        for info in sorted(releases, key=lambda i: i.release.namespace)
        for e in info.exceptions
    )


def report_window(engine: Engine, options: ReportOptions) -> Window:
    """--since/--until, --until defaulting to ``options.now``, else the newest input line
    not dated after the clock (``CLOCK_SKEW`` allowed)."""
    clock = datetime.now(UTC).replace(microsecond=0)
    until = options.until or options.now or newest_line(engine, clock + CLOCK_SKEW)
    if until is None:  # no input line at all: nothing to be deterministic about
        until = clock
    window = default_window(until, options.since, until)
    if window.since >= window.until:
        defaulted = options.until is None and options.now is None
        raise UsageError(
            "--since must be before --until"
            + (
                f" (it defaults to the newest input line, {window.until:%Y-%m-%dT%H:%M:%SZ})"
                if defaulted
                else ""
            )
        )
    return window


def build_report(
    ingested: Ingested,
    catalog: ReportCatalog,
    releases: ReleaseSource,
    options: ReportOptions,
    baseline: Baseline | None = None,
    *,
    release_index: ReleaseIndexSeen | None = None,
    results_path: Path | None = None,
    cleanup: Callable[[], None] | None = None,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> Report:
    """The report of the ingested ``rows``; the results file goes to ``results_path``;
    ``cleanup`` releases the engine when the report's results are closed; ``on_stage``
    hears when the evaluation, then the rollups and results file, start."""
    engine = ingested.engine
    window = report_window(engine, options)
    if not isinstance(releases, Sequence):
        releases, release_index = releases(window.until)
    scoped = catalog.scoped(
        {c for i in releases for c in i.controls} if releases else None, options.framework
    )
    seen = load_hosts(engine, window)
    missing = missing_hosts(options.inventory or (), seen)
    add_missing_hosts(engine, missing)
    hosts = tuple(sorted(seen + missing, key=lambda h: h.host_uuid))
    prepare(engine, window)
    only = None if options.framework is None else {c.id for c in scoped.controls}
    on_stage("evaluating")
    evaluate_results(engine, releases, window, {c.id for c in catalog.controls}, only)
    on_stage("rollups and " + RESULTS_FILE)
    status = load_status(engine, window)
    reported = {c for (c,) in engine.rows("SELECT DISTINCT control_id FROM results")}
    controls = _controls(scoped, catalog, reported)
    newest = newest_time(engine, window)
    use = exception_use(engine)
    return assemble(
        engine,
        hosts=hosts,
        controls=controls,
        specs=scoped.requirements,
        framework=options.framework,
        results_path=results_path,
        cleanup=cleanup,
        metadata=Metadata(
            title=options.title,
            generated_at=options.generated_at or newest or window.until,
            since=window.since,
            until=window.until,
            simulated=ingested.simulated,
            tool_version=__version__,
            newest_evidence=newest,
            lines_after_until=lines_after(engine, window),
        ),
        scope=_scope(
            seen,
            status,
            releases,
            controls,
            release_index=release_index,
            framework=options.framework,
        ),
        trend=trend(engine, window),
        integrity=tuple(
            sorted(
                integrity_findings(seen, status, releases, window, options.silent_after)
                + missing_findings(missing),
                key=lambda f: (f.kind.value, f.host_uuid),
            )
        ),
        ingest=ingested.stats,
        baseline=None if baseline is None else diff(engine, baseline),
        exceptions=_exceptions(releases, use, window),
    )


def report_from_files(
    results: Sequence[str],
    catalog: ReportCatalog,
    releases: ReleaseSource,
    options: ReportOptions,
    baseline: Path | None = None,
    *,
    on_stage: Callable[[str], None] = lambda stage: None,
    release_index: ReleaseIndexSeen | None = None,
    results_path: Path | None = None,
    read: Reader = ingest,
) -> Report:
    """Ingest ``results`` (paths or globs) with ``read`` (an engine, DuckDB by default:
    ``trails.report.engine.choose``) in a scratch directory and build the report.

    The report streams its results from that engine, which is closed (and the scratch
    directory removed) by
    ``report.results.close()`` (or when the report is garbage).

    ``releases`` may be a loader, called with the window's end once the input is read
    (``--until`` defaults to the newest input line); it returns the signed index too.

    ``on_stage`` hears each stage after the reading: the evaluation, then the rollups and
    results file (``build_report``).
    """
    baseline_doc = load_baseline(baseline) if baseline is not None else None
    scratch = Path(tempfile.mkdtemp(prefix="trails-report-"))

    def cleanup() -> None:
        ingested.engine.close()
        shutil.rmtree(scratch, ignore_errors=True)

    try:
        ingested = read(results, scratch)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    try:
        if baseline_doc is not None:
            baseline_doc.load(ingested.engine)
        return build_report(
            ingested,
            catalog,
            releases,
            options,
            baseline_doc,
            release_index=release_index,
            results_path=results_path,
            cleanup=cleanup,
            on_stage=on_stage,
        )
    except BaseException:
        cleanup()
        raise
