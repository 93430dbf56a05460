"""``trails report``: fleet osquery results -> CIS / PCI DSS evidence files."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click
import duckdb

from trails.commands.common import emit_json, refusal
from trails.errors import CheckFailed, SourceError, Terminated, UsageError
from trails.fileio import Staging, atomic_write, shared_mode

if TYPE_CHECKING:
    from trails.fileio import Writer
from trails.formats.manifest import format_time
from trails.models.duration import GRAMMAR, parse_duration
from trails.models.evidence import ReportStatus
from trails.report.build import DEFAULT_TITLE, ReleaseSource, ReportOptions, report_from_files
from trails.report.catalog import ReportCatalog, load_report_catalog
from trails.report.engine.choose import DEFAULT_SPARK_MASTER, ENGINES, reader
from trails.report.ingest import MAX_TIME, MEMORY_LIMIT
from trails.report.inventory import load_inventory
from trails.report.model import FILE_LIST, RESULTS_FILE, IntegrityKind, Metadata, Report
from trails.report.releases import (
    LoadedReleases,
    ReleaseRefused,
    ReleaseTrust,
    load_releases,
)
from trails.report.render import EXTENSIONS, RENDERERS
from trails.sign.report import sign_report
from trails.sign.signer import Signer
from trails.verify.fetch import load_trust_policy

FORMATS = ("json", "csv", "junit", "oscal", "pdf")
ENVELOPE = "report.dsse.json"
# Every file a report run may write: one run's set replaces the earlier run's (its files
# named in FILE_LIST), so --out never holds files of two runs (an earlier report.json
# naming another results file's digest, an envelope over files that are gone).
OUTPUTS = frozenset({RESULTS_FILE, ENVELOPE, *(f"report.{e}" for e in EXTENSIONS.values())})
_OUT_HINT = "; check --out"
MAX_DURATION = timedelta(days=3650)
_FAIL_ON = {
    "fail": (ReportStatus.FAIL,),
    "error": (ReportStatus.FAIL, ReportStatus.ERROR, ReportStatus.NO_EVIDENCE, ReportStatus.STALE),
}


def _duration(text: str, option: str) -> timedelta:
    duration = parse_duration(text)
    if duration is None:
        raise UsageError(f"{option} {text!r}: give {GRAMMAR}")
    if duration > MAX_DURATION:  # it is taken from times as early as 1970
        raise UsageError(f"{option} {text!r}: give at most {MAX_DURATION.days}d")
    return duration


def parse_when(text: str | None, option: str) -> datetime | None:
    """RFC 3339 (``2026-11-23T12:00:00Z``, any offset) or a date (midnight UTC), from 1970
    to the end of 9999: the times a report can print (and an input line can carry)."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a time like 2026-11-23T12:00:00Z") from None
    except OverflowError:  # an offset that moves it past year 1 or 9999
        when = datetime.min.replace(tzinfo=UTC)
    if not 0 <= when.timestamp() <= MAX_TIME:
        raise UsageError(f"{option} {text!r}: give a time from 1970 to 9999")
    return when


def _formats(values: tuple[str, ...]) -> tuple[str, ...]:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()] or ["json"]
    unknown = sorted(set(names) - set(RENDERERS))
    if unknown:
        raise UsageError(
            f"--format {', '.join(unknown)}: choose from {', '.join(sorted(RENDERERS))}"
        )
    return tuple(dict.fromkeys(names))


def _write(path: Path, data: bytes | Writer) -> None:
    """Into the staging directory: the set moves into --out once every file is written."""
    atomic_write(path, data, shared_mode(), hint=_OUT_HINT)


def _catalog(packs: Path | None) -> ReportCatalog:
    """A bad pack is a bad option here (exit 2), not a failed check: exit 1 means
    --fail-on matched, which a CI job reads as findings."""
    try:
        return ReportCatalog() if packs is None else load_report_catalog(packs)
    except SourceError as exc:
        raise UsageError(f"--packs: {exc}; give a control packs directory") from None


