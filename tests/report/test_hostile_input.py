"""Hostile results, end to end: from osquery lines through ingest to every machine format."""

from __future__ import annotations

import csv
import gzip
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from trestle.oscal.assessment_results import AssessmentResults

from tests.report.osquery_lines import T0, control, decorations, line
from trails.models.evidence import ReportStatus
from trails.report.build import ReportOptions, report_from_files
from trails.report.catalog import ReportCatalog
from trails.report.model import MAX_TEXT, Report
from trails.report.render import render

UNTIL = datetime.fromtimestamp(T0, UTC) + timedelta(hours=1)


def _report(tmp_path: Path, data: bytes) -> Report:
    path = tmp_path / "hostile.log"
    path.write_bytes(data)
    return report_from_files([str(path)], ReportCatalog(), (), ReportOptions(now=UNTIL))


def _all_formats_valid(report: Report) -> None:
    json.loads(render("json", report))
    list(csv.reader(io.StringIO(render("csv", report).decode("utf-8"), newline="")))
    ET.fromstring(render("junit", report))  # noqa: S314 (our own output)
    doc = json.loads(render("oscal", report))
    AssessmentResults.model_validate(doc["assessment-results"])


def test_ten_megabyte_strings_are_bounded(tmp_path: Path) -> None:
    huge = "A" * (10 * 1024 * 1024)
    dec = decorations("h1", hostname=huge, owner=huge)
    text = control("c1", "fail", T0, dec, [{"path": huge, huge[:100]: "x"}])
    report = _report(tmp_path, (text + "\n").encode())
    host = report.hosts[0]
    assert len(host.hostname) <= MAX_TEXT
    assert len(host.owner) <= MAX_TEXT
    (result,) = report.results
    assert all(len(v) <= 256 for row in result.evidence for _, v in row.fields)
    for name in ("json", "csv", "junit", "oscal"):
        assert len(render(name, report)) < 200_000, name
    _all_formats_valid(report)


def test_a_million_rows_for_one_host_stay_one_result(tmp_path: Path) -> None:
    dec = decorations("h1")
    row = {"control_id": "c1", "status": "fail", "evidence": "[]", "evidence_count": "1"}
    chunk = line("trails.control.c1", [row] * 1000, T0, dec, "batch")
    data = ((chunk + "\n") * 1000).encode()
    report = _report(tmp_path, data)
    assert report.ingest.result_rows == 1_000_000
    assert len(report.results) == 1
    assert next(iter(report.results)).status is ReportStatus.FAIL
    assert len(render("json", report)) < 50_000


def test_non_utf8_bytes_inside_a_line(tmp_path: Path) -> None:
    good = control("c1", "pass", T0, decorations("h1")).encode()
    bad = control("c2", "fail", T0, decorations("h1")).encode().replace(b"c2", b"c\xff\xfe2")
    report = _report(tmp_path, good + b"\n" + bad + b"\n")
    assert report.ingest.malformed == 1
    assert report.ingest.malformed_samples[0].reason == "not UTF-8"
    assert [r.control_id for r in report.results] == ["c1"]
    _all_formats_valid(report)


@pytest.mark.parametrize(
    "text",
    [
        "<para><font size=99>big</font></para>",
        "<script>alert(document.cookie)</script>",
        "ctl\x01\x08\x0b\x1b[2J\x7f\x9b",
        "user\u202egnp.exe\u2066x\u2069",
        "=cmd|' /C calc'!A0",
    ],
    ids=["reportlab-markup", "script", "control-chars", "rtl-override", "csv-formula"],
)
def test_hostile_decorations_and_evidence(tmp_path: Path, text: str) -> None:
    dec = decorations("h1", hostname=text, owner=text)
    report = _report(tmp_path, (control("c1", "fail", T0, dec, [{"name": text}]) + "\n").encode())
    assert report.hosts[0].hostname == text  # kept literally in the model and JSON
    assert json.loads(render("json", report))["hosts"][0]["hostname"] == text
    rows = list(csv.reader(io.StringIO(render("csv", report).decode("utf-8"), newline="")))
    assert not any(c.startswith(("=", "+", "-", "@")) for r in rows for c in r)
    assert not any(ch in c for r in rows for c in r for ch in "\x01\x1b\u202e")
    _all_formats_valid(report)


DEEP = "[" * 200_000 + "]" * 200_000


def _good(dec: dict[str, str]) -> str:
    return control("a", "pass", T0, dec)


def test_deeply_nested_json_in_evidence_integrity_and_a_malformed_line(tmp_path: Path) -> None:
    """Attack (issue 12 item 11): nesting that Python's json cannot parse (RecursionError)."""
    dec = decorations("h1")
    lines = [
        control("b", "fail", T0, dec, [{"x": "y"}]).replace('"[{', '"' + DEEP[:30_000] + "[{"),
        line("trails.integrity", [{"namespace": DEEP}], T0, dec),
        '{"name": ' + DEEP,  # malformed (no closing brace), and located by a second read
        _good(dec),
    ]
    report = _report(tmp_path, ("\n".join(lines) + "\n").encode())
    assert {r.control_id: r.status for r in report.results}["a"] is ReportStatus.PASS
    assert report.ingest.malformed == 1
    (sample,) = report.ingest.malformed_samples
    # too deep for Python's json: judged by DuckDB's parser, which finds it is not JSON
    assert (sample.line, sample.reason) == (3, "not JSON")
    _all_formats_valid(report)


@pytest.mark.slow
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip-bomb"])
def test_a_line_over_the_limit_is_malformed_and_the_report_goes_on(
    tmp_path: Path, compress: bool
) -> None:
    """Attack (issue 12 item 11): a line of 129 MiB, plainly or as a 130 KiB gzip."""
    dec = decorations("h1")
    data = (
        b'{"name": "x", "pad": "'
        + b"a" * (129 * 1024 * 1024)
        + b'"}\n'
        + (_good(dec) + "\n").encode()
    )
    path = tmp_path / ("big.log.gz" if compress else "big.log")
    path.write_bytes(gzip.compress(data, compresslevel=1) if compress else data)
    del data
    report = report_from_files([str(path)], ReportCatalog(), (), ReportOptions(now=UNTIL))
    assert [(r.control_id, r.status) for r in report.results] == [("a", ReportStatus.PASS)]
    assert report.ingest.malformed == 1
    (sample,) = report.ingest.malformed_samples
    assert (Path(sample.file).name, sample.line) == (path.name, 1)
    assert sample.reason.startswith("line longer than")
