from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shared_data import SHARED_DIR
from trails.errors import UsageError
from trails.osquery.schema import SHIPPED_PATH, load_schema, parse_schema

OFFICIAL = SHARED_DIR / "osquery-schema" / "5.23.1.json"
ROOT = Path(__file__).resolve().parents[2]


def test_shipped_schema_has_facts_and_status_tables() -> None:
    schema = load_schema()
    assert schema.version == "5.23.1"
    file = schema.tables["file"]
    assert file.required_columns == ("path", "directory")
    assert "linux" in file.platforms
    path = file.column("path")
    assert path is not None
    assert path.index
    assert path.type == "text"
    attributes = file.column("attributes")
    assert attributes is not None
    assert attributes.hidden
    assert schema.tables["registry"].platforms == ("windows",)
    status = schema.tables["trails_status"]
    assert status.platforms == ("linux",)
    assert {c.type for c in status.columns} == {"text"}
    assert "osquery_conf_path" in [c.name for c in status.columns]
    assert "trails_audit_rules" in schema.tables
    # column-level platforms are kept (win32/cygwin folded into windows)
    chemistry = schema.tables["battery"].column("chemistry")
    assert chemistry is not None
    assert chemistry.platforms == ("windows",)


def test_shipped_copy_holds_no_descriptions() -> None:
    text = SHIPPED_PATH.read_text()
    assert '"description":' not in text
    assert "Additional macOS user account data" not in text
    assert len(text) < OFFICIAL.stat().st_size / 4


@pytest.mark.skipif(not OFFICIAL.exists(), reason="official schema not present")
def test_official_and_compact_agree_and_generator_reproduces(tmp_path: Path) -> None:
    assert load_schema(OFFICIAL).tables == load_schema().tables
    out = tmp_path / "compact.json"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/gen_osquery_schema.py"), str(OFFICIAL), str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == SHIPPED_PATH.read_bytes()


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"{}", "neither"),
        (b'{"format": "trails.osquery-schema/v1", "tables": {}}', "osquery_version"),
        (b'[{"name": "t"}]', "lacks"),
        (
            b'{"format": "trails.osquery-schema/v1", "osquery_version": "1", '
            b'"tables": {"t": {"platforms": ["linux"], "columns": [["a", "weird", ""]]}}}',
            "unknown type",
        ),
        (
            b'{"format": "trails.osquery-schema/v1", "osquery_version": "1", '
            b'"tables": {"t": {"platforms": ["linux"], "columns": [["a", "text", "x"]]}}}',
            "bad flags",
        ),
        (
            b'{"format": "trails.osquery-schema/v1", "osquery_version": "1", '
            b'"tables": {"t": {"platforms": ["linux"], "columns": []}}}',
            "no columns",
        ),
        (
            b'{"format": "trails.osquery-schema/v1", "osquery_version": "1", '
            b'"tables": {"t": {"platforms": "linux", "columns": [["a", "text", ""]]}}}',
            "platforms",
        ),
        (
            b'{"format": "trails.osquery-schema/v1", "osquery_version": "1", '
            b'"tables": {"bad name": {"platforms": ["linux"], "columns": [["a", "text", ""]]}}}',
            "malformed",
        ),
        (
            b'{"format": "trails.osquery-schema/v1", "osquery_version": "1", '
            b'"tables": {"t": {"platforms": ["linux"], "columns": [["a b", "text", ""]]}}}',
            "identifier",
        ),
        (
            b'{"format": "trails.osquery-schema/v1", "osquery_version": "1", '
            b'"tables": {"t": {"platforms": ["linux"], "columns": [["a"]]}}}',
            "must be",
        ),
    ],
)
def test_bad_schema_documents_are_refused(data: bytes, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        parse_schema(data)


def test_load_schema_errors_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        load_schema(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "nope"}))
    with pytest.raises(UsageError, match="not usable"):
        load_schema(bad)


def test_load_schema_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("trails.osquery.schema.MAX_SCHEMA_BYTES", 10)
    big = tmp_path / "big.json"
    big.write_text("[" + " " * 100 + "]")
    with pytest.raises(UsageError, match="larger than"):
        load_schema(big)
