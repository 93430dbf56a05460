"""``load_releases``: every release under --releases is verified before a report uses it.

The generated vectors (scripts/gen_test_vectors.py) are laid out as a dist/ tree and
judged at their reference time, so each attack the agent refuses is refused here too,
naming the same check.
"""

from __future__ import annotations

import base64
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.hashes import SHA256

from testkit.dist import make_dist
from tests.sign.helpers import make_dev_pki, run
from tests.verify_core.conftest import CASES, REFERENCE_TIME, VECTORS, load_case
from trails.errors import TransportError, UsageError
from trails.formats.dsse import MAX_ENVELOPE_BYTES
from trails.formats.index import INDEX_PAYLOAD_TYPE, IndexEntry, ReleaseIndex
from trails.formats.manifest import parse_manifest
from trails.formats.names import INDEX_ENVELOPE
from trails.report.releases import (
    MAX_RELEASE_FILE,
    ReleaseRefused,
    ReleaseTrust,
    load_releases,
    read_releases,
)
from trails.sign.signer import Signer
from trails.verify.core import TrustPolicy
from trails.verify.fetch import load_trust_policy
from trails.verify.trust import load_crls, load_roots

NAMESPACE = "linux/pci"
# The agent-state checks (rollback, equivocation) need stored state; a report has none.
STATELESS = sorted(name for name, case in CASES.items() if case["state"] is None)
# The vectors' good release and signer, which signs the index of a vector dist/ tree.
VECTOR_SIGNER = Signer.load(
    VECTORS / "pki" / "signer-p256.key.pem", VECTORS / "pki" / "signer-p256.chain.pem"
)
GOOD_ENTRY = IndexEntry.of(parse_manifest((VECTORS / "release" / "manifest.json").read_bytes()))


def write_index(
    dist: Path,
    entries: tuple[IndexEntry, ...] = (GOOD_ENTRY,),
    *,
    signer: Signer = VECTOR_SIGNER,
    expires: datetime = REFERENCE_TIME + timedelta(days=30),
) -> None:
    """dist/index.dsse.json listing ``entries``, signed as `trails sign` signs it."""
    index = ReleaseIndex(REFERENCE_TIME - timedelta(days=31), expires, tuple(sorted(entries)))
    (dist / INDEX_ENVELOPE).write_bytes(signer.sign(index.to_bytes(), INDEX_PAYLOAD_TYPE))


def vector_dist(tmp_path: Path, name: str = "good-p256") -> Path:
    """dist/linux/pci holding the vector release files and the envelope ``name``, and a
    signed index listing the good release."""
    dist = tmp_path / "dist"
    release = dist / NAMESPACE
    release.mkdir(parents=True)
    for path in (VECTORS / "release").iterdir():
        shutil.copy(path, release / path.name)
    (release / "manifest.json").unlink()  # a signed release needs only its envelope
    shutil.copy(VECTORS / "envelopes" / f"{name}.dsse.json", release / "release.dsse.json")
    write_index(dist)
    return dist


def trust(policy: TrustPolicy | None = None, **kw: bool) -> ReleaseTrust:
    return ReleaseTrust(
        policy=policy if policy is not None else load_case("good-p256").policy,
        at=REFERENCE_TIME,
        allow_unverified=kw.get("allow_unverified", False),
    )


@pytest.mark.parametrize("name", STATELESS)
def test_every_vector_is_judged_as_the_agent_judges_it(tmp_path: Path, name: str) -> None:
    case = load_case(name)
    dist = vector_dist(tmp_path, name)
    if case.check is None:
        (info,) = load_releases(dist, trust(case.policy)).infos
        assert info.release.verified is True
        assert info.release.namespace == NAMESPACE
        assert info.release.signer_subject.startswith("CN=")
        return
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, trust(case.policy))
    assert refused.value.check == case.check
    assert refused.value.namespace == NAMESPACE
    message = str(refused.value)
    assert message.startswith(f"release {NAMESPACE} refused by the {case.check} check: ")
    assert "\n" not in message
    assert refused.value.exit_code == 3


