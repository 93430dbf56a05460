from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from testkit.dist import FILES, make_dist
from tests.sign.helpers import make_dev_pki, run
from trails.errors import UsageError
from trails.models.evidence import control_id_of
from trails.report.releases import read_releases, scheduled_controls


def test_signed_and_unsigned_releases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pki = make_dev_pki(tmp_path, capsys)
    dist = tmp_path / "dist"
    make_dist(dist, "linux/pci")
    code, _, err = run(capsys, "sign", dist, "--key", pki.key("ci"), "--chain", pki.chain("ci"))
    assert code == 0, err
    make_dist(dist, "linux", version=20260601000000)  # built, not signed
    conf = {
        "schedule": {"trails.control.a": {}, "trails.schedule_stats": {}, "other": {}},
        "packs": {"cis": {"queries": {"trails.control.b": {}}}},
    }
    (dist / "linux" / "osquery.conf").write_text(json.dumps(conf))
    infos = {i.release.namespace: i for i in read_releases(dist)}
    assert set(infos) == {"linux", "linux/pci"}
    signed = infos["linux/pci"].release
    assert signed.signer_subject.startswith("CN=")
    assert len(signed.signer_fingerprint) == 64
    assert signed.expires is not None
    assert signed.osquery_conf_sha256 == hashlib.sha256(FILES["osquery.conf"]).hexdigest()
    unsigned = infos["linux"]
    assert unsigned.release.signer_subject == ""
    assert unsigned.release.config_version == "20260601000000-abcdef1"
    assert unsigned.controls == ("a", "b")
    assert unsigned.tags["owner"] == "secops"


def test_bad_release_trees(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a directory"):
        read_releases(tmp_path / "nope")
    dist = tmp_path / "dist"
    make_dist(dist, "linux")
    (dist / "linux" / "osquery.conf").write_text("{not json")
    with pytest.raises(UsageError, match="not an osquery config"):
        read_releases(dist)
    (dist / "linux" / "osquery.conf").write_text("{}")
    (dist / "linux" / "manifest.json").write_text('{"schema": "nope"}')
    with pytest.raises(UsageError, match="release does not parse"):
        read_releases(dist)
    make_dist(dist, "linux")
    (dist / "linux" / "release.dsse.json").write_text('{"payload": "!!"}')
    with pytest.raises(UsageError, match="release does not parse"):
        read_releases(dist)


def test_namespace_must_match_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    make_dist(dist, "linux")
    (dist / "other").mkdir()
    (dist / "linux" / "manifest.json").rename(dist / "other" / "manifest.json")
    with pytest.raises(UsageError, match="names namespace 'linux', not 'other'"):
        read_releases(dist)


def test_control_names() -> None:
    assert control_id_of("trails.control.x.y") == "x.y"
    assert control_id_of("pack_cis_trails.control.z") == "z"
    assert control_id_of("trails.control.") is None
    assert control_id_of("other") is None
    # look-alikes are not the control's results (issue 12 item 8)
    assert control_id_of("audit_helper_trails.control.x") is None
    assert control_id_of("trails.control.x extra") is None
    assert control_id_of("pack_p_q_trails.control.cis-1_2") == "cis-1_2"
    assert scheduled_controls({"schedule": None, "packs": {"p": "junk"}}) == ()
