"""``trails simulate``: a fleet's osquery results, for demos, tests and benchmarks."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from trails.commands.common import emit_json
from trails.commands.report import parse_when
from trails.errors import TransportError, UsageError
from trails.report.releases import read_releases
from trails.report.simulate import SimOptions, from_releases, simulate, synthetic

_FIRST, _LAST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@click.command("simulate")
@click.option("--hosts", type=click.IntRange(1, 1_000_000), default=100, show_default=True)
@click.option("--days", type=click.IntRange(1, 366), default=3, show_default=True)
@click.option(
    "--dist",
    type=click.Path(file_okay=False, path_type=Path),
    help="Built dist/ tree: simulate the control queries each namespace schedules.",
)
@click.option(
    "--controls",
    type=click.IntRange(1, 10_000),
    default=150,
    show_default=True,
    help="Without --dist: how many synthetic controls.",
)
@click.option(
    "--out",
    "out_dir",
    default="simulated-results",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option(
    "--until", metavar="TIME", help="End of the simulated period [default: now, on the hour]."
)
@click.option(
    "--shards",
    type=click.IntRange(1, 1024),
    default=4,
    show_default=True,
    help="How many log files to spread the hosts over.",
)
@click.option("--gzip", "compress", is_flag=True, help="Write .log.gz files.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def simulate_command(
    *,
    hosts: int,
    days: int,
    dist: Path | None,
    controls: int,
    out_dir: Path,
    seed: int,
    until: str | None,
    shards: int,
    compress: bool,
    as_json: bool,
) -> None:
    """Write osquery results logs for a simulated fleet, exactly as osquery writes them.

    Realistic pass/fail mixes, denylisted and failing queries, silent hosts, config drift,
    an agent that refused a release and one tampered host. Every line is marked simulated,
    and every report made from it says so.
    """
    end = parse_when(until, "--until") or datetime.now(UTC).replace(
        minute=0, second=0, microsecond=0
    )
    # the lines go --days back, the synthetic releases 30 days either side of --until
    margin = timedelta(days=days + 30)
    if not _FIRST + margin <= end <= _LAST - margin:
        raise UsageError(
            f"--until with --days {days}: the simulated lines and releases must fall between"
            " 1970 and 9999 (a report takes no other time)"
        )
    if dist is not None:
        namespaces = from_releases(read_releases(dist))
        if not namespaces:
            raise UsageError(
                f"--dist {dist}: no namespace schedules trails.control.* queries; run trails build"
            )
    else:
        namespaces = synthetic(controls, end)
    options = SimOptions(
        hosts=hosts, days=days, until=end, seed=seed, shards=shards, compress=compress
    )
    with click.progressbar(length=1, label="trails simulate", file=sys.stderr) as bar:
        try:
            summary = simulate(namespaces, options, out_dir)
        except OSError as exc:
            raise TransportError(
                f"cannot write {exc.filename or out_dir}: {exc.strerror or exc}; check --out"
            ) from None
        bar.update(1)
    if as_json:
        emit_json(
            {
                "files": [str(p) for p in summary.files],
                "lines": summary.lines,
                "bytes": summary.bytes,
            }
        )
        return
    click.echo(f"{hosts} hosts x {days} days: {summary.lines} lines, {summary.bytes / 1e6:.1f} MB")
    for path in summary.files:
        click.echo(f"wrote {path}")
