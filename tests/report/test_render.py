from __future__ import annotations

import csv
import io
import json
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trestle.oscal.assessment_results import AssessmentResults

from testkit.report_synth import HOSTILE_STRINGS
from tests.report.factories import example_report, hostile_report, rebuilt
from trails.formats.manifest import format_time
from trails.models.evidence import ReportStatus
from trails.report.model import ControlResult, EvidenceRow, Report
from trails.report.render import EXTENSIONS, RENDERERS, render
from trails.report.render.csv_report import COLUMNS
from trails.report.render.oscal import _Ids
from trails.report.render.text import csv_cell, visible

SCHEMA = json.loads(resources.files("trails.schemas").joinpath("report.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def test_schema_is_valid_and_reports_match_it() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    for report in (example_report(), hostile_report()):
        VALIDATOR.validate(json.loads(render("json", report)))


def test_schema_rejects_unknown_status() -> None:
    doc = json.loads(render("json", example_report()))
    doc["listed_results"][0]["status"] = "probably_fine"
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(doc)


def test_every_format_has_an_extension() -> None:
    assert set(RENDERERS) <= set(EXTENSIONS)


def _csv(report: Report) -> list[dict[str, str]]:
    data = render("csv", report).decode("utf-8")
    rows = list(csv.reader(io.StringIO(data, newline="")))
    assert tuple(rows[0]) == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


def test_csv_one_row_per_result() -> None:
    report = example_report()
    rows = _csv(report)
    assert len(rows) == len(report.results)
    fail = next(r for r in rows if r["status"] == "fail")
    assert fail["hostname"] == "web-02.example.com"
    assert json.loads(fail["evidence"]) == [{"name": "cramfs", "status": "Live"}]
    assert fail["requirements"] == "cis-ubuntu-22.04:1.1.1.1 pci-dss-4.0.1:2.2.4"


def _junit(report: Report) -> ET.Element:
    return ET.fromstring(render("junit", report))  # noqa: S314 (our own output)


def test_junit_a_suite_per_host() -> None:
    report = example_report()
    root = _junit(report)
    suites = root.findall("testsuite")
    assert len(suites) == len(report.hosts)
    assert int(root.get("failures", "-1")) == report.summary[ReportStatus.FAIL]
    h2 = next(s for s in suites if s.get("name") == "web-02.example.com")
    assert (h2.get("tests"), h2.get("failures"), h2.get("errors")) == ("3", "1", "1")
    failure = h2.find("testcase/failure")
    assert failure is not None
    assert json.loads(failure.text or "") == {"name": "cramfs", "status": "Live"}
    h3 = next(s for s in suites if s.get("name") == "web-03.example.com")
    assert (h3.get("errors"), h3.get("skipped")) == ("2", "1")


def _oscal(report: Report) -> dict[str, object]:
    doc = json.loads(render("oscal", report))
    AssessmentResults.model_validate(doc["assessment-results"])
    return doc["assessment-results"]  # type: ignore[no-any-return]


def test_oscal_validates_with_trestle() -> None:
    report = example_report(simulated=True)
    doc = _oscal(report)
    result = doc["results"][0]  # type: ignore[index]
    observations = result["observations"]
    assert all(o["collected"] and o["subjects"] for o in observations)
    # every result with collected evidence is its host's subject in exactly one observation
    # of that control and status: alone when it failed or errored, else shared
    ids = _Ids(report.fingerprint)
    seen = Counter(
        (o["title"], s["subject-uuid"], len(o["subjects"]))
        for o in observations
        for s in o["subjects"]
    )
    expected = Counter(
        (f"{r.control_id}: {r.status.value}", ids("host", r.host_uuid), 1)
        for r in report.results
        if r.collected is not None and r.status in (ReportStatus.FAIL, ReportStatus.ERROR)
    )
    assert expected
    assert all(seen[k] == 1 for k in expected)
    shared = {
        (f"{r.control_id}: {r.status.value}", ids("host", r.host_uuid))
        for r in report.results
        if r.collected is not None and r.status not in (ReportStatus.FAIL, ReportStatus.ERROR)
    }
    assert shared == {(title, host) for title, host, _ in seen} - {k[:2] for k in expected}
    findings = {
        f["target"]["target-id"]: f["target"]["status"]["state"] for f in result["findings"]
    }
    assert findings["cis-ubuntu-1.1.1.1"] == "not-satisfied"
    assert findings["pci-12.10.1"] == "not-satisfied"  # manual: never satisfied by us
    assert "SIMULATED" in result["description"]
    assert render("oscal", report) == render("oscal", report)


def test_oscal_shares_one_observation_per_control_and_status_across_hosts() -> None:
    report = example_report()
    passing = next(r for r in report.results if r.status is ReportStatus.PASS)
    hosts = tuple(replace(report.hosts[0], host_uuid=f"h{n:03}") for n in range(200))
    results = tuple(passing._replace(host_uuid=h.host_uuid) for h in hosts)
    doc = _oscal(rebuilt(report, hosts=hosts, results=results))
    (obs,) = doc["results"][0]["observations"]  # type: ignore[index]
    assert len(obs["subjects"]) == 200
    assert obs["collected"] == format_time(passing.collected)  # type: ignore[arg-type]
    (finding,) = (
        f
        for f in doc["results"][0]["findings"]  # type: ignore[index]
        if f["target"]["target-id"] == passing.control_id
    )
    assert finding["related-observations"] == [{"observation-uuid": obs["uuid"]}]


def test_oscal_empty_report_is_valid() -> None:
    report = example_report()
    _oscal(replace(rebuilt(report, hosts=(), results=()), control_rollups=()))


@pytest.mark.parametrize("text", HOSTILE_STRINGS, ids=[repr(s[:24]) for s in HOSTILE_STRINGS])
def test_hostile_text_in_every_machine_format(text: str) -> None:
    """One case per hostile string: it sits in hostname, owner, detail and evidence."""
    report = hostile_report()
    index = HOSTILE_STRINGS.index(text)
    uuid = report.hosts[index].host_uuid
    # JSON: valid, schema-conform, bounded.
    raw = render("json", report)
    VALIDATOR.validate(json.loads(raw))
    assert len(raw) < 2_000_000
    # CSV: no cell a spreadsheet would run, no control or bidi characters.
    rows = [r for r in _csv(report) if r["host_uuid"] == uuid]
    assert rows
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(FORMULA), cell[:40]
            assert visible(cell) == cell
            assert len(cell) <= 4096
    # JUnit: parses; the text comes back literally (minus invisible characters).
    suite = next(s for s in _junit(report).findall("testsuite") if s.get("id") == uuid)
    assert suite.get("name") == visible(report.hosts[index].hostname)
    # OSCAL: validates with trestle.
    _oscal(report)


def test_csv_cell_neutralises_formulas() -> None:
    assert csv_cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert csv_cell("  =1+1") == "'  =1+1"
    assert csv_cell("\tx").startswith("'")
    assert csv_cell("ok=1") == "ok=1"
    assert csv_cell("a\u202eb\x00") == "a\ufffdb\ufffd"


def test_oscal_uuids_are_uuid5_under_the_report_namespace() -> None:
    ids = _Ids("ab" * 32)
    namespace = uuid.UUID(bytes=ids.base)
    assert ids("observation", "h1", "c1") == str(uuid.uuid5(namespace, "observation\x1fh1\x1fc1"))


def test_csv_cell_spaces_only() -> None:
    assert csv_cell("   ") == "   "
    assert csv_cell("") == ""


def test_oscal_placeholder_cannot_be_forged_by_a_host() -> None:
    report = example_report()
    forged = '"observations":-1.5'
    hosts = tuple(replace(h, hostname=forged) for h in report.hosts)
    doc = _oscal(rebuilt(report, hosts=hosts))
    result = doc["results"][0]  # type: ignore[index]
    subjects = sum(len(o["subjects"]) for o in result["observations"])
    assert subjects == sum(r.collected is not None for r in report.results)
    items = result["local-definitions"]["inventory-items"]
    assert {i["description"] for i in items} == {forged}


@pytest.mark.parametrize("simulated", [True, False])
def test_csv_and_junit_say_when_the_data_is_simulated(simulated: bool) -> None:
    report = example_report(simulated=simulated)
    rows = list(csv.DictReader(io.StringIO(render("csv", report).decode(), newline="")))
    assert rows
    assert {r["simulated"] for r in rows} == {"true" if simulated else "false"}
    root = ET.fromstring(render("junit", report))  # noqa: S314 (our own output)
    assert root.get("name", "").endswith(" (SIMULATED DATA)") is simulated
    suites = root.findall("testsuite")
    assert suites
    marks = [s.find("properties/property[@name='simulated']") for s in suites]
    assert all((m is not None and m.get("value") == "true") is simulated for m in marks)


_cell_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["=1+1", " @x", "\tTAB", 'a,"b"', "line\nbreak", "\u202eevil", "ok"]
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            _cell_text,
            st.sampled_from([s for s in ReportStatus if s is not ReportStatus.MANUAL]),
            _cell_text,
            _cell_text,
            _cell_text,
            st.lists(st.tuples(_cell_text, _cell_text), max_size=2),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_csv_rows_the_engine_writes_are_what_the_csv_module_writes(
    rows: list[tuple[Any, ...]],
) -> None:
    """The engine builds each CSV row in SQL (trails.report.lines); the csv module with
    csv_cell on every text cell is the reference."""
    report = example_report()
    host = report.hosts[0]
    results = tuple(
        ControlResult(
            host_uuid=host.host_uuid,
            control_id=f"c{n}",
            status=status,
            collected=None,
            config_version=cv,
            evidence_count=len(ev),
            evidence=(EvidenceRow(tuple(ev)),) if ev else (),
            detail=detail,
            exception=exception,
        )
        for n, (cv, status, detail, exception, _, ev) in enumerate(rows)
    )
    got = render("csv", rebuilt(report, results=results)).decode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in results:
        evidence = [e.to_dict() for e in r.evidence]
        evidence_cell = json.dumps(evidence, ensure_ascii=False, sort_keys=True)
        writer.writerow(
            (
                *(csv_cell(v) for v in (host.host_uuid, host.hostname, host.namespace, host.owner)),
                csv_cell(r.control_id),
                "",
                "",
                "",
                r.status.value,
                "",
                csv_cell(r.config_version),
                str(r.evidence_count),
                csv_cell(r.detail),
                csv_cell(r.exception),
                csv_cell(evidence_cell) if evidence else "",
                "false",
            )
        )
    assert got == out.getvalue()
