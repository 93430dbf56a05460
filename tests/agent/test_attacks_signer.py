"""Issue 12 item 1: a compromised signer must not lock hosts forever.

The attacker holds a valid signer key (later revoked). Each test asserts the refusal
or the recovery (error class, exit code, status row) AND the installed files, the
agent state and the kernel's trails rules.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

import pytest

from testkit.kernel import kernel_rules
from testkit.repo import NOW
from tests.agent.conftest import Host
from tests.agent.test_attacks import _with_crl, refused
from trails.errors import ExitCode
from trails.sign.signer import Signer
from trails.verify import errors as verr

pytestmark = pytest.mark.kernel


def stamp(t: datetime) -> int:
    """The version ``trails build`` gives a commit made at ``t``."""
    return int(t.strftime("%Y%m%d%H%M%S"))


def status(h: Host) -> tuple[str, str, str]:
    con = sqlite3.connect(h.status_db)
    ((result, error, version),) = con.execute(
        "SELECT last_result, last_error, version FROM status"
    ).fetchall()
    return result, error, version


def state_version(h: Host) -> int:
    return int(json.loads(h.state_file.read_text())["version"])


# -- the version and expiry a signer may claim -------------------------------------------


def test_version_far_beyond_created_is_refused(installed: Host) -> None:
    h = installed
    h.repo.publish(999_999_999_999_999, h.files(101))
    err = refused(h, verr.VersionCreatedError, "later than its created time")
    assert err.exit_code == ExitCode.VERIFICATION_REFUSED


def test_version_a_little_beyond_created_is_refused(installed: Host) -> None:
    h = installed
    h.repo.publish(stamp(NOW + timedelta(hours=1)), h.files(101), created=NOW)
    refused(h, verr.VersionCreatedError, "later than its created time")


def test_version_equal_to_created_installs(installed: Host) -> None:
    h = installed
    h.repo.publish(stamp(NOW), h.files(101), created=NOW)
    assert h.agent().run().version == stamp(NOW)


def test_created_after_signer_not_after_is_refused(installed: Host) -> None:
    h = installed
    signer = h.repo.pki.signer(days=30)
    late = signer.not_after + timedelta(days=1)
    h.repo.publish(stamp(late), h.files(101), created=late, signer=signer)
    refused(h, verr.CreatedOutsideCertificateError, "outside its signer certificate")


def test_created_before_signer_not_before_is_refused(installed: Host) -> None:
    h = installed
    early = NOW - timedelta(days=2)
    h.repo.publish(stamp(early), h.files(101), created=early)
    refused(h, verr.CreatedOutsideCertificateError, "outside its signer certificate")


def test_created_in_the_future_is_refused(installed: Host) -> None:
    h = installed
    future = NOW + timedelta(days=20)  # inside the signer's 90 days
    h.repo.publish(stamp(future), h.files(101), created=future)
    refused(h, verr.CreatedOutsideCertificateError, "in the future")


def test_expires_after_signer_not_after_is_refused(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101), expires=datetime(2099, 1, 1, tzinfo=NOW.tzinfo))
    refused(h, verr.ExpiresAfterCertificateError, "after its signer certificate")


# -- a revoked installed release -----------------------------------------------------------


def _compromise(h: Host) -> Signer:
    """The attacker's signer installs a release with the highest version it can claim."""
    evil = h.repo.pki.signer()
    h.repo.publish(stamp(NOW), h.files(666), signer=evil)
    assert h.agent().run().outcome == "installed"
    assert state_version(h) == stamp(NOW)
    return evil


def _revoke(h: Host, signer: Signer) -> None:
    """Publish current CRLs (intermediate and root) that revoke ``signer``; require them."""
    p = h.repo.pki
    _with_crl(h, p.crl((signer.leaf.serial_number,)) + p.crl(issuer=p.root))


def _set(h: Host, line: str) -> None:
    h.config_path.write_text(h.config_path.read_text() + line + "\n")


def test_revoked_installed_release_restores_the_previous_one_on_a_304(installed: Host) -> None:
    h = installed
    good = {p: p.read_bytes() for p in (h.osquery_conf, h.rules_file)}
    good_kernel = kernel_rules(h.key)
    evil = _compromise(h)
    _revoke(h, evil)
    with pytest.raises(verr.InstalledRevokedError, match="revoked") as info:
        h.agent().run()
    assert info.value.exit_code == ExitCode.REVOKED
    assert "restored v100" in str(info.value)
    assert {p: p.read_bytes() for p in good} == good
    assert kernel_rules(h.key) == good_kernel
    assert state_version(h) == 100
    result, error, version = status(h)
    assert (result, error, version) == ("revoked", str(info.value), "100")


