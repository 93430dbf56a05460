from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trails.models.evidence import ReportStatus
from trails.report.build import ReportOptions, report_from_files
from trails.report.catalog import ReportCatalog
from trails.report.model import IntegrityKind
from trails.report.simulate import SimOptions, simulate, synthetic

UNTIL = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fleet")
    simulate(synthetic(30, UNTIL), SimOptions(hosts=300, days=3, until=UNTIL, seed=7), out)
    return out


def test_deterministic_with_seed(tmp_path: Path) -> None:
    namespaces = synthetic(5, UNTIL)
    a = simulate(namespaces, SimOptions(hosts=20, days=2, until=UNTIL, seed=3), tmp_path / "a")
    b = simulate(namespaces, SimOptions(hosts=20, days=2, until=UNTIL, seed=3), tmp_path / "b")
    c = simulate(namespaces, SimOptions(hosts=20, days=2, until=UNTIL, seed=4), tmp_path / "c")
    assert [p.read_bytes() for p in a.files] == [p.read_bytes() for p in b.files]
    assert [p.read_bytes() for p in a.files] != [p.read_bytes() for p in c.files]
    assert a.lines == sum(len(p.read_bytes().splitlines()) for p in a.files)


def test_lines_are_osquery_lines(fleet: Path) -> None:
    kinds = set()
    for path in fleet.glob("*.log"):
        for raw in path.read_text().splitlines()[:2000]:
            doc = json.loads(raw)
            assert {
                "name",
                "hostIdentifier",
                "calendarTime",
                "unixTime",
                "epoch",
                "counter",
            } <= doc.keys()
            assert doc["numerics"] is False
            when = datetime.strptime(doc["calendarTime"], "%a %b %d %H:%M:%S %Y UTC")
            assert when.replace(tzinfo=UTC).timestamp() == int(doc["unixTime"])
            if "snapshot" in doc:
                assert doc["action"] == "snapshot"
                kinds.add("snapshot")
            elif "diffResults" in doc:
                assert set(doc["diffResults"]) == {"added", "removed"}
                kinds.add("batch")
            else:
                assert doc["action"] in ("added", "snapshot")
                kinds.add("event")
            kinds.add("nested" if "decorations" in doc else "top-level")
            kinds.add(type(doc["unixTime"]).__name__)
    assert kinds == {"snapshot", "batch", "event", "nested", "top-level", "int", "str"}


def test_report_from_simulated_fleet(fleet: Path) -> None:
    report = report_from_files(
        [str(fleet / "*.log")],
        ReportCatalog(),
        (),
        ReportOptions(now=UNTIL, silent_after=timedelta(hours=30)),
    )
    assert report.metadata.simulated
    assert report.ingest.simulated_lines == report.ingest.lines
    assert report.ingest.malformed == 0
    assert len(report.hosts) == 300
    counts = report.summary
    for status in (
        ReportStatus.PASS,
        ReportStatus.FAIL,
        ReportStatus.NOT_APPLICABLE,
        ReportStatus.ERROR,
    ):
        assert counts[status] > 0, status
    assert counts[ReportStatus.PASS] > 5 * counts[ReportStatus.FAIL]
    kinds = {f.kind for f in report.integrity}
    assert {
        IntegrityKind.OUTDATED_CONFIG,
        IntegrityKind.VERIFICATION_ERROR,
        IntegrityKind.CONFIG_HASH_MISMATCH,
    } <= kinds
    tampered = [f for f in report.integrity if f.kind is IntegrityKind.CONFIG_HASH_MISMATCH]
    assert len(tampered) == 1
    # The trend covers the window only (24 h ending at noon: two UTC days), not every day
    # the simulated input spans.
    assert [p.day.isoformat() for p in report.trend] == ["2026-11-22", "2026-11-23"]


def test_gzip_output(tmp_path: Path) -> None:
    summary = simulate(
        synthetic(3, UNTIL), SimOptions(hosts=4, days=1, until=UNTIL, compress=True), tmp_path
    )
    assert all(p.name.endswith(".log.gz") for p in summary.files)
    lines = sum(len(gzip.decompress(p.read_bytes()).splitlines()) for p in summary.files)
    assert lines == summary.lines