@click.command("report")
@click.option(
    "--results",
    "results",
    multiple=True,
    required=True,
    metavar="PATH",
    help="osquery results log(s), plain or gzip: files, quoted globs, or a directory read"
    " whole (e.g. partitioned by day, dt=2026-12-01/...); with --engine spark also URLs"
    " its Hadoop connectors read (s3a://bucket/osquery/). Repeatable.",
)
@click.option(
    "--packs",
    type=click.Path(file_okay=False, path_type=Path),
    help="Control packs directory (titles, framework requirements, manual controls).",
)
@click.option(
    "--releases",
    type=click.Path(file_okay=False, path_type=Path),
    help="The signed dist/ tree (releases + index.dsse.json): newest config per namespace, "
    "manifest hashes (needs --roots).",
)
@click.option(
    "--roots",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM root CA certificate(s) every release under --releases must chain to.",
)
@click.option(
    "--crl",
    "crls",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CRL (PEM or DER) to check the release signers against. Repeatable.",
)
@click.option(
    "--insecure-unverified-releases",
    "insecure_unverified",
    is_flag=True,
    help="Accept --releases without --roots, or built but unsigned releases, and skip the "
    "signed release index; the report marks them NOT VERIFIED.",
)
@click.option("--since", metavar="TIME", help="Window start [default: --until minus 24h].")
@click.option(
    "--until",
    metavar="TIME",
    help="Window end, RFC 3339 UTC [default: the newest input line, so the same input "
    "gives the same report].",
)
@click.option(
    "--framework",
    metavar="NAME",
    help="Only this framework's controls and requirements (e.g. cis-ubuntu-22.04; needs "
    "--packs). The scope is otherwise what the releases schedule.",
)
@click.option(
    "--silent-after",
    default="24h",
    show_default=True,
    metavar="DURATION",
    help="Flag hosts that sent nothing for this long (90m, 24h, 7d).",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A previous JSON report: list newly failing/passing, added, removed.",
)
@click.option(
    "--inventory",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or JSON of the hosts that should report (host_uuid or hostname, namespace, "
    "owner): those never seen are listed as missing, with no_evidence for every control.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="FORMAT",
    help=f"Output format: {', '.join(FORMATS)}. Repeatable or comma-separated [default: json].",
)
@click.option(
    "--out",
    "out_dir",
    default="trails-report",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the report files. They replace an earlier report's files there as "
    "one set, only once all are written; that report's files this run does not write are "
    "removed (those it listed in .trails-report-files, no other file).",
)
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="Report title.")
@click.option(
    "--generated-at",
    metavar="TIME",
    help="Report date [default: the newest input line in the window, never the clock].",
)
@click.option(
    "--fail-on",
    type=click.Choice(sorted(_FAIL_ON)),
    help="Exit 1 if any result fails (fail), or fails or could not be judged (error).",
)
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign the report files with this report-signing key (needs --sign-chain).",
)
@click.option(
    "--sign-chain",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM chain of the report signer, leaf first.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="duckdb",
    show_default=True,
    help="duckdb: embedded, spills to disk under --memory-limit. spark: PySpark "
    "(pip install 'trails[spark]'), local or a cluster (--spark-master); same report.",
)
@click.option(
    "--memory-limit",
    default=MEMORY_LIMIT,
    show_default=True,
    metavar="SIZE",
    help="DuckDB's memory limit (1GB, 512MiB); it spills to a scratch directory beyond it.",
)
@click.option(
    "--spark-master",
    default=DEFAULT_SPARK_MASTER,
    show_default=True,
    metavar="URL",
    help="Spark master for --engine spark (local[*], local[N], spark://host:7077, yarn, k8s://URL).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def report(
    *,
    results: tuple[str, ...],
    packs: Path | None,
    releases: Path | None,
    roots: Path | None,
    crls: tuple[Path, ...],
    insecure_unverified: bool,
    since: str | None,
    until: str | None,
    framework: str | None,
    silent_after: str,
    baseline: Path | None,
    inventory: Path | None,
    formats: tuple[str, ...],
    out_dir: Path,
    title: str,
    generated_at: str | None,
    fail_on: str | None,
    sign_key: Path | None,
    sign_chain: Path | None,
    engine: str,
    memory_limit: str,
    spark_master: str,
    as_json: bool,
) -> None:
    """Turn fleet osquery results into CIS and PCI DSS evidence.

    \b
    Reads osquery filesystem-logger results (event, batch or snapshot lines), keeps the
    newest trails.control.* row per host and control inside the window, and writes
    report.<format> files into --out. Every verdict names its host, time and config.
    Every release under --releases is verified against --roots at the window's end,
    and so is the signed index of them (dist/index.dsse.json): a release that fails, a
    namespace missing from dist/ or not the one the index lists refuses the report (exit 3).
    \b
    Example:
      trails report --results 'logs/*.log*' --packs cis_pci_packs --releases dist \\
                    --roots pki/root.pem --format pdf --format json --out evidence/
    """
    names = _formats(formats)
    read = reader(engine, memory_limit=memory_limit, spark_master=spark_master)
    if (sign_key is None) != (sign_chain is None):
        raise UsageError("--sign-key and --sign-chain go together; give both or neither")
    signer = Signer.load(sign_key, sign_chain) if sign_key and sign_chain else None
    if framework is not None and packs is None:
        raise UsageError("--framework needs --packs DIR (the frameworks come from the packs)")
    options = ReportOptions(
        since=parse_when(since, "--since"),
        until=parse_when(until, "--until"),
        silent_after=_duration(silent_after, "--silent-after"),
        generated_at=parse_when(generated_at, "--generated-at"),
        title=title,
        framework=framework,
        inventory=None if inventory is None else load_inventory(inventory),
    )

    # The reference time is the window's end: --until, else the newest input line, known
    # once the input is read. Option sets that cannot verify are refused before any work.
    def load(at: datetime) -> LoadedReleases:
        return _releases(
            releases=releases,
            roots=roots,
            crls=crls,
            insecure_unverified=insecure_unverified,
            at=at,
            as_json=as_json,
        )

    _check_release_options(releases, roots, crls, insecure_unverified)
    # --until given: verified before any work; else once the input is read.
    early = None if options.until is None else load(options.until)
    source: ReleaseSource = load if early is None else early.infos
    steps = 4 + len(names) + (signer is not None)
    with (
        _stoppable(),
        click.progressbar(
            length=steps, label="trails report", file=sys.stderr, item_show_func=lambda s: s
        ) as bar,
    ):
        catalog = _catalog(packs)
        bar.update(1, "reading results")
        with Staging(out_dir, manifest=FILE_LIST, hint=_OUT_HINT) as staging:
            model = report_from_files(
                results,
                catalog,
                source,
                options,
                baseline,
                on_stage=lambda s: bar.update(1, s),
                release_index=None if early is None else early.signed_index,
                results_path=(results_file := staging.path(RESULTS_FILE)),
                read=read,
            )
            bar.update(1)
            staged = [results_file]
            try:
                for name in names:
                    path = staging.path(f"report.{EXTENSIONS[name]}")
                    bar.update(0, f"writing {path.name}")
                    _write(path, partial(RENDERERS[name], model))
                    staged.append(path)
                    bar.update(1)
            finally:
                model.results.close()
            if signer is not None:
                bar.update(0, "signing")
                envelope = sign_report(staged, signer, fingerprint=model.fingerprint)
                _write(staging.path(ENVELOPE), envelope)
                bar.update(1)
            written = staging.commit(removable=OUTPUTS)
            if staging.unlisted:
                click.echo(
                    f"warning: {out_dir} also holds {', '.join(staging.unlisted)}, not listed"
                    f" in {FILE_LIST} as an earlier report's: left as they were; remove them"
                    " if they are a report's, which would not match this one",
                    err=True,
                )
    _print(model, written, as_json, until_given=options.until is not None)
    if fail_on is not None and not model.summary.total:  # no evidence is not a pass
        raise CheckFailed(f"--fail-on {fail_on}: the report has no results; check --results")
    if fail_on is not None and any(model.summary[s] for s in _FAIL_ON[fail_on]):
        raise CheckFailed(f"report has results at or above --fail-on {fail_on}; see {written[0]}")


