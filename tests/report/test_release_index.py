"""The signed release index under --releases: a deleted namespace, an older signed release
put back, an extra release, a narrow index signer, an expired or edited index, and a
missing index all refuse the report, although each release on its own still verifies.

A fresh development PKI (`trails pki`) and the real `trails sign` make every dist/ tree.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from testkit.dist import make_dist
from tests.sign.helpers import CliArg, DevPki, make_dev_pki, run
from trails.formats.dsse import MAX_ENVELOPE_BYTES
from trails.formats.index import INDEX_PAYLOAD_TYPE, IndexEntry, ReleaseIndex, parse_index
from trails.formats.names import INDEX_ENVELOPE
from trails.report.releases import ReleaseRefused, ReleaseTrust, load_releases
from trails.sign.signer import Signer
from trails.verify.core import ReleaseVerifier
from trails.verify.fetch import load_trust_policy

V1, V2 = 20260501000000, 20260601000000
NAMESPACES = ("linux/pci", "linux/web")


def _sign(pki: DevPki, capsys: pytest.CaptureFixture[str], dist: Path, *extra: str) -> None:
    code, _, err = run(
        capsys, "sign", dist, "--key", pki.key("ci"), "--chain", pki.chain("ci"), *extra
    )
    assert code == 0, err


@pytest.fixture
def pki(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> DevPki:
    return make_dev_pki(tmp_path, capsys)


@pytest.fixture
def dist(pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """dist/linux/pci and dist/linux/web at V1, signed together."""
    dist = tmp_path / "dist"
    for ns in NAMESPACES:
        make_dist(dist, ns, version=V1)
    _sign(pki, capsys, dist)
    return dist


def _trust(pki: DevPki, at: datetime | None = None) -> ReleaseTrust:
    return ReleaseTrust(policy=load_trust_policy(pki.roots), at=at or datetime.now(UTC))


def _refused(dist: Path, trust: ReleaseTrust) -> ReleaseRefused:
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, trust)
    assert refused.value.exit_code == 3
    assert "\n" not in str(refused.value)
    return refused.value


def _index(dist: Path) -> ReleaseIndex:
    doc = json.loads((dist / INDEX_ENVELOPE).read_bytes())
    return parse_index(base64.b64decode(doc["payload"]))


def _each_release_verifies(pki: DevPki, dist: Path) -> None:
    """The per-release checks alone accept what is there: only the index can tell."""
    policy = load_trust_policy(pki.roots)
    for directory in sorted(p.parent for p in dist.rglob("release.dsse.json")):
        namespace = directory.relative_to(dist).as_posix()
        verifier = ReleaseVerifier(policy, namespace, None, datetime.now(UTC))
        verifier.verify_envelope((directory / "release.dsse.json").read_bytes())


def test_index_and_releases_verify(pki: DevPki, dist: Path) -> None:
    infos, seen = load_releases(dist, _trust(pki))
    assert [i.release.namespace for i in infos] == list(NAMESPACES)
    assert all(i.release.verified for i in infos)
    listed = {e.namespace: e.manifest_sha256 for e in _index(dist).releases}
    assert listed == {i.release.namespace: i.manifest_sha256 for i in infos}
    # The report carries the index it held the releases to.
    assert seen is not None
    assert seen.releases == len(NAMESPACES)
    assert (seen.created, seen.expires) == (_index(dist).created, _index(dist).expires)
    assert seen.envelope_sha256 == hashlib.sha256((dist / INDEX_ENVELOPE).read_bytes()).hexdigest()
    assert {(seen.signer_subject, seen.signer_fingerprint)} == {
        (i.release.signer_subject, i.release.signer_fingerprint) for i in infos
    }


def test_unverified_releases_carry_no_index(pki: DevPki, dist: Path) -> None:
    bypass = ReleaseTrust(policy=None, at=_trust(pki).at, allow_unverified=True)
    infos, seen = load_releases(dist, bypass)
    assert seen is None
    assert not any(i.release.verified for i in infos)


def test_deleted_namespace_is_refused(pki: DevPki, dist: Path) -> None:
    shutil.rmtree(dist / "linux/web")
    _each_release_verifies(pki, dist)
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == ("linux/web", "index")
    assert str(refused).startswith("release linux/web refused by the index check: ")
    assert f"lists v{V1} but its release.dsse.json is missing" in str(refused)


def test_deleted_envelope_is_refused(pki: DevPki, dist: Path) -> None:
    """The directory and its config files stay; only the signed parts go."""
    (dist / "linux/web/release.dsse.json").unlink()
    assert _refused(dist, _trust(pki)).check == "unsigned"  # manifest.json is still there
    (dist / "linux/web/manifest.json").unlink()
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == ("linux/web", "index")
    assert "release.dsse.json is missing" in str(refused)


def test_older_signed_release_put_back_is_refused(
    pki: DevPki, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sign v1, keep its release directory; sign v2; put v1's directory back under v2's
    index. v1 is genuine and unexpired, so only the index tells it is not current."""
    saved = tmp_path / "v1-pci"
    shutil.copytree(dist / "linux/pci", saved)
    make_dist(dist, "linux/pci", version=V2)
    _sign(pki, capsys, dist)
    assert load_releases(dist, _trust(pki)).infos[0].release.version == V2
    shutil.rmtree(dist / "linux/pci")
    shutil.copytree(saved, dist / "linux/pci")
    _each_release_verifies(pki, dist)
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == ("linux/pci", "index")
    assert f"v{V1} ({V1}-abcdef1) is not the release the signed index lists (v{V2}" in str(refused)


