"""Render the representative PDFs and turn every page into a PNG, for a person to look at.

    .venv/bin/python -m tests.report.pdf.look OUT_DIR

Writes OUT_DIR/<name>/report.pdf and page-N.png (pdftoppm -r 60) for the example report,
the hostile report and a synthetic fleet (300 hosts, long names, hostile strings), checks
each page count against pypdf and prints where the pages are.
"""

from __future__ import annotations

import sys
from pathlib import Path

from testkit.report_synth import synthetic_report
from tests.report.factories import example_report, hostile_report
from tests.report.pdf.pdfcheck import page_texts, to_pngs
from trails.report.render import render


def main(out: Path) -> None:
    reports = {
        "example": example_report(simulated=True),
        "hostile": hostile_report(),
        "fleet": synthetic_report(hosts=300, controls=40, days=5),
    }
    for name, report in reports.items():
        pdf = render("pdf", report)
        pngs = to_pngs(pdf, out / name)
        texts = page_texts(pdf)
        if len(pngs) != len(texts):
            raise SystemExit(f"{name}: {len(pngs)} PNGs for {len(texts)} pages")
        print(f"{name}: {len(texts)} pages, {len(pdf):,} bytes -> {out / name}/page-*.png")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "pdf-look"))
