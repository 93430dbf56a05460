"""The ``exceptions:`` entry checker against the published policy schema, and ``expires``
parsing, over generated input (hypothesis)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from trails.build import policy
from trails.build.exception_entries import (
    KEYS,
    OPTIONAL,
    REQUIRED,
    Problem,
    parse_expires,
    read_exceptions,
)
from trails.formats.manifest import ManifestError, format_time, parse_time
from trails.models.yaml_source import LineDict, LineList

RAW = json.loads(policy.SCHEMA_PATH.read_text())
ITEM = RAW["$defs"]["exception"]
VALIDATOR = jsonschema.Draft202012Validator(RAW)


def test_schema_names_the_keys_the_checker_knows() -> None:
    assert RAW["properties"]["exceptions"]["items"] == {"$ref": "#/$defs/exception"}
    assert tuple(ITEM["required"]) == REQUIRED
    assert set(ITEM["properties"]) == set(KEYS) == {*REQUIRED, *OPTIONAL}
    assert ITEM["additionalProperties"] is False


def _policy(entries: list[Any]) -> policy.PolicyFile:
    doc = LineDict({"exceptions": LineList(entries)})
    doc.line, doc.key_lines = 1, {"exceptions": 1}
    doc["exceptions"].line, doc["exceptions"].item_lines = 1, [2] * len(entries)
    return policy.PolicyFile("linux", Path("p.yaml"), "p.yaml", doc)


# Values near each key's limits, of the right and of wrong types. Strings never end in a
# newline: Python's re (which jsonschema uses) lets `$` match before one, ECMA 262 does not.
_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=300).filter(
    lambda s: not s.endswith("\n")
)
_names = st.sampled_from(["EXC-1", "a", "x" * 64, "x" * 65, "-bad", "EXC 1", "ok.name_2"])
_controls = st.sampled_from(["pci-dss-4.0.1-10.2.1.2-admin-commands", "c" * 129, "bad id"])
_times = st.sampled_from(["2027-03-31", "2027-03-31T12:00:00Z", "soon", "2027-03-31T12:00Z"])
_wrong = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2))
_list = st.lists(st.one_of(_text, st.integers()), max_size=3)
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(_names, _wrong),
    "control": st.one_of(_controls, _wrong),
    "justification": st.one_of(_text, st.text(max_size=2100), _wrong),
    "approved_by": st.one_of(_text, _wrong),
    "expires": st.one_of(_times, _wrong),
    "hosts": st.one_of(_list, _text, _wrong),
    "namespaces": st.one_of(st.lists(st.sampled_from(["linux", "linux/pci"]), max_size=2), _wrong),
    "owner": st.one_of(_text, _wrong),
    "extra": st.just("x"),
}


@st.composite
def _entries(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly complete entries (at most one required key left out), any optional keys."""
    keys = set(REQUIRED) - draw(st.sets(st.sampled_from(REQUIRED), max_size=1))
    keys |= draw(st.sets(st.sampled_from([*OPTIONAL, "extra"])))
    return {k: draw(_VALUES[k]) for k in sorted(keys)}


@settings(max_examples=400, deadline=None)
@given(st.one_of(_entries(), st.dictionaries(st.sampled_from(KEYS), _wrong, max_size=4)))
def test_checker_accepts_exactly_what_the_schema_accepts(raw: dict[str, Any]) -> None:
    """The schema cannot know the packs' controls, the repository's namespaces or the
    clock; on the shape of one entry, the checker and the schema agree."""
    schema_ok = not list(VALIDATOR.iter_errors({"exceptions": [raw]}))
    event(f"schema ok: {schema_ok}")
    found = read_exceptions(_policy([raw]))
    assert (not found.diagnostics) == schema_ok, (raw, found.diagnostics)
    assert bool(found.declared) == schema_ok


@given(st.dates(min_value=date(1970, 1, 1), max_value=date(9999, 12, 30)))
def test_a_date_means_through_the_end_of_that_day_utc(day: date) -> None:
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    assert parse_expires(day) == end
    assert parse_expires(day.isoformat()) == end
    assert format_time(end).endswith("T00:00:00Z")


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_a_utc_time_round_trips_through_the_release_format(when: datetime) -> None:
    aware = when.replace(tzinfo=UTC, microsecond=0)
    assert parse_expires(aware) == aware
    assert parse_expires(format_time(aware)) == aware
    assert parse_time(format_time(parse_expires(aware))) == aware
    # a time without a zone is ambiguous: refused, never guessed
    with pytest.raises(Problem, match="must be UTC") as refused:
        parse_expires(when)
    assert refused.value.code == "exception.expires"


@given(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(["2027-03-31", "2027-02-30", "9999-12-31", "2027-03-31T12:00:00Z"]),
        st.integers(),
        st.floats(),
        st.none(),
    )
)
def test_anything_else_is_a_problem_never_a_crash(value: Any) -> None:
    try:
        parse_expires(value)
    except Problem as exc:
        code = exc.code
    else:
        code = ""
    assert code in ("", "exception.expires", "exception.type")
    assert (code == "") == (isinstance(value, str) and _parses(value))


def _parses(text: str) -> bool:
    """The reference: a real date written YYYY-MM-DD, or what the release format reads."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        try:
            date.fromisoformat(text)
        except ValueError:
            return False
        return text != "9999-12-31"  # the day after does not exist
    try:
        parse_time(text)
    except ManifestError:
        return False
    return True
