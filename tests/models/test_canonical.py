from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.models.canonical import DuplicateKeyError, canonical_json, loads_unique

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_loads_unique_reads_what_canonical_json_writes(doc: object) -> None:
    assert loads_unique(canonical_json(doc)) == doc


@pytest.mark.parametrize(
    "text",
    ['{"a": 1, "a": 2}', '{"x": {"k": 1, "k": 1}}', '[{"payload": "", "payload": "x"}]'],
)
def test_a_repeated_key_is_refused_at_any_depth(text: str) -> None:
    assert json.loads(text)  # the standard library quietly keeps the last value
    with pytest.raises(DuplicateKeyError, match="repeats the key"):
        loads_unique(text)


def test_options_reach_json_loads() -> None:
    def refuse(name: str) -> None:
        raise ValueError(name)

    with pytest.raises(ValueError, match="NaN"):
        loads_unique("[NaN]", parse_constant=refuse)
