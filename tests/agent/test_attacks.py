"""Every attack of issue 4, served by a real loopback mirror to a host that already runs v100.

Each test asserts the refusal (error class, exit code, message) AND that the installed
files, the agent state and the kernel's trails rules are byte-for-byte what they were.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from testkit.repo import NOW, PKI
from testkit.server import Fault
from tests.agent.conftest import Host
from trails.agent.http import DeadlineExceeded, ProtocolError, TruncatedResponse
from trails.errors import ExitCode, TrailsError
from trails.verify import errors as verr

pytestmark = pytest.mark.kernel


def refused(
    h: Host, error: type[TrailsError], match: str, *, before: dict[str, bytes | None] | None = None
) -> TrailsError:
    """Run the agent; it must raise ``error`` and leave every installed byte alone."""
    before = before or h.snapshot()
    with pytest.raises(error, match=match) as info:
        h.agent().run()
    assert h.snapshot() == before
    message = str(info.value)
    assert "\n" not in message
    con = sqlite3.connect(h.status_db)
    ((result, last_error, version),) = con.execute(
        "SELECT last_result, last_error, version FROM status"
    ).fetchall()
    assert last_error == message
    assert version == "100"  # the status still names the release that runs
    expected = getattr(info.value, "check", info.value.exit_code.name.lower())
    assert result == expected
    return info.value


def _tamper_envelope(h: Host, change: Callable[[dict[str, object]], None]) -> None:
    doc = h.repo.envelope_doc()
    change(doc)
    h.repo.put_envelope_doc(doc)


def test_forged_signature(installed: Host) -> None:
    installed.repo.publish(101, installed.files(101))

    def forge(doc: dict[str, object]) -> None:
        sigs = doc["signatures"]
        assert isinstance(sigs, list)
        raw = bytearray(base64.b64decode(sigs[0]["sig"]))
        raw[-1] ^= 1
        sigs[0]["sig"] = base64.b64encode(bytes(raw)).decode()

    _tamper_envelope(installed, forge)
    err = refused(installed, verr.SignatureError, "modified or forged")
    assert err.exit_code == ExitCode.VERIFICATION_REFUSED


def test_payload_modified_after_signing(installed: Host) -> None:
    installed.repo.publish(101, installed.files(101))

    def modify(doc: dict[str, object]) -> None:
        payload = json.loads(base64.b64decode(str(doc["payload"])))
        payload["version"] = 999
        doc["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()

    _tamper_envelope(installed, modify)
    refused(installed, verr.SignatureError, "signature does not verify")


@pytest.mark.parametrize("count", [0, 2])
def test_envelope_with_two_signatures_or_none(installed: Host, count: int) -> None:
    installed.repo.publish(101, installed.files(101))

    def resign(doc: dict[str, object]) -> None:
        sigs = doc["signatures"]
        assert isinstance(sigs, list)
        doc["signatures"] = (sigs * 2)[:count]

    _tamper_envelope(installed, resign)
    refused(installed, verr.EnvelopeError, f"{count} signatures; exactly one")


def test_unknown_payload_type(installed: Host) -> None:
    h = installed
    manifest = h.repo.manifest(101, h.files(101))
    assert h.repo.signer is not None
    h.repo.put_envelope(h.repo.signer.sign(manifest.to_bytes(), "application/vnd.in-toto+json"))
    refused(h, verr.EnvelopeError, "payloadType")


def test_signer_not_chaining_to_the_pinned_root(installed: Host) -> None:
    other = PKI.create()
    installed.repo.publish(101, installed.files(101), signer=other.signer())
    refused(installed, verr.ChainError, "does not chain to a pinned root")


def test_intermediate_missing(installed: Host) -> None:
    installed.repo.publish(101, installed.files(101))

    def drop(doc: dict[str, object]) -> None:
        chain = doc["x5c"]
        assert isinstance(chain, list)
        doc["x5c"] = chain[:1]

    _tamper_envelope(installed, drop)
    refused(installed, verr.ChainError, "ship the intermediate in x5c")


def test_tls_server_certificate_from_the_same_ca(installed: Host) -> None:
    installed.repo.publish(101, installed.files(101), signer=installed.repo.pki.tls_signer())
    refused(installed, verr.EkuError, "lacks the extended key usage")


def test_signer_namespace_does_not_cover(installed: Host) -> None:
    signer = installed.repo.pki.signer(("windows/*",))
    installed.repo.publish(101, installed.files(101), signer=signer)
    refused(installed, verr.NamespaceScopeError, "windows")


def test_release_for_another_namespace(installed: Host) -> None:
    installed.repo.publish(101, installed.files(101), namespace="linux/db")
    refused(installed, verr.NamespaceMismatchError, "linux/db")


def test_expired_release(installed: Host) -> None:
    installed.repo.publish(101, installed.files(101), expires=NOW - timedelta(minutes=1))
    refused(installed, verr.ReleaseExpiredError, "expired")


def test_expired_signer_certificate(installed: Host) -> None:
    old = installed.repo.pki.signer(days=10, now=NOW - timedelta(days=30))
    installed.repo.publish(101, installed.files(101), signer=old)
    refused(installed, verr.CertificateExpiredError, "re-sign with a current signer")


def _with_crl(h: Host, crl: bytes, *, require: bool = True) -> None:
    h.repo.mirror.put("crl.pem", crl)
    text = h.config_path.read_text()
    text += f"crl_url: {h.repo.mirror.base_url}/crl.pem\nrequire_crl: {str(require).lower()}\n"
    h.config_path.write_text(text)


def test_revoked_signer(installed: Host) -> None:
    h = installed
    signer = h.repo.pki.signer()
    h.repo.publish(101, h.files(101), signer=signer)
    _with_crl(h, h.repo.pki.crl((signer.leaf.serial_number,)))
    refused(h, verr.RevocationError, "revoked")


def test_revoked_intermediate(installed: Host) -> None:
    h = installed
    p = h.repo.pki
    h.repo.publish(101, h.files(101))
    crls = p.crl() + p.crl((p.intermediate.cert.serial_number,), issuer=p.root)
    _with_crl(h, crls)
    # The installed v100 chains through the same intermediate: it is revoked too
    # (issue 12; test_attacks_signer.py covers the other on_revoked settings).
    h.config_path.write_text(h.config_path.read_text() + "on_revoked: keep\n")
    err = refused(h, verr.InstalledRevokedError, r"v100 is revoked .*kept it .*refused too")
    assert err.exit_code == ExitCode.REVOKED


def test_crl_that_does_not_verify(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    other = PKI.create()
    forged = other.crl()  # same issuer name, wrong key
    _with_crl(h, forged)
    refused(h, verr.CrlError, "does not verify with that CA")


def test_crl_past_next_update_when_required(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    _with_crl(h, h.repo.pki.crl(days=1, now=NOW - timedelta(days=3)))
    refused(h, verr.CrlError, "no current CRL")


def test_rollback_to_an_older_version(installed: Host) -> None:
    h = installed
    old = h.repo.publish(99, h.files(99))
    h.repo.publish(100, h.files(100))  # the current one
    h.repo.put_envelope(old)
    refused(h, verr.RollbackError, "older than the installed 100")


def test_replay_of_an_old_envelope_after_an_update(installed: Host) -> None:
    h = installed
    first = h.repo.published[0]
    h.repo.publish(101, h.files(101))
    assert h.agent().run().version == 101
    h.repo.put_envelope(first)
    before = h.snapshot()
    with pytest.raises(verr.RollbackError):
        h.agent().run()
    assert h.snapshot() == before


def test_equal_version_with_different_files(installed: Host) -> None:
    h = installed
    h.repo.publish(100, h.files(555))
    refused(h, verr.EquivocationError, "equivocation")


def test_file_hash_differs_from_manifest(installed: Host) -> None:
    h = installed
    files = h.files(101)
    h.repo.publish(101, files)
    h.repo.put_file("osquery.conf", files["osquery.conf"].replace(b"SELECT", b"select"))
    refused(h, verr.FileHashError, "osquery.conf")


@pytest.mark.parametrize("delta", [-3, 5])
def test_file_size_differs_from_manifest(installed: Host, delta: int) -> None:
    h = installed
    files = h.files(101)
    h.repo.publish(101, files)
    data = files["osquery.conf"]
    h.repo.put_file("osquery.conf", data[:delta] if delta < 0 else data + b" " * delta)
    refused(h, verr.FileSizeError, "manifest says|the limit is")


def test_oversized_envelope_endless_data(installed: Host) -> None:
    installed.repo.mirror.faults["linux/web/release.dsse.json"] = Fault("endless")
    start = time.monotonic()
    refused(installed, verr.SizeError, "endless data")
    assert time.monotonic() - start < 6  # an endless body is cut at 1 MiB + 1, not read to the end


def test_oversized_envelope_endless_chunks(installed: Host) -> None:
    installed.repo.mirror.faults["linux/web/release.dsse.json"] = Fault("chunked", "endless")
    start = time.monotonic()
    refused(installed, verr.SizeError, "endless data")
    assert time.monotonic() - start < 6


def test_ambiguous_framing_is_refused(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    h.repo.mirror.faults["linux/web/osquery.conf"] = Fault("ambiguous")
    refused(h, ProtocolError, "both Transfer-Encoding and Content-Length")


def test_oversized_file_endless_data(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    h.repo.mirror.faults["linux/web/osquery.conf"] = Fault("endless")
    refused(h, verr.FileSizeError, "endless data")


def test_server_that_stalls(installed: Host) -> None:
    installed.repo.mirror.faults["linux/web/release.dsse.json"] = Fault("trickle", 0.2)
    start = time.monotonic()
    err = refused(installed, DeadlineExceeded, "deadline|timed out")
    assert err.exit_code == ExitCode.TRANSPORT
    assert time.monotonic() - start < 8  # total_timeout is 3 s; the server would trickle forever


def test_truncated_download(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    h.repo.mirror.faults["linux/web/osquery.conf"] = Fault("truncate", 5)
    refused(h, TruncatedResponse, "connection closed after 5 of")


def test_path_traversal_in_a_manifest_file_name(installed: Host) -> None:
    h = installed
    doc = h.repo.manifest(101, h.files(101)).to_dict()
    doc["files"]["../../etc/cron.d/evil"] = doc["files"].pop("osquery.conf")
    payload = json.dumps(doc).encode()
    h.repo.put_envelope(h.repo.sign(payload))
    refused(h, verr.ManifestInvalidError, "not a plain file name")
    assert not (h.root / "etc/cron.d/evil").exists()
