from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.formats.manifest import (
    FileEntry,
    Manifest,
    ManifestError,
    format_time,
    parse_manifest,
    parse_time,
)

SCHEMA = json.loads(resources.files("trails.schemas").joinpath("manifest.schema.json").read_text())


def sample(**overrides: Any) -> Manifest:
    fields: dict[str, Any] = {
        "namespace": "linux/pci",
        "version": 20261123091746,
        "config_version": "20261123091746-abc1234",
        "created": datetime(2026, 11, 23, 9, 17, 46, tzinfo=UTC),
        "expires": datetime(2026, 12, 23, 9, 17, 46, tzinfo=UTC),
        "source_repo": "git@example.org:sec/policies.git",
        "source_commit": "abc1234" + "0" * 33,
        "tags": {"org": "acme", "owner": "secops", "owner_group": "sec", "project": "pci"},
        "files": {"osquery.conf": FileEntry("a" * 64, 10), "audit.rules": FileEntry("b" * 64, 0)},
    }
    fields.update(overrides)
    return Manifest(**fields)


def test_round_trip_is_exact() -> None:
    m = sample()
    data = m.to_bytes()
    assert parse_manifest(data) == m
    assert parse_manifest(data).to_bytes() == data
    jsonschema.validate(json.loads(data), SCHEMA)


def test_unsigned_manifest_needs_expires_only_when_asked() -> None:
    data = sample(expires=None).to_bytes()
    with pytest.raises(ManifestError, match="lacks expires"):
        parse_manifest(data)
    assert parse_manifest(data, require_expires=False).expires is None


def mutate(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> bytes:
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(doc).encode()


BAD = [
    (("schema",), "trails.manifest/v2", "schema"),
    (("namespace",), "../etc", "namespace segment"),
    (("namespace",), "a/b/c/d/e/f/g/h/i", "levels deep"),
    (("version",), "20261123091746", "positive integer"),
    (("version",), True, "positive integer"),
    (("version",), -1, "positive integer"),
    (("config_version",), "latest", "TIMESTAMP-SHA"),
    (("created",), "2026-11-23 09:17:46", "RFC 3339"),
    (("expires",), "2026-11-23T09:17:46+01:00", "RFC 3339"),
    (("files",), {}, "1..64"),
    (("files", "../../etc/shadow"), {"sha256": "a" * 64, "size": 1}, "plain file name"),
    (("files", "/etc/passwd"), {"sha256": "a" * 64, "size": 1}, "plain file name"),
    (("files", "osquery.conf", "size"), -1, "size"),
    (("files", "osquery.conf", "size"), 2**40, "size"),
    (("files", "osquery.conf", "sha256"), "A" * 64, "sha256"),
    (("tags", "owner"), KeyError, "lacks owner"),
    (("tags", "extra"), "x", "unknown keys"),
    (("surprise",), 1, "unknown keys"),
    (("source",), [], "JSON object"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD)
def test_refuses_bad_documents_like_the_published_schema(
    path: tuple[str, ...], value: Any, message: str
) -> None:
    doc = json.loads(sample().to_bytes())
    data = mutate(doc, path, value)
    with pytest.raises(ManifestError, match=message):
        parse_manifest(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(data), SCHEMA)


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", b"[]", b"null", b'{"schema": 1'])
def test_refuses_non_json(data: bytes) -> None:
    with pytest.raises(ManifestError):
        parse_manifest(data)


@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(ManifestError):
        parse_manifest(data)


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1)))
def test_time_format_round_trips(t: datetime) -> None:
    t = t.replace(tzinfo=UTC, microsecond=0)
    assert parse_time(format_time(t)) == t


@pytest.mark.parametrize("key", ["version", "files", "namespace"])
def test_duplicate_keys_are_refused_like_in_the_envelope(key: str) -> None:
    text = sample().to_bytes().decode()
    doc = json.loads(text)
    twice = "{" + json.dumps(key) + ": " + json.dumps(doc[key]) + ", " + text.lstrip()[1:]
    with pytest.raises(ManifestError, match=f"manifest repeats the key '{key}'"):
        parse_manifest(twice.encode())
    nested = text.replace('"size": 10', '"size": 10, "size": 99')
    with pytest.raises(ManifestError, match="repeats the key 'size'"):
        parse_manifest(nested.encode())