def test_revoked_installed_release_is_kept_when_configured(installed: Host) -> None:
    h = installed
    evil = _compromise(h)
    _set(h, "on_revoked: keep")
    _revoke(h, evil)
    before = h.snapshot()
    with pytest.raises(verr.InstalledRevokedError, match="kept") as info:
        h.agent().run()
    assert info.value.exit_code == ExitCode.REVOKED
    assert h.snapshot() == before
    assert status(h)[0] == "revoked"


def test_revoked_installed_release_is_removed_when_configured(installed: Host) -> None:
    h = installed
    evil = _compromise(h)
    _set(h, "on_revoked: remove")
    _revoke(h, evil)
    with pytest.raises(verr.InstalledRevokedError, match="removed"):
        h.agent().run()
    assert not h.osquery_conf.exists()
    assert not h.rules_file.exists()
    assert kernel_rules(h.key) == []
    assert not h.state_file.exists()
    assert status(h)[0] == "revoked"


def test_revoked_without_a_previous_release_removes(host: Host) -> None:
    h = host
    evil = h.repo.pki.signer()
    h.repo.publish(stamp(NOW), h.files(666), signer=evil)
    assert h.agent().run().outcome == "installed"
    _revoke(h, evil)
    with pytest.raises(verr.InstalledRevokedError, match="removed"):
        h.agent().run()
    assert not h.osquery_conf.exists()
    assert kernel_rules(h.key) == []


def test_previous_release_revoked_too_removes(installed: Host) -> None:
    h = installed
    evil = h.repo.pki.signer()
    h.repo.publish(stamp(NOW) - 1, h.files(665), signer=evil)
    h.agent().run()
    h.repo.publish(stamp(NOW), h.files(666), signer=evil)
    h.agent().run()
    _revoke(h, evil)
    with pytest.raises(verr.InstalledRevokedError, match="removed"):
        h.agent().run()
    assert not h.osquery_conf.exists()


def test_publishers_next_release_installs_after_the_revocation(installed: Host) -> None:
    """The locked-forever attack: the real next release has a lower version."""
    h = installed
    evil = _compromise(h)
    _revoke(h, evil)
    h.repo.publish(102, h.files(102))  # signed by the publisher's own (valid) signer
    result = h.agent().run()
    assert (result.outcome, result.version) == ("installed", 102)
    assert h.osquery_conf.read_bytes() == h.files(102)["osquery.conf"]
    assert status(h)[0] == "ok"
    assert any("revoked" in w for w in result.warnings)


def test_revoked_release_is_not_reinstalled_after_the_restore(installed: Host) -> None:
    h = installed
    evil = _compromise(h)
    _revoke(h, evil)
    with pytest.raises(verr.InstalledRevokedError):
        h.agent().run()
    before = h.snapshot()
    with pytest.raises(verr.RevocationError):
        h.agent().run()  # the mirror still offers the revoked release
    assert h.snapshot() == before


# -- recovery without a CRL: an epoch bound to the signer certificate ----------------------


def test_new_epoch_signer_resets_the_rollback_floor(installed: Host) -> None:
    h = installed
    _compromise(h)  # no CRL on this host: the revoked key's version stays installed
    h.repo.publish(102, h.files(102))
    with pytest.raises(verr.RollbackError):
        h.agent().run()
    recovery = h.repo.pki.signer(epoch=1)
    h.repo.publish(102, h.files(102), signer=recovery, epoch=1)
    result = h.agent().run()
    assert (result.outcome, result.version) == ("installed", 102)
    assert json.loads(h.state_file.read_text())["epoch"] == 1


def test_compromised_signer_cannot_claim_a_new_epoch(installed: Host) -> None:
    h = installed
    evil = h.repo.pki.signer()  # its certificate carries no epoch: 0
    h.repo.publish(stamp(NOW), h.files(666), signer=evil, epoch=1)
    refused(h, verr.EpochError, "epoch 1 exceeds")


def test_compromised_signer_cannot_undo_the_new_epoch(installed: Host) -> None:
    h = installed
    evil = _compromise(h)
    recovery = h.repo.pki.signer(epoch=1)
    h.repo.publish(102, h.files(102), signer=recovery, epoch=1)
    assert h.agent().run().version == 102
    h.repo.publish(stamp(NOW) + 1, h.files(667), signer=evil)  # a higher version, epoch 0
    before = h.snapshot()
    with pytest.raises(verr.RollbackError, match="epoch 0"):
        h.agent().run()
    assert h.snapshot() == before


def test_ca_epoch_caps_the_signers(installed: Host) -> None:
    """A compromised intermediate that carries an epoch cannot mint a higher one."""
    h = installed
    p = h.repo.pki
    inter = p.intermediate_with_epoch(1)
    forged = p.signer(epoch=5, issuer=inter)
    h.repo.publish(stamp(NOW), h.files(666), signer=forged, epoch=5)
    refused(h, verr.EpochError, "epoch 5 exceeds")
