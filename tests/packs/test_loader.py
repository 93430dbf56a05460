from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.errors import SourceError
from trails.packs import load_pack
from trails.packs.loader import read_yaml

from .conftest import CONTROLS_YAML, PACK_YAML, PackFactory


def test_loads_controls_with_locations(make_pack: PackFactory) -> None:
    pack = load_pack(make_pack() / "demo")
    assert [c.id for c in pack.controls] == ["demo-1", "demo-2", "demo-3"]
    first = pack.controls[0]
    assert first.loc.path.endswith("controls/a.yaml")
    assert first.loc.line == 3
    assert first.fixtures[1].loc.line == 17
    assert first.profiles == (("server", 1),)
    assert first.platforms == ("linux",)
    assert first.refs_for("pci-dss-4.0.1") == ("2.2.6",)
    assert first.automated
    manual = pack.controls[2]
    assert manual.manual == "Needs a person."
    assert not manual.automated
    assert pack.controls[1].level("server") == 2
    assert pack.controls[1].level("workstation") == 1


def test_schema_error_names_the_line(make_pack: PackFactory) -> None:
    bad = CONTROLS_YAML.replace("severity: medium", "severity: extreme")
    with pytest.raises(SourceError) as info:
        load_pack(make_pack(controls_yaml=bad) / "demo")
    # the line of the offending value itself
    assert info.value.loc.line == bad.splitlines().index("    severity: extreme") + 1
    assert "extreme" in str(info.value)


def test_manual_and_check_together_are_refused(make_pack: PackFactory) -> None:
    bad = CONTROLS_YAML.replace(
        "    manual: Needs a person.", "    manual: x\n    check: {audit_loaded: true}"
    )
    with pytest.raises(SourceError):
        load_pack(make_pack(controls_yaml=bad) / "demo")


def test_duplicate_yaml_key_is_refused(make_pack: PackFactory) -> None:
    with pytest.raises(SourceError, match="duplicate key 'id'") as info:
        load_pack(make_pack(pack_yaml=PACK_YAML + "id: demo\n") / "demo")
    assert info.value.loc.line == 7


def test_duplicate_control_id_is_refused(make_pack: PackFactory) -> None:
    bad = CONTROLS_YAML.replace("id: demo-2", "id: demo-1")
    with pytest.raises(SourceError, match="also defined"):
        load_pack(make_pack(controls_yaml=bad) / "demo")


def test_pack_id_must_match_directory(make_pack: PackFactory) -> None:
    with pytest.raises(SourceError, match="directory name"):
        load_pack(make_pack(pack_yaml=PACK_YAML.replace("id: demo", "id: other")) / "demo")


def test_missing_pack_yaml(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"pack\.yaml is missing"):
        load_pack(tmp_path)


def test_wrong_kinds(make_pack: PackFactory) -> None:
    with pytest.raises(SourceError):
        load_pack(make_pack(pack_yaml=PACK_YAML.replace("kind: pack", "kind: controls")) / "demo")
    with pytest.raises(SourceError):
        load_pack(make_pack(controls_yaml="kind: pack\ncontrols: []\n") / "demo")


def test_audit_loaded_needs_groups(make_pack: PackFactory) -> None:
    bad = CONTROLS_YAML.replace("    audit_rules: [time-change]\n", "")
    with pytest.raises(SourceError, match="audit_loaded needs"):
        load_pack(make_pack(controls_yaml=bad) / "demo")


def test_raw_query_no_rows_needs_observe(make_pack: PackFactory) -> None:
    raw = CONTROLS_YAML.replace(
        "check: {sysctl: {kernel.randomize_va_space: '2'}}",
        "check: {query: {sql: 'SELECT name FROM users WHERE uid = 0', evidence: [name],"
        " pass: no_rows}}",
    )
    with pytest.raises(SourceError):
        load_pack(make_pack(controls_yaml=raw) / "demo")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe", "not valid UTF-8"),
        (b"a: [1\n", "malformed YAML"),
        (b"a: 1\na: 2\n", "duplicate key"),
        (b"a: &x [*x]\n", "recursive YAML alias|malformed YAML"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        read_yaml(path)


def test_oversized_and_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (4 * 1024 * 1024 + 1))
    with pytest.raises(SourceError, match="larger than"):
        read_yaml(path)
    with pytest.raises(SourceError, match="cannot read"):
        read_yaml(tmp_path / "absent.yaml")


@given(st.text(max_size=200))
def test_read_yaml_never_crashes(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("y") / "f.yaml"
    path.write_bytes(text.encode("utf-8", "replace"))
    message = ""
    try:
        read_yaml(path)
    except SourceError as exc:
        message = str(exc)
    assert not message or message.startswith(str(path))