def test_extra_release_directories_are_refused(
    pki: DevPki, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(dist, "linux/dev")  # built, never signed
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == ("linux/dev", "unsigned")
    other = tmp_path / "other"  # signed, but in another run with its own index
    make_dist(other, "linux/dev")
    _sign(pki, capsys, other)
    shutil.rmtree(dist / "linux/dev")
    shutil.copytree(other / "linux/dev", dist / "linux/dev")
    _each_release_verifies(pki, dist)
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == ("linux/dev", "index")
    assert "is not in the signed index" in str(refused)


def test_signing_some_namespaces_indexes_only_those(
    pki: DevPki, dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`trails sign --namespace` indexes the run's releases: the other one is refused until
    the whole tree is signed again."""
    _sign(pki, capsys, dist, "--namespace", "linux/web")
    assert [e.namespace for e in _index(dist).releases] == ["linux/web"]
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == ("linux/pci", "index")
    _sign(pki, capsys, dist)
    assert len(load_releases(dist, _trust(pki)).infos) == 2


def _resign_index(
    dist: Path,
    signer: Signer,
    *,
    created: datetime | None = None,
    expires: datetime | None = None,
) -> None:
    index = _index(dist)
    index = index._replace(
        created=index.created if created is None else created,
        expires=index.expires if expires is None else expires,
    )
    (dist / INDEX_ENVELOPE).write_bytes(signer.sign(index.to_bytes(), INDEX_PAYLOAD_TYPE))


def test_index_signer_must_cover_every_namespace(
    pki: DevPki, dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "pki", "issue-signer", "narrow", "--dir", pki.dir, "--namespace", "linux/pci"
    )
    assert code == 0, err
    _resign_index(dist, Signer.load(pki.key("narrow"), pki.chain("narrow")))
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == (None, "index-namespace-scope")
    assert str(refused).startswith("release index refused by the index-namespace-scope check: ")
    assert "not 'linux/web'" in str(refused)


def test_expired_index_is_refused(pki: DevPki, dist: Path) -> None:
    now = datetime.now(UTC)
    ci = Signer.load(pki.key("ci"), pki.chain("ci"))
    _resign_index(dist, ci, created=now - timedelta(hours=2), expires=now - timedelta(hours=1))
    _each_release_verifies(pki, dist)  # the releases themselves have 30 days left
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == (None, "index-expired")
    assert "release index expired at" in str(refused)


def test_edited_index_is_refused(pki: DevPki, dist: Path) -> None:
    """Dropping a namespace from the list (to hide a deleted directory) breaks the signature."""
    saved = (dist / INDEX_ENVELOPE).read_bytes()
    doc = json.loads(saved)
    payload = json.loads(base64.b64decode(doc["payload"]))
    payload["releases"] = payload["releases"][:1]
    doc["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    (dist / INDEX_ENVELOPE).write_text(json.dumps(doc))
    shutil.rmtree(dist / "linux/web")
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == (None, "index-signature")
    (dist / INDEX_ENVELOPE).write_bytes(b" " * (MAX_ENVELOPE_BYTES + 1))
    assert _refused(dist, _trust(pki)).check == "index-size"
    release = dist / "linux/pci/release.dsse.json"
    (dist / INDEX_ENVELOPE).write_bytes(release.read_bytes())  # a release is no index
    assert _refused(dist, _trust(pki)).check == "index-envelope"


def test_signed_index_the_parser_refuses(pki: DevPki, dist: Path) -> None:
    ci = Signer.load(pki.key("ci"), pki.chain("ci"))
    payload = _index(dist).to_bytes().replace(b'"type"', b'"type": "x", "type"', 1)
    (dist / INDEX_ENVELOPE).write_bytes(ci.sign(payload, INDEX_PAYLOAD_TYPE))
    refused = _refused(dist, _trust(pki))
    assert (refused.namespace, refused.check) == (None, "index")
    assert "repeats the key 'type'" in str(refused)


def test_index_entries_describe_the_release(pki: DevPki, dist: Path) -> None:
    infos = {i.release.namespace: i for i in load_releases(dist, _trust(pki)).infos}
    for entry in _index(dist).releases:
        release = infos[entry.namespace].release
        assert entry == IndexEntry(
            release.namespace, release.version, release.config_version, entry.manifest_sha256
        )


def _report(
    capsys: pytest.CaptureFixture[str], dist: Path, tmp_path: Path, *args: CliArg
) -> tuple[int, str, str]:
    results = tmp_path / "results.log"
    results.write_text("")
    until = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return run(
        capsys,
        *("report", "--results", results, "--releases", dist, "--until", until),
        *("--out", tmp_path / "out", *args),
    )


def test_cli_refuses_a_tree_without_index_and_says_to_re_sign(
    pki: DevPki, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _report(capsys, dist, tmp_path, "--roots", pki.roots)
    assert code == 0, err
    assert "release index is not checked" not in err
    (dist / INDEX_ENVELOPE).unlink()
    shutil.rmtree(tmp_path / "out")
    code, stdout, err = _report(capsys, dist, tmp_path, "--roots", pki.roots, "--json")
    assert code == 3
    assert err.startswith("trails: error: release index refused by the index check: ")
    assert "index.dsse.json is missing" in err
    assert "re-sign the dist/ tree with `trails sign`" in err
    assert err.count("\n") == 1
    assert json.loads(stdout) == {
        "verified": False,
        "namespace": None,
        "version": None,
        "check": "index",
        "reason": err.removeprefix("trails: error: ").strip(),
    }
    assert not (tmp_path / "out").exists()


def test_cli_bypass_needs_no_index_and_says_so(
    pki: DevPki, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dist / INDEX_ENVELOPE).unlink()
    shutil.rmtree(dist / "linux/web")
    code, _, err = _report(
        capsys, dist, tmp_path, "--roots", pki.roots, "--insecure-unverified-releases"
    )
    assert code == 0, err
    assert "warning: the signed release index is not checked" in err
    (release,) = json.loads((tmp_path / "out" / "report.json").read_text())["scope"]["releases"]
    assert (release["namespace"], release["verified"]) == ("linux/pci", True)
