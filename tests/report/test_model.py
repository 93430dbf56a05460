from __future__ import annotations

import gzip
import hashlib
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.report.factories import example_report, hostile_report, rebuilt
from trails.models.canonical import canonical_json
from trails.models.evidence import ReportStatus
from trails.report.catalog import ReportCatalog, RequirementSpec
from trails.report.engine.duck import DuckEngine
from trails.report.model import (
    MAX_TEXT,
    ControlResult,
    EvidenceRow,
    StatusCounts,
    bound_text,
    worst_status,
)
from trails.report.render import render
from trails.report.results import StoredResults, digest_results, store_results, write_behind
from trails.report.rollup import requirement_rollups


def test_fingerprint_is_sha256_of_the_document_without_it() -> None:
    doc = json.loads(render("json", example_report()))
    fingerprint = doc.pop("fingerprint")
    assert fingerprint == hashlib.sha256(canonical_json(doc)).hexdigest()


def test_fingerprint_changes_with_content() -> None:
    assert example_report().fingerprint != example_report(simulated=True).fingerprint
    assert example_report().fingerprint == example_report().fingerprint


@given(st.text(max_size=3000))
def test_bound_text_is_bounded_and_encodable(text: str) -> None:
    out = bound_text(text)
    assert len(out) <= MAX_TEXT
    out.encode("utf-8")
    if len(text) <= MAX_TEXT and not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert out == text


def test_bound_text_replaces_lone_surrogates() -> None:
    assert bound_text("a\udcffb?") == "a\ufffdb?"
    assert bound_text("x" * 5000).endswith("…")


def test_status_counts_and_precedence() -> None:
    counts = StatusCounts.of(
        [ReportStatus.PASS, ReportStatus.PASS, ReportStatus.FAIL, ReportStatus.MANUAL]
    )
    assert counts[ReportStatus.PASS] == 2
    assert counts.total == 4
    assert counts.pass_rate == 2 / 3
    assert counts.to_dict()["total"] == 4
    assert set(counts.to_dict()) == {s.value for s in ReportStatus} | {"total"}
    assert StatusCounts.of([ReportStatus.MANUAL]).pass_rate is None
    assert worst_status([ReportStatus.PASS, ReportStatus.ERROR]) is ReportStatus.ERROR
    assert worst_status([]) is ReportStatus.NO_EVIDENCE


def test_example_report_rollups() -> None:
    report = example_report()
    req = {(r.framework, r.requirement): r for r in report.requirements}
    assert req[("pci-dss-4.0.1", "2.2.4")].status is ReportStatus.FAIL
    assert req[("pci-dss-4.0.1", "2.2.4")].failing_hosts == 1
    assert req[("pci-dss-4.0.1", "12.10.1")].status is ReportStatus.MANUAL
    # A requirement only the catalog names (no control at all) is still listed, as manual.
    assert req[("pci-dss-4.0.1", "5.3.4")].manual_reason == "Checked in the AV console"
    # Numeric ordering of requirement numbers.
    pci = [r.requirement for r in report.requirements if r.framework == "pci-dss-4.0.1"]
    assert pci == ["2.2.4", "2.2.6", "5.3.4", "10.2.1.2", "12.10.1"]
    rollups = {c.control_id: c for c in report.control_rollups}
    assert rollups["pci-12.10.1"].status is ReportStatus.MANUAL
    assert rollups["cis-ubuntu-1.1.1.1"].failing_host_count == 1
    assert {g.name: g.hosts for g in report.namespaces} == {"linux": 1, "linux/pci": 2}
    assert report.hosts_by_uuid[report.hosts[0].host_uuid] is report.hosts[0]
    assert report.controls_by_id["pci-12.10.1"].manual


def test_requirement_without_spec_and_catalog_lookup() -> None:
    report = example_report()
    engine = DuckEngine(duckdb.connect())
    store_results(engine, report.results)
    rollups = requirement_rollups(engine, report.controls, [RequirementSpec("x", "1")])
    assert ("x", "1") in {(r.framework, r.requirement) for r in rollups}
    catalog = ReportCatalog(controls=report.controls)
    assert catalog.control("cis-ubuntu-5.2.1") is not None
    assert catalog.control("nope") is None


def test_hostile_report_renders_as_json() -> None:
    data = render("json", hostile_report())
    doc = json.loads(data)
    assert all(len(h["hostname"]) <= MAX_TEXT for h in doc["hosts"])
    assert len(data) < 1_000_000


def test_fast_canonical_encoding_equals_canonical_json() -> None:
    for report in (example_report(), hostile_report(), example_report(simulated=True)):
        assert report.canonical_json() == canonical_json(report.to_dict())


_EXAMPLE = example_report()


@given(st.text(max_size=60))
def test_fast_canonical_encoding_equals_canonical_json_whatever_the_title(title: str) -> None:
    """The fingerprint goes in among the top-level keys, whatever the strings hold."""
    report = replace(_EXAMPLE, metadata=replace(_EXAMPLE.metadata, title=title))
    assert report.canonical_json() == canonical_json(report.to_dict())


def test_fingerprint_covers_every_result() -> None:
    """report.json v2 holds no per-result rows, but their digest: change one result and
    the fingerprint changes."""
    report = example_report()
    first, *rest = tuple(report.results)
    other = rebuilt(report, results=(first._replace(detail="changed"), *rest))
    assert other.results_digest != report.results_digest
    assert other.fingerprint != report.fingerprint
    assert json.loads(report.canonical_json())["fingerprint"] == example_report().fingerprint


