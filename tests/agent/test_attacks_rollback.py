"""Issue 12 item 5: rollback, dropped files, replayed signatures and ambiguous manifests.

Served by a real loopback mirror to a host that already runs v100. Each test asserts
the refusal (error class, exit code, status row) or the outcome AND the installed
files (bytes, mode, owner, symlinks), the agent state and the kernel's trails rules.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from testkit.kernel import kernel_rules
from testkit.repo import NOW
from tests.agent.conftest import Host
from tests.agent.test_attacks import refused
from trails.agent.apply import ReloadError
from trails.errors import ExitCode
from trails.verify import errors as verr

pytestmark = pytest.mark.kernel


def _failing_reload(h: Host) -> None:
    h.config_path.write_text(h.config_path.read_text() + "osquery_reload: ['false']\n")


def _meta(path: Path) -> tuple[int, int, int, bool]:
    st = path.lstat()
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, stat.S_ISLNK(st.st_mode)


def test_rollback_restores_mode_and_owner(installed: Host) -> None:
    h = installed
    # The admin gave the files other owners and modes (e.g. osquery runs as a group).
    os.chown(h.osquery_conf, 4242, 4343)
    h.osquery_conf.chmod(0o600)
    os.chown(h.rules_file, 0, 4343)
    h.rules_file.chmod(0o600)
    before_meta = {p: _meta(p) for p in (h.osquery_conf, h.rules_file)}
    h.repo.publish(101, h.files(101))
    _failing_reload(h)
    err = refused(h, ReloadError, "reload command false failed")
    assert err.exit_code == ExitCode.TRANSPORT
    assert {p: _meta(p) for p in before_meta} == before_meta


def test_rollback_never_follows_a_symlinked_target(installed: Host, tmp_path: Path) -> None:
    h = installed
    secret = tmp_path / "shadow"
    secret.write_bytes(b"root:$6$secret-hash:19000::::::\n")
    secret.chmod(0o600)
    h.osquery_conf.unlink()
    h.osquery_conf.symlink_to(secret)
    h.repo.publish(101, h.files(101))
    _failing_reload(h)
    refused(h, ReloadError, "reload command false failed")
    # The link is back as a link: the secret's bytes were never copied into a
    # world-readable osquery.conf, and the secret itself is untouched.
    assert h.osquery_conf.is_symlink()
    assert os.readlink(h.osquery_conf) == str(secret)
    assert secret.read_bytes() == b"root:$6$secret-hash:19000::::::\n"
    assert _meta(secret)[0] == 0o600


def test_release_without_audit_rules_removes_the_old_rules_file(installed: Host) -> None:
    h = installed
    files = h.files(101)
    del files["audit.rules"]
    h.repo.publish(101, files)
    result = h.agent().run()
    assert result.outcome == "installed"
    assert result.audit_rules_loaded == 0
    # Left in rules.d, the old rules would come back at the next boot (augenrules).
    assert not h.rules_file.exists()
    assert kernel_rules(h.key) == []
    state = json.loads(h.state_file.read_text())
    assert list(state["installed"]) == [str(h.osquery_conf)]
    assert state["loaded_rules"] == []


def test_dropped_rules_file_comes_back_on_rollback(installed: Host) -> None:
    h = installed
    mode = _meta(h.rules_file)
    files = h.files(101)
    del files["audit.rules"]
    h.repo.publish(101, files)
    _failing_reload(h)
    refused(h, ReloadError, "reload command false failed")
    assert _meta(h.rules_file) == mode
    assert len(kernel_rules(h.key)) == 2


def test_older_signature_of_the_same_version_cannot_move_expires_back(installed: Host) -> None:
    h = installed
    first = h.repo.published[0]  # v100, expires in 7 days
    h.repo.publish(100, h.files(100), expires=NOW + timedelta(days=30))
    assert h.agent().run().outcome == "renewed"
    h.repo.put_envelope(first)  # a mirror replays the older signature of v100
    err = refused(h, verr.RollbackError, "expires .* before the installed signature")
    assert err.exit_code == ExitCode.VERIFICATION_REFUSED
    assert json.loads(h.state_file.read_text())["expires"] == (NOW + timedelta(days=30)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


@pytest.mark.parametrize("key", ["version", "files", "expires"])
def test_manifest_with_a_duplicate_key_is_refused(installed: Host, key: str) -> None:
    h = installed
    doc = h.repo.manifest(101, h.files(101)).to_dict()
    decoy = {"version": 1, "files": {}, "expires": "2000-01-01T00:00:00Z"}[key]
    # Python's json keeps the last value, other parsers the first: one signed payload
    # that means two releases. Refused like a duplicate key in the envelope.
    text = json.dumps(doc)
    payload = ("{" + json.dumps(key) + ": " + json.dumps(decoy) + ", " + text[1:]).encode()
    h.repo.put_envelope(h.repo.sign(payload))
    for name, data in h.files(101).items():
        h.repo.put_file(name, data)
    err = refused(h, verr.ManifestInvalidError, f"repeats the key '{key}'")
    assert err.exit_code == ExitCode.VERIFICATION_REFUSED
