from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.models.namespace import (
    ancestors,
    is_namespace,
    namespace_error,
    pattern_error,
    pattern_matches,
)


@pytest.mark.parametrize(
    "ns", ["linux", "linux/pci", "linux/debian/web", "a/b/c/d/e/f/g/h", "x_1-2"]
)
def test_valid_namespaces(ns: str) -> None:
    assert is_namespace(ns)


@pytest.mark.parametrize(
    "ns", ["", "Linux", "linux/", "/linux", "linux//pci", "-x", "a/b/c/d/e/f/g/h/i", "l" * 64, ".."]
)
def test_invalid_namespaces(ns: str) -> None:
    assert namespace_error(ns)


def test_ancestors_root_first() -> None:
    assert ancestors("linux/debian/web") == ["linux", "linux/debian", "linux/debian/web"]


@pytest.mark.parametrize(
    ("pattern", "ns", "expected"),
    [
        ("*", "linux/pci", True),
        ("linux/*", "linux", True),
        ("linux/*", "linux/pci", True),
        ("linux/*", "linuxx/pci", False),
        ("linux/pci", "linux/pci", True),
        ("linux/pci", "linux/pci/web", False),
        ("linux/pci", "linux", False),
        ("lin*", "linux", False),
    ],
)
def test_pattern_matches(pattern: str, ns: str, expected: bool) -> None:
    assert pattern_matches(pattern, ns) is expected


@pytest.mark.parametrize(
    ("pattern", "ok"), [("*", True), ("linux/*", True), ("lin*", False), ("", False)]
)
def test_pattern_error(pattern: str, ok: bool) -> None:
    assert (pattern_error(pattern) is None) is ok


@given(st.text(max_size=80))
def test_namespace_error_is_total(text: str) -> None:
    err = namespace_error(text)
    assert err is None or isinstance(err, str)
    if err is None:
        assert all(pattern_matches(p, text) for p in ("*", text))
