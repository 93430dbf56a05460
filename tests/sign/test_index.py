"""`trails sign` writes dist/index.dsse.json: the signed set of the run's releases, and
the strict parser of its payload agrees with the published JSON Schema."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from testkit.dist import make_dist
from tests.sign.helpers import DevPki, run
from trails.errors import ExitCode
from trails.formats.index import (
    INDEX_PAYLOAD_TYPE,
    MAX_INDEX_RELEASES,
    IndexEntry,
    IndexFormatError,
    ReleaseIndex,
    parse_index,
)
from trails.formats.manifest import PAYLOAD_TYPE, parse_manifest
from trails.formats.names import INDEX_ENVELOPE
from trails.formats.oids import EKU_CONFIG_SIGNING
from trails.sign.release import sign_dist
from trails.sign.signer import Signer
from trails.verify.core import TrustPolicy, verify_dsse
from trails.verify.trust import load_roots

SCHEMA = json.loads(resources.files("trails.schemas").joinpath("index.schema.json").read_text())
T0 = datetime(2026, 5, 1, tzinfo=UTC)
ENTRY = IndexEntry("linux/pci", 20260501000000, "20260501000000-abcdef1", "ab" * 32)


def _sign(dev_pki: DevPki, capsys: pytest.CaptureFixture[str], dist: Path, *extra: str) -> str:
    code, out, err = run(
        capsys, "sign", dist, "--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci"), *extra
    )
    assert code == 0, err
    return out


def _index_payload(dev_pki: DevPki, dist: Path) -> bytes:
    policy = TrustPolicy(roots=load_roots(dev_pki.roots.read_bytes()))
    payload, signer = verify_dsse(
        (dist / INDEX_ENVELOPE).read_bytes(),
        INDEX_PAYLOAD_TYPE,
        policy,
        datetime.now(UTC),
        eku=EKU_CONFIG_SIGNING,
    )
    assert signer.subject.startswith("CN=ci")
    return payload


def _release_payload(dev_pki: DevPki, dist: Path, namespace: str) -> bytes:
    policy = TrustPolicy(roots=load_roots(dev_pki.roots.read_bytes()))
    envelope = (dist / namespace / "release.dsse.json").read_bytes()
    payload, _ = verify_dsse(
        envelope, PAYLOAD_TYPE, policy, datetime.now(UTC), eku=EKU_CONFIG_SIGNING
    )
    return payload


def test_sign_writes_a_signed_index_of_every_release(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    make_dist(dist, "linux/web", version=20260502000000)
    make_dist(dist, "linux/pci")
    out = _sign(dev_pki, capsys, dist, "--expires", "12h")
    assert f"signed the index of 2 releases: {dist / INDEX_ENVELOPE}" in out
    payload = _index_payload(dev_pki, dist)
    doc = json.loads(payload)
    jsonschema.validate(doc, SCHEMA)
    index = parse_index(payload)
    assert payload == index.to_bytes()  # canonical JSON
    assert [e.namespace for e in index.releases] == ["linux/pci", "linux/web"]
    for entry in index.releases:
        release = _release_payload(dev_pki, dist, entry.namespace)
        manifest = parse_manifest(release)
        assert entry.manifest_sha256 == hashlib.sha256(release).hexdigest()
        assert (entry.version, entry.config_version) == (manifest.version, manifest.config_version)
        assert manifest.expires == index.expires  # the same --expires as the releases
    index_x5c = json.loads((dist / INDEX_ENVELOPE).read_bytes())["x5c"]
    assert index_x5c == json.loads((dist / "linux/pci/release.dsse.json").read_bytes())["x5c"]
    now = datetime.now(UTC)
    assert now - timedelta(minutes=5) < index.created <= now
    assert index.expires - index.created == timedelta(hours=12)


def test_index_lists_only_the_namespaces_signed_in_the_run(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    make_dist(dist, "linux/web")
    code, out, err = run(
        capsys,
        *("sign", dist, "--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci")),
        *("--namespace", "linux/web", "--json"),
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["index"]["path"] == str(dist / INDEX_ENVELOPE)
    assert doc["index"]["namespaces"] == ["linux/web"]
    assert doc["index"]["expires"] == doc["releases"][0]["expires"]
    index = parse_index(_index_payload(dev_pki, dist))
    assert [e.namespace for e in index.releases] == ["linux/web"]


def test_refused_sign_writes_no_index(
    dev_pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    make_dist(dist, "windows/pci")  # not covered by linux/*
    args = ("--key", dev_pki.key("ci"), "--chain", dev_pki.chain("ci"))
    code, _, err = run(capsys, "sign", dist, *args)
    assert code == ExitCode.USAGE, err
    assert not (dist / INDEX_ENVELOPE).exists()
    assert not (dist / "linux/pci/release.dsse.json").exists()


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(ReleaseIndex(T0, T0 + timedelta(days=30), (ENTRY,)).to_bytes())
    doc.update(changes)
    return doc


def _entry(**changes: Any) -> dict[str, Any]:
    return {**ENTRY._asdict(), **changes}


def test_round_trip_is_exact() -> None:
    index = ReleaseIndex(T0, T0 + timedelta(days=1), (ENTRY, ENTRY._replace(namespace="linux")))
    data = index.to_bytes()
    parsed = parse_index(data)
    assert parsed.releases == tuple(sorted(index.releases))
    assert parsed.to_bytes() == data
    jsonschema.validate(json.loads(data), SCHEMA)


@pytest.mark.parametrize(
    "doc",
    [
        _doc(type="trails.manifest/v1"),
        _doc(extra=1),
        {k: v for k, v in _doc().items() if k != "expires"},
        _doc(created="2026-05-01 00:00:00"),
        _doc(releases=[]),
        _doc(releases={}),
        _doc(releases=[_entry(namespace="Linux/PCI")]),
        _doc(releases=[_entry(namespace="../etc")]),
        _doc(releases=[_entry(version=0)]),
        _doc(releases=[_entry(version="1")]),
        _doc(releases=[_entry(config_version="latest")]),
        _doc(releases=[_entry(manifest_sha256="AB" * 32)]),
        _doc(releases=[_entry(extra=1)]),
        _doc(releases=[ENTRY._asdict()] * (MAX_INDEX_RELEASES + 1)),
    ],
)
def test_refuses_bad_documents_like_the_published_schema(doc: dict[str, Any]) -> None:
    with pytest.raises(IndexFormatError):
        parse_index(json.dumps(doc).encode())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        (_doc(releases=[ENTRY._asdict(), ENTRY._asdict()]), "each one once"),
        (_doc(releases=[_entry(namespace="linux/web"), ENTRY._asdict()]), "sorted"),
        (_doc(expires="2026-04-01T00:00:00Z"), "expires before"),
        (_doc(created="2026-13-01T00:00:00Z"), "not a real date"),
    ],
)
def test_rules_beyond_the_schema(doc: dict[str, Any], needle: str) -> None:
    with pytest.raises(IndexFormatError, match=needle):
        parse_index(json.dumps(doc).encode())


def test_refuses_duplicate_keys_and_non_json() -> None:
    data = ReleaseIndex(T0, T0 + timedelta(days=1), (ENTRY,)).to_bytes()
    twice = data.replace(b'"type"', b'"type": "x",\n  "type"', 1)
    with pytest.raises(IndexFormatError, match="repeats the key 'type'"):
        parse_index(twice)
    for bad in (b"\xff", b"[" * 100_000, b"not json", b"[]"):
        with pytest.raises(IndexFormatError):
            parse_index(bad)


def _parses_or_refuses_in_one_line(data: bytes) -> None:
    """Only IndexFormatError, with a one-line message; what parses re-encodes to itself."""
    try:
        index = parse_index(data)
    except IndexFormatError as exc:
        message = str(exc)
    else:
        assert parse_index(index.to_bytes()) == index
        return
    assert message.startswith("index ")
    assert "\n" not in message


@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    _parses_or_refuses_in_one_line(data)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    )
)
def test_arbitrary_json_releases_never_crash(releases: Any) -> None:
    _parses_or_refuses_in_one_line(json.dumps(_doc(releases=releases)).encode())


def test_sign_dist_signs_the_releases_then_their_index(dev_pki: DevPki, tmp_path: Path) -> None:
    """The library entry point (the benchmarks use it) writes the same index as the CLI."""
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    signer = Signer.load(dev_pki.key("ci"), dev_pki.chain("ci"))
    now = datetime.now(UTC).replace(microsecond=0)
    signed = sign_dist(dist, signer, expires=now + timedelta(days=1), now=now)
    assert [r.namespace for r in signed] == ["linux/pci"]
    index = parse_index(_index_payload(dev_pki, dist))
    assert (index.created, index.expires) == (now, now + timedelta(days=1))
    release = _release_payload(dev_pki, dist, "linux/pci")
    assert index.releases == (IndexEntry.of(parse_manifest(release)),)
