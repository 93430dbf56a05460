from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trails.build.templating import render_string, render_tree
from trails.errors import SourceError, SourceLoc
from trails.models.yaml_source import LineDict, LineList, line_of, load_yaml, parse_yaml, read_text


def test_lines_are_kept_for_keys_and_items() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  - {c: 2}\n", "f.yaml")
    assert isinstance(doc, LineDict)
    assert doc.key_lines == {"a": 1, "b": 2}
    assert isinstance(doc["b"], LineList)
    assert doc["b"].item_lines == [3, 4]
    assert line_of(doc, ["b", 1, "c"]) == 4
    assert line_of(doc, ["b", 7]) == 2  # nearest known line
    assert line_of(doc, ["nope"]) == 1


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("a: 1\na: 2\n", 2, "duplicate key 'a' (first on line 1)"),
        ("a: [1\n", 1, "malformed YAML"),
        ("a: &x [*x]\n", 1, "recursive YAML alias"),
        ("a: !!python/object:os.system x\n", 1, "malformed YAML"),
        ("? [1, 2]\n: x\n", 1, "malformed YAML"),
        ("\t- x\n", 1, "malformed YAML"),
    ],
)
def test_bad_yaml_is_one_error_with_a_line(text: str, line: int, needle: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_yaml(text, "f.yaml")
    assert info.value.loc == SourceLoc("f.yaml", line)
    assert needle in info.value.message


def test_alias_bomb_is_refused_before_it_expands() -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    with pytest.raises(SourceError, match="too large once aliases are expanded"):
        parse_yaml("\n".join(lines), "bomb.yaml")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(SourceError, match="nests"):
        parse_yaml("a: " + "[" * 80 + "]" * 80, "deep.yaml")


def test_small_aliases_and_non_string_keys_are_fine() -> None:
    doc = parse_yaml("base: &b {x: 1}\nuse: *b\n3600: [a]\nyes: 1\n", "f.yaml")
    assert doc["use"] == {"x": 1}
    assert doc["3600"] == ["a"]
    assert doc["True"] == 1
    assert parse_yaml("", "empty.yaml") is None


def test_read_text_refusals(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(SourceError, match="larger than"):
        read_text(big, "big.yaml")
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"a: 1\nb: \x00\n")
    with pytest.raises(SourceError) as info:
        read_text(nul, "nul.yaml")
    assert str(info.value) == "nul.yaml:2: binary content (NUL byte); expected text"
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\n\nb: caf\xe9\n")
    with pytest.raises(SourceError, match="valid UTF-8") as info:
        read_text(latin, "latin.yaml")
    assert info.value.loc.line == 3
    with pytest.raises(SourceError, match="cannot read"):
        load_yaml(tmp_path / "missing.yaml", "missing.yaml")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_gives_a_located_error(text: str) -> None:
    error = None
    try:
        parse_yaml(text, "fuzz.yaml")
    except SourceError as exc:
        error = exc
    if error is not None:
        assert error.loc.path == "fuzz.yaml"
        assert error.loc.line >= 1
        assert "\n" not in error.message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused(tmp_path_factory: Any, data: bytes) -> None:
    path = tmp_path_factory.mktemp("b") / "x.yaml"
    path.write_bytes(data)
    error = None
    try:
        load_yaml(path, "x.yaml")
    except SourceError as exc:
        error = exc
    assert error is None or error.loc.path == "x.yaml"


LOC = SourceLoc("p.yaml", 10)


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("{{ missing }}", "undefined template variable: 'missing' is undefined"),
        ("{{ ''.__class__.__mro__ }}", "sandbox violation"),
        ("{{ 'a' * 10**9 }}", "repetition result is too large"),
        ("{{ 2 ** 100000 }}", "an integer of about 100000 bits"),
        ("{{ range(10**9) | list }}", "template failed"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ x.y.z }}", "undefined template variable"),
        ("{% for %}", "template syntax error"),
        ("{{ 'x' | nosuchfilter }}", "template"),
    ],
)
def test_template_errors(template: str, needle: str) -> None:
    with pytest.raises(SourceError) as info:
        render_string(template, {"x": {}}, LOC)
    assert needle in str(info.value)
    assert info.value.loc.path == "p.yaml"


def test_template_syntax_error_line_inside_block_scalar() -> None:
    with pytest.raises(SourceError) as info:
        render_string("line one\n{{ ok }}\n{% if %}", {"ok": 1}, LOC)
    assert info.value.loc.line == 12


def test_render_tree_keeps_lines_and_types() -> None:
    doc = parse_yaml("a: '{{ n }}'\nb: [x, '{{ s }}', 3]\nc: {d: true}\n", "f.yaml")
    out = render_tree(doc, {"n": 5, "s": "y"}, "f.yaml", 1)
    assert out == {"a": "5", "b": ["x", "y", 3], "c": {"d": True}}
    assert out.key_lines == doc.key_lines
    assert out["b"].item_lines == [2, 2, 2]
    assert render_string("plain {text}", {}, LOC) == "plain {text}"
