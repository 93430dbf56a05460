"""PDF renderer benchmark: a report model of 10,000 hosts x 150 controls x 3 days
(synthesised directly, hostile strings included) rendered to PDF. Target: < 60 s.

Prints the time to render the PDF, its pages and size, and for scale the time of the
JSON renderer over the same model (the canonical form every other output starts from).

    .venv/bin/python bench/bench_pdf.py [--hosts N] [--controls N] [--days N]
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader

from testkit.report_synth import synthetic_report
from trails.report.render import render

TARGET_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--controls", type=int, default=150)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the PDF here")
    args = parser.parse_args()

    t0 = time.perf_counter()
    report = synthetic_report(args.hosts, args.controls, args.days, hostile=True)
    t1 = time.perf_counter()
    json_bytes = render("json", report)  # computes and caches the fingerprint too
    t2 = time.perf_counter()
    pdf = render("pdf", report)
    t3 = time.perf_counter()
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    if args.out is not None:
        args.out.write_bytes(pdf)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pdf_s, json_s = t3 - t2, t2 - t1
    print(
        f"model: {args.hosts:,} hosts x {args.controls} controls x {args.days} days = "
        f"{len(report.results):,} results (built in {t1 - t0:.1f} s)"
    )
    print(f"json renderer: {json_s:.1f} s, {len(json_bytes) / 1e6:.1f} MB")
    print(f"pdf renderer:  {pdf_s:.1f} s, {pages} pages, {len(pdf) / 1e6:.2f} MB")
    print(f"ratio pdf/json: {pdf_s / json_s:.2f}x; peak RSS {peak:,.0f} MiB")
    ok = pdf_s < TARGET_SECONDS
    print(f"target pdf < {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
