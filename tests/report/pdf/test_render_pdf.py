"""The PDF renderer end to end: read back with pypdf and turned into PNGs with pdftoppm."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from testkit.report_synth import HOSTILE_STRINGS, synthetic_report
from tests.report.factories import example_report, hostile_report
from tests.report.pdf.pdfcheck import outline_titles, page_texts, reader, to_pngs
from trails.report.model import LISTED_FAILING, IntegrityKind, Report
from trails.report.pdf.render import write_pdf
from trails.report.pdf.sections.overview import SIMULATED_BANNER
from trails.report.render import RENDERERS, render

FAILING_HEADER = "Failing host Namespace / config Collected Evidence (offending rows)"


@pytest.fixture(scope="module")
def example() -> tuple[Report, bytes]:
    report = example_report(simulated=True)
    return report, render("pdf", report)


@pytest.fixture(scope="module")
def hostile_text() -> str:
    return "\n".join(page_texts(render("pdf", hostile_report())))


def test_registered_as_the_pdf_renderer() -> None:
    assert RENDERERS["pdf"] is write_pdf


def test_output_is_reproducible(example: tuple[Report, bytes]) -> None:
    report, pdf = example
    assert pdf.startswith(b"%PDF-")
    assert render("pdf", report) == pdf


def test_metadata(example: tuple[Report, bytes]) -> None:
    _, pdf = example
    meta = reader(pdf).metadata
    assert meta is not None
    assert meta.title == "Example fleet compliance (SIMULATED DATA)"
    assert meta.author == "trails 0.1.0"
    assert meta.creator == "trails"
    assert meta.subject == (
        "Compliance evidence for 3 hosts, 2026-11-22 12:00 to 2026-11-23 12:00 UTC"
    )
    assert "pci-dss-4.0.1" in str(meta["/Keywords"])


def test_outline_has_every_section_and_each_control(example: tuple[Report, bytes]) -> None:
    report, pdf = example
    titles = outline_titles(pdf)
    top = [t for depth, t in titles if depth == 0]
    assert top == [
        "Example fleet compliance",
        "Executive summary",
        "Scope and provenance",
        "Requirements",
        "Controls",
        "Pipeline integrity",
        "Changes since the baseline",
        "Appendix",
    ]
    nested = {t for depth, t in titles if depth == 1}
    for control in report.controls:
        assert f"{control.id} - {control.title}" in nested
    assert {"pci-dss-4.0.1", "Trend per day", "Ingest statistics"} <= nested


def test_pages_are_numbered_n_of_m(example: tuple[Report, bytes]) -> None:
    _, pdf = example
    texts = page_texts(pdf)
    for number, text in enumerate(texts, start=1):
        assert f"page {number} of {len(texts)}" in text


def test_cover_names_scope_period_fingerprint_and_simulated(example: tuple[Report, bytes]) -> None:
    report, pdf = example
    cover = page_texts(pdf)[0]
    assert SIMULATED_BANNER in cover
    assert report.fingerprint in cover
    assert "2026-11-22T12:00:00Z to 2026-11-23T12:00:00Z" in cover
    assert "linux, linux/pci" in cover
    assert SIMULATED_BANNER not in page_texts(render("pdf", example_report()))[0]


def test_sections_carry_their_content(example: tuple[Report, bytes]) -> None:
    _, pdf = example
    text = "\n".join(page_texts(pdf))
    for expected in (
        "5.3.4",  # a manual PCI requirement is listed
        "Checked in the AV console",
        "name=cramfs; status=Live",  # the failing host's evidence
        "query denylisted by osquery",
        "runs 20261101080000-0ff1ce0; newest signed is",
        "CN=trails signer ci,O=Example",
        "abc1234" + "0" * 33,
        "line longer than 1048576 bytes",  # malformed line sample
        "Newly failing (1)",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    "literal",
    [
        "<script>alert(1)</script>",
        "<para><b>bold</b><font color=red>red</font></para>",
        "evil\\u202egnp.exe",
        "ctl\\x00\\x01\\x07\\x1b[31mred\\x1b[0m\\x7f\\x85 end",
        "=cmd|' /C calc'!A0",
        "]]> & < > \" ' &amp;",
        "bad \\ufffd\\ufffd bytes",
    ],
)
def test_hostile_strings_render_literally(hostile_text: str, literal: str) -> None:
    assert literal in hostile_text


def test_hostile_strings_never_reach_the_page_raw(hostile_text: str) -> None:
    for raw in ("\u202e", "\x1b", "\x00", "\x07"):
        assert raw not in hostile_text
    assert "x" * 1100 not in hostile_text.replace("\n", "")  # 10 MB string was bounded
    assert HOSTILE_STRINGS[11][:50] in hostile_text


def test_large_fleet_is_bounded_and_tables_repeat_headers(tmp_path: Path) -> None:
    report = synthetic_report(hosts=300, controls=6, days=4)
    pdf = render("pdf", report)
    texts = page_texts(pdf)
    text = "\n".join(texts)
    busiest = max(report.control_rollups, key=lambda c: c.failing_host_count)
    assert busiest.failing_host_count > LISTED_FAILING
    assert f"Showing {LISTED_FAILING} of {busiest.failing_host_count} failing hosts" in text
    # A failing-host table that continues on the next page repeats its header there.
    continued = [
        t for t in texts if "Failing host" in t and "Results:" not in t.split("Failing host")[0]
    ]
    assert continued
    pngs = to_pngs(pdf, tmp_path / "pages")
    assert len(pngs) == len(texts)
    assert all(p.stat().st_size > 2000 for p in pngs)  # every page drew something


def test_an_empty_fleet_renders_and_says_so() -> None:
    pdf = render("pdf", synthetic_report(hosts=0, controls=3, days=1))
    text = "\n".join(page_texts(pdf))
    assert "no results in the report window" in text
    assert "No control failed on any host in the window." in text
    assert "No host reported a config version." in text
    # Every kind but missing (listed only when --inventory names hosts never seen).
    assert text.count("No finding.") == len(IntegrityKind) - 1


def test_a_long_hostile_title_stays_out_of_the_page_number(tmp_path: Path) -> None:
    report = example_report()
    title = "W" * 300 + "\u202e<b>"
    meta = dataclasses.replace(report.metadata, title=title)
    pdf = render("pdf", dataclasses.replace(report, metadata=meta))
    info = reader(pdf).metadata
    assert info is not None
    meta_title = info.title
    assert meta_title is not None
    assert meta_title.startswith("W" * 90)
    assert "\u202e" not in meta_title
    last = page_texts(pdf)[-1]
    assert "page 9 of 9" in last
    png = to_pngs(pdf, tmp_path)[1]
    assert png.exists()
