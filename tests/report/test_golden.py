"""A small fixed input -> the exact JSON report checked in next to it.

Regenerate after an intended change with
``TRAILS_UPDATE_GOLDEN=1 pytest tests/report/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.report.factories import CONTROLS, REQUIREMENTS
from trails.report.build import ReportOptions, report_from_files
from trails.report.catalog import ReportCatalog

DATA = Path(__file__).parent / "data" / "golden"


def test_golden_json_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a relative path, so the report names the same file
    Path("results.log").write_bytes((DATA / "results.log").read_bytes())
    report = report_from_files(
        ["results.log"],
        ReportCatalog(controls=CONTROLS, requirements=REQUIREMENTS),
        (),
        ReportOptions(
            now=datetime(2026, 11, 23, 12, tzinfo=UTC),
            since=datetime(2026, 11, 22, 12, tzinfo=UTC),
            title="Golden",
        ),
    )
    got = report.canonical_json()
    golden = DATA / "report.json"
    if os.environ.get("TRAILS_UPDATE_GOLDEN"):
        golden.write_bytes(got)
    assert got == golden.read_bytes()
