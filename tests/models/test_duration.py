"""The one duration grammar (report --silent-after, sign --expires)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.models.duration import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("90m", 5400), ("12h", 43200), ("30d", 2592000), (" 2d ", 172800)],
)
def test_units(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["0h", "h", "12", "1w", "-1d", "1.5h", "1234567d", "12 h"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


@given(st.text(max_size=20))
def test_any_text_is_a_positive_duration_or_none(text: str) -> None:
    duration = parse_duration(text)
    assert duration is None or duration > timedelta(0)