def test_verified_release_carries_the_signed_facts(tmp_path: Path) -> None:
    (info,) = load_releases(vector_dist(tmp_path), trust()).infos
    release = info.release
    manifest = json.loads((VECTORS / "release" / "manifest.json").read_text())
    assert release.verified is True
    assert release.config_version == manifest["config_version"]
    assert release.osquery_conf_sha256 == manifest["files"]["osquery.conf"]["sha256"]
    assert len(release.signer_fingerprint) == 64
    assert release.to_dict()["verified"] is True


def test_reference_time_is_the_window_end(tmp_path: Path) -> None:
    """The vector release expired on 2026-07-01: still evidence for a window that ended
    before, refused for one that ends after."""
    dist = vector_dist(tmp_path)
    policy = load_case("good-p256").policy
    later = ReleaseTrust(policy=policy, at=REFERENCE_TIME + timedelta(days=45))
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, later)
    assert refused.value.check == "expired"
    assert load_releases(dist, trust(policy)).infos[0].release.verified


@pytest.mark.parametrize(
    ("name", "data", "check"),
    [
        ("osquery.conf", b'{\n  "schedule": {"x": {}}\n}\n', "file-size"),
        ("osquery.conf", b'{\n  "schedule": []\n}\n', "file-hash"),  # same size
        ("audit.rules", b"-w /etc/shadow -p r  -k trails-identity\n", "file-hash"),
    ],
)
def test_file_next_to_the_release_must_match_the_manifest(
    tmp_path: Path, name: str, data: bytes, check: str
) -> None:
    dist = vector_dist(tmp_path)
    original = (dist / NAMESPACE / name).read_bytes()
    assert len(data) == len(original) or check == "file-size"
    (dist / NAMESPACE / name).write_bytes(data)
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, trust())
    assert refused.value.check == check
    assert name in str(refused.value)


def test_missing_files_are_not_evidence_but_not_an_error(tmp_path: Path) -> None:
    dist = vector_dist(tmp_path)
    (dist / NAMESPACE / "audit.rules").unlink()
    (dist / NAMESPACE / "osquery.conf").unlink()
    (info,) = load_releases(dist, trust()).infos
    assert info.release.verified
    assert info.controls == ()