class _Signals:
    """SIGTERM raises ``Terminated``. DuckDB turns any signal that arrives inside a query
    into an exception of its own, so which signal it was is kept here."""

    def __init__(self) -> None:
        self.terminated = False

    def terminate(self, signum: int, frame: FrameType | None) -> None:
        self.terminated = True
        raise Terminated


@contextmanager
def _stoppable() -> Iterator[None]:
    """Ctrl-C and SIGTERM (a service manager's stop) end the report through its cleanup,
    which removes the scratch copy of the evidence. DuckDB turns a signal inside a query
    into an exception of its own (from ``execute``, a RuntimeError with this message): it
    becomes that signal's exception again."""
    signals = _Signals()
    previous = signal.signal(signal.SIGTERM, signals.terminate)
    try:
        yield
    except (duckdb.InterruptException, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and str(exc) != "Query interrupted":
            raise
        raise Terminated if signals.terminated else KeyboardInterrupt from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_release_options(
    releases: Path | None, roots: Path | None, crls: tuple[Path, ...], insecure_unverified: bool
) -> None:
    """Option sets that cannot verify the releases are refused before any work."""
    if releases is None:
        if roots is not None or crls or insecure_unverified:
            raise UsageError(
                "--roots, --crl and --insecure-unverified-releases go with --releases DIR"
            )
        return
    if roots is None and not insecure_unverified:
        raise UsageError(
            "--releases needs --roots ROOTS.pem to verify the releases (or "
            "--insecure-unverified-releases to report against them unverified)"
        )
    if roots is None and crls:
        raise UsageError("--crl needs --roots; give the pinned root CA too")


def _releases(
    *,
    releases: Path | None,
    roots: Path | None,
    crls: tuple[Path, ...],
    insecure_unverified: bool,
    at: datetime,
    as_json: bool,
) -> LoadedReleases:
    """Every release under --releases and the signed index they matched, verified at ``at``
    (the window's end) unless the named bypass allows otherwise."""
    _check_release_options(releases, roots, crls, insecure_unverified)
    if releases is None:
        return LoadedReleases((), None)
    policy = load_trust_policy(roots, crls) if roots is not None else None
    trust = ReleaseTrust(policy=policy, at=at, allow_unverified=insecure_unverified)
    if insecure_unverified:
        click.echo(
            "warning: the signed release index is not checked (--insecure-unverified-releases):"
            " a deleted or replayed release would go unnoticed",
            err=True,
        )
    try:
        return load_releases(releases, trust)
    except ReleaseRefused as exc:
        if as_json:  # as ``trails verify --json`` reports a refusal
            emit_json(refusal(exc, exc.namespace))
        raise


def _scope_note(model: Report) -> str:
    scope = model.scope
    if scope.framework is not None:
        where = "the signed releases" if scope.from_releases else "every pack (no --releases)"
        return f"scope: {scope.framework} only (--framework), of {where}"
    if not scope.from_releases:
        return "scope: every pack (no --releases)"
    return f"scope: {', '.join(scope.frameworks) or 'no framework'} (from the signed releases)"


def _until_source(meta: Metadata) -> str:
    """Where a defaulted --until came from: the newest input line, or the clock when no
    line has a time (the report then differs from run to run)."""
    if meta.newest_evidence is None:
        return "the clock: no input line has a time, so the next run's window will differ"
    return "the newest input line"


def _print(model: Report, written: list[Path], as_json: bool, *, until_given: bool) -> None:
    unverified = [r.namespace for r in model.scope.releases if not r.verified]
    if unverified:
        click.echo(
            f"warning: releases NOT VERIFIED (--insecure-unverified-releases): "
            f"{', '.join(unverified)}",
            err=True,
        )
    newer = sum(1 for f in model.integrity if f.kind is IntegrityKind.NEWER_THAN_SIGNED)
    missing_hosts = sum(1 for f in model.integrity if f.kind is IntegrityKind.MISSING)
    if newer:
        click.echo(
            f"warning: {newer} hosts run a config newer than the newest release under "
            "--releases; report against the current dist/ tree (was an older one replayed?)",
            err=True,
        )
    later = model.metadata.lines_after_until
    if later and not until_given:
        click.echo(
            f"warning: {later} input lines are dated after this machine's clock (hosts whose"
            " clocks run ahead, or forged); they are outside the window, which ends at the"
            " newest line before it; pass --until to set the window's end",
            err=True,
        )
    if as_json:
        emit_json(
            {
                "fingerprint": model.fingerprint,
                "simulated": model.metadata.simulated,
                "since": format_time(model.metadata.since),
                "until": format_time(model.metadata.until),
                "frameworks": list(model.scope.frameworks),
                "framework": model.scope.framework,
                "scope_from_releases": model.scope.from_releases,
                "summary": model.summary.to_dict(),
                "hosts": len(model.hosts),
                "missing_hosts": missing_hosts,
                "malformed_lines": model.ingest.malformed,
                "unverified_releases": unverified,
                "files": [str(p) for p in written],
            }
        )
        return
    note = " (SIMULATED DATA)" if model.metadata.simulated else ""
    s = model.summary
    missing = f" ({missing_hosts} in the inventory never reported)" if missing_hosts else ""
    click.echo(
        f"{len(model.hosts)} hosts{missing}, {s.total} results{note}: {s[ReportStatus.PASS]} pass, "
        f"{s[ReportStatus.FAIL]} fail, {s[ReportStatus.WAIVED]} waived, "
        f"{s[ReportStatus.ERROR]} error, "
        f"{s[ReportStatus.NO_EVIDENCE] + s[ReportStatus.STALE]} without current evidence; "
        f"{len(model.integrity)} pipeline findings; fingerprint {model.fingerprint}"
    )
    meta = model.metadata
    click.echo(
        f"window {format_time(meta.since)} to {format_time(meta.until)}"
        + ("" if until_given else f" (--until: {_until_source(meta)})")
        + f"; {_scope_note(model)}"
    )
    if model.ingest.malformed:
        click.echo(
            f"{model.ingest.malformed} malformed input lines (see the report's ingest section)"
        )
    for path in written:
        click.echo(f"wrote {path}")