_texts = st.text(max_size=40)


@given(
    st.lists(
        st.tuples(
            _texts,
            _texts,
            st.sampled_from(list(ReportStatus)),
            st.one_of(st.none(), st.integers(0, 4_000_000_000)),
            _texts,
            st.integers(0, 10**6),
            st.lists(st.lists(st.tuples(_texts, _texts), max_size=3), max_size=3),
        ),
        max_size=5,
    )
)
# regression: the upper-case hex fix-up also lowered the text "\u000B" beside a \x0b
@example(rows=[("\x0b\\u000B", "\\\\u001F\x1f", ReportStatus.FAIL, None, "\\u000E", 0, [])])
def test_results_file_lines_are_json_dumps_of_each_result(rows: list[tuple[Any, ...]]) -> None:
    """The results file is written by hand from the engine's rows (a fleet has millions);
    each line must be exactly ``json.dumps`` of the result it stands for."""
    results = [
        ControlResult(
            host_uuid=bound_text(h),
            control_id=bound_text(c),
            status=s,
            collected=None if t is None else datetime.fromtimestamp(t, UTC),
            config_version=bound_text(cv),
            evidence_count=n,
            evidence=tuple(
                EvidenceRow(tuple((bound_text(k), bound_text(v)) for k, v in fields))
                for fields in ev
            ),
            detail=bound_text(c),
            exception=bound_text(cv),
        )
        for h, c, s, t, cv, n, ev in rows
    ]
    engine = DuckEngine(duckdb.connect())
    store_results(engine, results)
    stored = StoredResults(engine)
    out = io.BytesIO()
    digest = digest_results(stored, out)
    text = gzip.decompress(out.getvalue())

    def key(r: ControlResult) -> str:
        return json.dumps(r.to_dict(), sort_keys=True)

    assert sorted(map(key, stored)) == sorted(map(key, results))  # every result, as given
    assert text == "".join(
        json.dumps(r.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
        for r in stored
    ).encode("utf-8")
    assert (digest.rows, digest.sha256) == (len(results), hashlib.sha256(text).hexdigest())


def test_results_file_is_the_same_bytes_each_time() -> None:
    """gzip with no file name and time 0 in its header, so a report can be reproduced."""
    engine = DuckEngine(duckdb.connect())
    store_results(
        engine,
        [
            ControlResult(f"h{n}", f"c{n % 7}", ReportStatus.PASS, None, "v1", 0, (), "", "")
            for n in range(500)
        ],
    )
    stored = StoredResults(engine)
    first, second = io.BytesIO(), io.BytesIO()
    digest_results(stored, first)
    digest_results(stored, second)
    data = first.getvalue()
    assert data == second.getvalue()
    assert data[:3] == b"\x1f\x8b\x08"  # gzip, deflate
    assert (data[3], data[4:8]) == (0, b"\0\0\0\0")  # no name, comment or extra; time 0
    assert gzip.decompress(data).count(b"\n") == 500


def test_results_file_bytes_do_not_depend_on_how_the_engine_batches_the_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ISA-L's deflate output depends on how its input is split across calls; the engines
    hand over lines in batches of their own size, so a different batch size (an engine's,
    or a future one's) must not change the bytes of a file the report's signature covers."""
    engine = DuckEngine(duckdb.connect())
    store_results(
        engine,
        [
            ControlResult(
                f"host-{n:05d}",
                f"c{n % 13}",
                ReportStatus.FAIL,
                None,
                "v1",
                1,
                (),
                "x" * (n % 400),
                "",
            )
            for n in range(12_000)
        ],
    )
    stored = StoredResults(engine)
    files = []
    for batch in (20_000, 1_000, 7):
        monkeypatch.setattr("trails.report.engine.duck.BATCH", batch)
        out = io.BytesIO()
        digest_results(stored, out)
        files.append(out.getvalue())
    assert len(gzip.decompress(files[0])) > 4 * 1024 * 1024  # several of the packer's blocks
    assert files[0] == files[1] == files[2]


def test_results_file_is_in_the_order_of_the_ids_code_points() -> None:
    """The large outputs sort by numbered ids (``load_order``); the numbering is Python's
    order, which must be the order of the ids' UTF-8 bytes, as the engines sort strings:
    not UTF-16's (U+FF61 before U+1F600), nor case-blind, and a prefix first."""
    hosts = ["\U0001f600", "\uff61", "B", "a", "ab", "a\u00e9", "", "h\x00"]
    controls = ["c2", "C1", "c10", "\u00e9", "c"]
    engine = DuckEngine(duckdb.connect())
    given_order = [(h, c) for c in controls for h in hosts]
    store_results(
        engine,
        [ControlResult(h, c, ReportStatus.PASS, None, "", 0, (), "", "") for h, c in given_order],
    )
    out = io.BytesIO()
    digest_results(StoredResults(engine), out)
    lines = [json.loads(line) for line in gzip.decompress(out.getvalue()).splitlines()]
    by_bytes = sorted(given_order, key=lambda p: (p[0].encode(), p[1].encode()))
    assert [(d["host_uuid"], d["control_id"]) for d in lines] == by_bytes
    assert by_bytes[:2] == [("", "C1"), ("", "c")]  # the test orders what it means to


def test_write_behind_keeps_the_order_and_raises_what_fails() -> None:
    written: list[bytes] = []
    write_behind((str(n).encode() for n in range(100)), written.append)
    assert written == [str(n).encode() for n in range(100)]

    def refuse(piece: bytes) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_behind(iter([b"a", b"b"]), refuse)