def test_unsigned_osquery_conf_next_to_a_release_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A signed manifest that does not name osquery.conf cannot vouch for the one beside it."""
    pki = make_dev_pki(tmp_path, capsys)
    dist = tmp_path / "dist"
    make_dist(dist, "linux/web")
    manifest = json.loads((dist / "linux/web/manifest.json").read_text())
    del manifest["files"]["osquery.conf"]
    (dist / "linux/web/manifest.json").write_text(json.dumps(manifest))
    code, _, err = run(capsys, "sign", dist, "--key", pki.key("ci"), "--chain", pki.chain("ci"))
    assert code == 0, err
    policy = load_trust_policy(pki.roots)
    now = ReleaseTrust(policy=policy, at=datetime.now(UTC))
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, now)
    assert refused.value.check == "file-name"
    (dist / "linux/web/osquery.conf").unlink()
    (info,) = load_releases(dist, now).infos
    assert info.release.verified
    assert info.release.osquery_conf_sha256 == ""


def test_built_but_unsigned_release_needs_the_bypass(tmp_path: Path) -> None:
    dist = vector_dist(tmp_path)
    make_dist(dist, "linux")  # manifest.json only
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, trust())
    assert refused.value.check == "unsigned"
    assert refused.value.namespace == "linux"
    assert "--insecure-unverified-releases" in str(refused.value)
    infos = {
        i.release.namespace: i.release
        for i in load_releases(dist, trust(allow_unverified=True)).infos
    }
    assert infos["linux"].verified is False
    assert infos[NAMESPACE].verified is True  # signed ones are still verified


def test_bypass_never_excuses_a_failed_check(tmp_path: Path) -> None:
    dist = vector_dist(tmp_path, "forged-signature")
    with pytest.raises(ReleaseRefused, match="signature"):
        load_releases(dist, trust(allow_unverified=True))


def test_no_roots_needs_the_bypass_and_then_verifies_nothing(tmp_path: Path) -> None:
    dist = vector_dist(tmp_path, "forged-signature")
    with pytest.raises(UsageError, match="--roots"):
        load_releases(dist, ReleaseTrust(policy=None, at=REFERENCE_TIME))
    (info,) = load_releases(
        dist, ReleaseTrust(policy=None, at=REFERENCE_TIME, allow_unverified=True)
    ).infos
    assert info.release.verified is False
    assert read_releases(dist)[0].release == info.release


def test_oversized_envelope_is_refused_unread(tmp_path: Path) -> None:
    dist = vector_dist(tmp_path)
    (dist / NAMESPACE / "release.dsse.json").write_bytes(b" " * (MAX_ENVELOPE_BYTES + 1))
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, trust())
    assert refused.value.check == "size"


def test_edited_payload_is_refused_even_when_it_still_parses(tmp_path: Path) -> None:
    """The freeze attack of the demo: a mirror stretches the expiry of a genuine release."""
    dist = vector_dist(tmp_path)
    path = dist / NAMESPACE / "release.dsse.json"
    envelope = json.loads(path.read_text())
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["expires"] = "2099-01-01T00:00:00Z"
    envelope["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    path.write_text(json.dumps(envelope))
    assert read_releases(dist)[0].release.expires is not None  # unverified reading takes it
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, trust())
    assert refused.value.check == "signature"


def test_load_trust_policy_from_files(tmp_path: Path) -> None:
    roots = VECTORS / "pki" / "root.pem"
    policy = load_trust_policy(roots, [VECTORS / "pki" / "crl-good.pem"])
    assert policy.roots == load_roots(roots.read_bytes())
    crl = (VECTORS / "pki" / "crl-good.pem").read_bytes()
    assert [c.fingerprint(SHA256()) for c in policy.crls] == [
        c.fingerprint(SHA256()) for c in load_crls(crl)
    ]
    assert not policy.require_crl
    big = tmp_path / "big.pem"
    big.write_bytes(roots.read_bytes() + b"\n" * (1024 * 1024))
    with pytest.raises(UsageError, match="larger than"):
        load_trust_policy(big)
    with pytest.raises(TransportError, match="cannot read"):
        load_trust_policy(tmp_path / "missing.pem")
    with pytest.raises(UsageError, match="not a directory"):
        load_releases(tmp_path / "nope", trust())


def test_unverified_reading_is_still_bounded_and_strict(tmp_path: Path) -> None:
    dist = vector_dist(tmp_path, "x5c-garbage")
    with pytest.raises(UsageError, match="no readable signer certificate"):
        read_releases(dist)
    (dist / NAMESPACE / "release.dsse.json").write_bytes(b" " * (MAX_RELEASE_FILE + 1))
    with pytest.raises(UsageError, match="larger than"):
        read_releases(dist)


def test_a_window_before_the_signer_validity_says_to_use_the_dist_tree_of_then(
    tmp_path: Path,
) -> None:
    """A report for a past window, against today's dist/ (signed by a newer certificate):
    the refusal says why and what to do (issue 15 item 5)."""
    dist = vector_dist(tmp_path)
    policy = load_case("good-p256").policy
    at = VECTOR_SIGNER.not_before - timedelta(days=30)
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, ReleaseTrust(policy=policy, at=at))
    message = str(refused.value)
    assert refused.value.check == "certificate-expired"
    assert "the report window ends 2025-12-01T23:55:00Z, before the signer's validity" in message
    assert "from 2025-12-31T23:55:00Z" in message
    assert "the dist/ tree that was live then" in message
    assert "\n" not in message
