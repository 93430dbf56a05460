"""Benchmark: `trails report` over a simulated fleet vs DuckDB alone and a jq pipeline.

Simulates HOSTS x CONTROLS x DAYS with `trails simulate` (prints the log size), then times
on the same files:

* the floor: DuckDB alone, ``SELECT count(*) FROM read_json([...])``;
* DuckDB alone keeping the newest control row per (host, control) (``NEWEST_SQL``), then
  fetching those rows into Python and encoding them as JSON: the least a report whose
  model is Python objects pays, before statistics, integrity rows and decorations;
* jq: a pipeline that merely extracts the result rows (``jq -c '.snapshot[]?, ...'``);
* ``trails report --format json`` end to end (a subprocess; its peak RSS is measured);
* the other renderers on the same report, one by one.

    .venv/bin/python bench/bench_report.py [--hosts 10000] [--controls 150] [--days 3]
                                           [--formats csv,junit,oscal] [--skip-jq]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

UNTIL = "2026-11-23T12:00:00Z"
TRAILS = [sys.executable, "-m", "trails"]


# DuckDB alone doing the core of a report, as tight as its SQL gets: only the fields a
# verdict needs, typed, and the newest control row per (host, control); no stats,
# integrity, decorations, malformed-line accounting or output. A second reference point
# beside the count(*) floor, which parses but keeps nothing.
NEWEST_SQL = """
CREATE TABLE newest AS
SELECT h, c, m.t AS t, m.s AS s, m.e AS e FROM (
  SELECT h, c, max({'t': t, 's': r.status, 'e': r.evidence}) AS m
  FROM (SELECT decorations.host_uuid AS h, name AS c, "unixTime"::BIGINT AS t,
               unnest(coalesce(snapshot, ["columns"], "diffResults".added)) AS r
        FROM read_json($f, format='newline_delimited', columns={
          name: 'VARCHAR', "unixTime": 'VARCHAR', decorations: 'STRUCT(host_uuid VARCHAR)',
          snapshot: 'STRUCT(status VARCHAR, evidence VARCHAR)[]',
          "columns": 'STRUCT(status VARCHAR, evidence VARCHAR)',
          "diffResults": 'STRUCT(added STRUCT(status VARCHAR, evidence VARCHAR)[])'}))
  WHERE c LIKE 'trails.control.%' GROUP BY ALL)
"""


def timed(label: str, argv: list[str], **kw: object) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, **kw)  # type: ignore[call-overload]
    took = time.perf_counter() - start
    print(f"{label:<34} {took:8.1f} s", flush=True)
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=10_000)
    ap.add_argument("--controls", type=int, default=150)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--formats", default="csv,junit,oscal")
    ap.add_argument("--skip-jq", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trails-bench-report-"))
    try:
        logs = work / "logs"
        timed(
            f"simulate {args.hosts}x{args.controls}x{args.days}",
            [
                *TRAILS,
                "simulate",
                "--hosts",
                str(args.hosts),
                "--controls",
                str(args.controls),
                "--days",
                str(args.days),
                "--out",
                str(logs),
                "--until",
                UNTIL,
                "--seed",
                "1",
            ],
            stdout=subprocess.DEVNULL,
        )
        files = sorted(str(p) for p in logs.iterdir())
        size = sum(Path(f).stat().st_size for f in files)
        lines = sum(1 for f in files for _ in open(f, "rb"))  # noqa: SIM115
        print(f"{'log size':<34} {size / 2**30:8.2f} GiB, {lines} lines in {len(files)} files")

        start = time.perf_counter()
        con = duckdb.connect()
        (count,) = con.execute("SELECT count(*) FROM read_json($f)", {"f": files}).fetchone() or (
            0,
        )
        floor = time.perf_counter() - start
        print(f"{'duckdb count(*) read_json (floor)':<34} {floor:8.1f} s  ({count} records)")
        start = time.perf_counter()
        con.execute(NEWEST_SQL, {"f": files})
        newest = time.perf_counter() - start
        (pairs,) = con.execute("SELECT count(*) FROM newest").fetchone() or (0,)
        print(f"{'duckdb newest row per host+control':<34} {newest:8.1f} s  ({pairs} pairs)")
        # The least any report with a Python model pays on top: those rows as tuples,
        # then written out as JSON (one compact object per row, no model around it).
        start = time.perf_counter()
        rows = con.execute("SELECT h, c, t, s, e FROM newest ORDER BY h, c").fetchall()
        fetch = time.perf_counter() - start
        print(f"{'fetch them into Python tuples':<34} {fetch:8.1f} s")
        start = time.perf_counter()
        encoded = ",\n".join(map(json.dumps, rows))
        encode = time.perf_counter() - start
        print(f"{'encode them as JSON':<34} {encode:8.1f} s  ({len(encoded) / 2**20:.0f} MiB)")
        del rows, encoded
        least = newest + fetch + encode
        print(f"ratio (newest-row query + fetch + encode) / floor: {least / floor:.1f}x")

        jq = None
        if not args.skip_jq and shutil.which("jq"):
            jq_filter = (
                '.snapshot[]?, (select(.action == "added" or .action == "snapshot")'
                " | .columns? // empty), .diffResults.added[]?"
            )
            jq = timed(
                "jq extract rows", ["jq", "-c", jq_filter, *files], stdout=subprocess.DEVNULL
            )

        out = work / "out"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        report = timed(
            "trails report --format json",
            [
                *TRAILS,
                "report",
                "--results",
                str(logs / "*.log"),
                "--until",
                UNTIL,
                "--format",
                "json",
                "--out",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"{'trails report peak RSS':<34} {max(peak, before) / 2**20:8.2f} GiB")
        print(f"{'report.json size':<34} {(out / 'report.json').stat().st_size / 2**20:8.1f} MiB")
        print(f"ratio report / duckdb floor: {report / floor:.1f}x (target <= 3x)")
        print(f"ratio report / duckdb newest-row query: {report / newest:.1f}x")
        if jq is not None:
            print(f"ratio report / jq extract:   {report / jq:.2f}x")
        _renderers(logs, args.formats.split(","))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _renderers(logs: Path, formats: list[str]) -> None:
    """Build the model once in-process, then time each renderer on it."""
    from datetime import UTC, datetime

    from trails.report.build import ReportOptions, report_from_files
    from trails.report.catalog import ReportCatalog
    from trails.report.render import render

    start = time.perf_counter()
    options = ReportOptions(now=datetime(2026, 11, 23, 12, tzinfo=UTC))
    model = report_from_files([str(logs / "*.log")], ReportCatalog(), (), options)
    print(
        f"{'ingest + evaluate (in-process)':<34} {time.perf_counter() - start:8.1f} s"
        f"  ({len(model.results)} results)"
    )
    for name in [f for f in formats if f]:
        start = time.perf_counter()
        data = render(name, model)
        took = time.perf_counter() - start
        print(f"{'render ' + name:<34} {took:8.1f} s  ({len(data) / 2**20:.0f} MiB)")
        del data
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{'in-process peak RSS':<34} {peak:8.2f} GiB")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
