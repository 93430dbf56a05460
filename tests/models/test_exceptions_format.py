"""exceptions.json (trails.formats.exceptions): signed, but parsed as hostile anyway."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.formats.exceptions import (
    ControlException,
    ExceptionsError,
    exceptions_bytes,
    parse_exceptions,
)

ONE = ControlException(
    id="EXC-2026-014",
    control="cis-ubuntu2204-5.1.12",
    justification="Legacy payment gateway until CHG-1234",
    approved_by="Jane Doe (CISO)",
    expires=datetime(2027, 10, 1, tzinfo=UTC),
    hosts=("pay-gw-01",),
    owner="payments",
    source="policies/linux/pci/policy.yaml:33",
)


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(exceptions_bytes("linux/pci", [ONE]))
    entry = doc["exceptions"][0]
    for key, value in changes.items():
        if value is None:
            del entry[key]
        else:
            entry[key] = value
    return doc


def test_round_trip() -> None:
    assert parse_exceptions(exceptions_bytes("linux/pci", [ONE]), "linux/pci") == (ONE,)
    assert ONE.covers("x", "pay-gw-01", "payments")
    assert not ONE.covers("pay-gw-01", "x", "other")  # the owner must match too
    assert ONE.in_force(datetime(2027, 9, 30, tzinfo=UTC))
    assert not ONE.in_force(ONE.expires)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "../x"}, "not a plain name"),
        ({"control": "a b"}, "not a control id"),
        ({"justification": "  "}, "non-empty"),
        ({"approved_by": None}, "exactly"),
        ({"expires": "2027-10-01"}, "expires"),
        ({"expires": "2027-02-30T00:00:00Z"}, "not a real date"),
        ({"hosts": "pay-gw-01"}, "hosts"),
        ({"hosts": [""]}, "hosts"),
        ({"extra": 1}, "exactly"),
    ],
)
def test_malformed_entries_are_refused(changes: dict[str, Any], message: str) -> None:
    data = json.dumps(_doc(**changes)).encode()
    with pytest.raises(ExceptionsError, match=message):
        parse_exceptions(data, "linux/pci")


def test_another_namespaces_file_and_unsorted_or_repeated_ids_are_refused() -> None:
    data = exceptions_bytes("linux/pci", [ONE])
    with pytest.raises(ExceptionsError, match="not 'linux/web'"):
        parse_exceptions(data, "linux/web")
    doc = json.loads(data)
    doc["exceptions"] *= 2
    with pytest.raises(ExceptionsError, match="each id once"):
        parse_exceptions(json.dumps(doc).encode(), "linux/pci")
    with pytest.raises(ExceptionsError, match="repeats the key"):
        parse_exceptions(b'{"type": 1, "type": 2}', "linux/pci")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=200) | _json.map(lambda v: json.dumps(v).encode()))
def test_any_input_parses_or_is_refused_with_exceptions_error(data: bytes) -> None:
    try:
        got = parse_exceptions(data, "linux/pci")
    except ExceptionsError as exc:  # a reason to show, never another exception
        reason = str(exc)
    else:  # what parses is what the build would write
        reason = ""
        assert parse_exceptions(exceptions_bytes("linux/pci", got), "linux/pci") == got
    assert reason or got is not None
