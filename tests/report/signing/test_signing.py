from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.report.factories import example_report
from tests.report.signing.conftest import Pki
from trails.errors import TransportError, UsageError
from trails.formats import report_signature as signing
from trails.formats.manifest import PAYLOAD_TYPE as MANIFEST_PAYLOAD_TYPE
from trails.formats.report_signature import PAYLOAD_TYPE, SCHEMA
from trails.models.canonical import canonical_json
from trails.report.signing import (
    ReportFileError,
    ReportPayloadError,
    verify_report,
    verify_report_envelope,
)
from trails.sign.report import sign_report
from trails.verify.core import TrustPolicy
from trails.verify.errors import (
    CertificateExpiredError,
    ChainError,
    EkuError,
    EnvelopeError,
    FileHashError,
    FileSizeError,
    SignatureError,
)
from trails.verify.trust import load_roots


def _policy(p: Pki, root: Path | None = None) -> TrustPolicy:
    return TrustPolicy(roots=load_roots((root or p.root_pem).read_bytes()))


def _files(d: Path) -> list[Path]:
    return [d / "report.pdf", d / "report.json"]


def _payload(envelope: bytes) -> dict[str, Any]:
    return json.loads(base64.b64decode(json.loads(envelope)["payload"]))  # type: ignore[no-any-return]


def test_round_trip_lists_name_size_digest_and_fingerprint(
    report_pki: Pki, report_dir: Path, report_bytes: dict[str, bytes]
) -> None:
    fingerprint = example_report().fingerprint
    env = sign_report(_files(report_dir), report_pki.report_signer, fingerprint=fingerprint)
    assert json.loads(env)["payloadType"] == PAYLOAD_TYPE
    doc = _payload(env)
    assert doc["schema"] == SCHEMA
    assert doc["report_fingerprint"] == fingerprint
    pdf = report_bytes["report.pdf"]
    assert doc["files"]["report.pdf"] == {
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "size": len(pdf),
    }
    signed, checks = verify_report(env, report_dir, _policy(report_pki), report_pki.now)
    assert signed.report_fingerprint == fingerprint
    assert signed.signer.fingerprint == report_pki.report_signer.fingerprint
    assert [(c.name, c.problem) for c in checks] == [("report.json", None), ("report.pdf", None)]


@pytest.mark.parametrize("offset", [0, 1000, -1])
def test_a_one_byte_change_to_the_pdf_is_caught(
    report_pki: Pki, report_dir: Path, offset: int
) -> None:
    env = sign_report(_files(report_dir), report_pki.report_signer)
    pdf = report_dir / "report.pdf"
    data = bytearray(pdf.read_bytes())
    data[offset] ^= 0x01
    pdf.write_bytes(bytes(data))
    with pytest.raises(FileHashError, match=r"report\.pdf: sha256 differs"):
        verify_report(env, report_dir, _policy(report_pki), report_pki.now)


def test_appended_or_truncated_file_is_caught(report_pki: Pki, report_dir: Path) -> None:
    env = sign_report(_files(report_dir), report_pki.report_signer)
    pdf = report_dir / "report.pdf"
    original = pdf.read_bytes()
    pdf.write_bytes(original + b"\n")
    with pytest.raises(FileSizeError, match="size differs"):
        verify_report(env, report_dir, _policy(report_pki), report_pki.now)
    pdf.write_bytes(original[:-1])
    (report_dir / "report.json").write_bytes(b"{}")
    with pytest.raises(FileSizeError, match=r"report\.json: size differs.*and 1 more files"):
        verify_report(env, report_dir, _policy(report_pki), report_pki.now)


def test_a_deleted_file_is_refused(report_pki: Pki, report_dir: Path) -> None:
    env = sign_report(_files(report_dir), report_pki.report_signer)
    (report_dir / "report.json").unlink()
    with pytest.raises(ReportFileError, match=r"report\.json: missing"):
        verify_report(env, report_dir, _policy(report_pki), report_pki.now)


def test_an_unreadable_file_is_an_io_error(report_pki: Pki, report_dir: Path) -> None:
    env = sign_report(_files(report_dir), report_pki.report_signer)
    (report_dir / "report.json").unlink()
    (report_dir / "report.json").mkdir()
    with pytest.raises(TransportError, match="cannot read report file"):
        verify_report(env, report_dir, _policy(report_pki), report_pki.now)


def test_a_listed_file_that_is_a_symlink_is_refused(
    report_pki: Pki, report_dir: Path, tmp_path: Path
) -> None:
    """Attack: the signed report.json replaced by a link to a copy kept elsewhere (the
    bytes match today; the link can be repointed at any time, or at a secret file)."""
    env = sign_report(_files(report_dir), report_pki.report_signer)
    kept = tmp_path / "kept.json"
    kept.write_bytes((report_dir / "report.json").read_bytes())
    (report_dir / "report.json").unlink()
    (report_dir / "report.json").symlink_to(kept)
    with pytest.raises(ReportFileError, match=r"report\.json: is a symlink"):
        verify_report(env, report_dir, _policy(report_pki), report_pki.now)


def test_a_config_signer_cannot_sign_or_vouch_for_a_report(
    report_pki: Pki, report_dir: Path
) -> None:
    with pytest.raises(UsageError, match="report-signing EKU"):
        sign_report(_files(report_dir), report_pki.config_signer)
    forged = report_pki.config_signer.sign(signing.payload(_files(report_dir)), PAYLOAD_TYPE)
    with pytest.raises(EkuError):
        verify_report(forged, report_dir, _policy(report_pki), report_pki.now)


def test_untrusted_root_and_expired_signer_are_refused(report_pki: Pki, report_dir: Path) -> None:
    env = sign_report(_files(report_dir), report_pki.report_signer)
    with pytest.raises(ChainError):
        verify_report(
            env, report_dir, _policy(report_pki, report_pki.other_root_pem), report_pki.now
        )
    with pytest.raises(CertificateExpiredError):
        verify_report(env, report_dir, _policy(report_pki), report_pki.now + timedelta(days=11))
    old = sign_report(_files(report_dir), report_pki.expired_signer)
    with pytest.raises((CertificateExpiredError, ChainError)):
        verify_report(old, report_dir, _policy(report_pki), report_pki.now)


def test_a_payload_swapped_after_signing_is_refused(report_pki: Pki, report_dir: Path) -> None:
    env = json.loads(sign_report(_files(report_dir), report_pki.report_signer))
    doc = _payload(canonical_json(env))
    doc["files"]["report.pdf"]["sha256"] = "0" * 64
    env["payload"] = base64.b64encode(canonical_json(doc)).decode()
    with pytest.raises(SignatureError):
        verify_report(canonical_json(env), report_dir, _policy(report_pki), report_pki.now)


def test_a_release_envelope_is_not_a_report(report_pki: Pki, report_dir: Path) -> None:
    env = report_pki.report_signer.sign(signing.payload(_files(report_dir)), MANIFEST_PAYLOAD_TYPE)
    with pytest.raises(EnvelopeError):
        verify_report(env, report_dir, _policy(report_pki), report_pki.now)


def _signed(report_pki: Pki, doc: object) -> bytes:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return report_pki.report_signer.sign(body, PAYLOAD_TYPE)


GOOD_ENTRY = {"sha256": "a" * 64, "size": 1}


@pytest.mark.parametrize(
    "doc",
    [
        b"not json",
        b'{"schema": "x", "schema": "x", "report_fingerprint": null, "files": {}}',
        [],
        {"schema": "other/v1", "report_fingerprint": None, "files": {"a": GOOD_ENTRY}},
        {"schema": SCHEMA, "files": {"a": GOOD_ENTRY}},
        {"schema": SCHEMA, "report_fingerprint": "xyz", "files": {"a": GOOD_ENTRY}},
        {"schema": SCHEMA, "report_fingerprint": None, "files": {}},
        {"schema": SCHEMA, "report_fingerprint": None, "files": {"../../etc/passwd": GOOD_ENTRY}},
        {"schema": SCHEMA, "report_fingerprint": None, "files": {".hidden": GOOD_ENTRY}},
        {"schema": SCHEMA, "report_fingerprint": None, "files": {"a/b": GOOD_ENTRY}},
        {
            "schema": SCHEMA,
            "report_fingerprint": None,
            "files": {"a": {"sha256": "A" * 64, "size": 1}},
        },
        {
            "schema": SCHEMA,
            "report_fingerprint": None,
            "files": {"a": {"sha256": "a" * 64, "size": -1}},
        },
        {
            "schema": SCHEMA,
            "report_fingerprint": None,
            "files": {"a": {"sha256": "a" * 64, "size": True}},
        },
        {"schema": SCHEMA, "report_fingerprint": None, "files": {"a": {"sha256": "a" * 64}}},
        {"schema": SCHEMA, "report_fingerprint": None, "files": {"a": "x"}},
    ],
)
def test_malformed_signed_payloads_are_refused(report_pki: Pki, doc: object) -> None:
    with pytest.raises(ReportPayloadError):
        verify_report_envelope(_signed(report_pki, doc), _policy(report_pki), report_pki.now)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=70),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=70), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.dictionaries(
        st.text(max_size=70),
        st.fixed_dictionaries({"sha256": json_values | st.just("b" * 64), "size": json_values}),
        max_size=3,
    ),
    fingerprint=json_values,
)
def test_payload_parser_only_accepts_what_it_can_check(
    report_pki: Pki, files: dict[str, Any], fingerprint: object
) -> None:
    doc = {"schema": SCHEMA, "report_fingerprint": fingerprint, "files": files}
    try:
        signed = verify_report_envelope(
            _signed(report_pki, doc), _policy(report_pki), report_pki.now
        )
    except ReportPayloadError:
        return
    for entry in signed.files:
        assert signing.FILE_NAME.match(entry.name)
        assert "/" not in entry.name
        assert entry.name not in {".", ".."}
        assert isinstance(entry.size, int)
        assert entry.size >= 0


def test_signing_refuses_bad_inputs(report_pki: Pki, report_dir: Path, tmp_path: Path) -> None:
    signer = report_pki.report_signer
    with pytest.raises(UsageError, match="no report files"):
        sign_report([], signer)
    with pytest.raises(UsageError, match="two report files"):
        sign_report([report_dir / "report.pdf", report_dir / "report.pdf"], signer)
    odd = tmp_path / "report one.pdf"
    odd.write_bytes(b"x")
    with pytest.raises(UsageError, match="must be letters"):
        sign_report([odd], signer)
    with pytest.raises(UsageError, match="fingerprint"):
        sign_report(_files(report_dir), signer, fingerprint="nope")
    with pytest.raises(UsageError, match="at most"):
        sign_report([report_dir / f"f{i}" for i in range(signing.MAX_FILES + 1)], signer)
    with pytest.raises(TransportError, match="cannot read report file"):
        sign_report([report_dir / "missing.pdf"], signer)


def test_the_envelope_carries_the_signing_time(
    report_pki: Pki, report_dir: Path, tmp_path: Path
) -> None:
    """The report's own dates come from its input (same input, same report); when it was
    signed is the signer's clock, carried in the signed payload (issue 15 item 5)."""
    from datetime import UTC, datetime

    before = datetime.now(UTC).replace(microsecond=0)
    env = sign_report(_files(report_dir), report_pki.report_signer)
    signed_at = _payload(env)["signed_at"]
    assert signed_at >= before.strftime("%Y-%m-%dT%H:%M:%SZ")
    signed, _ = verify_report(env, report_dir, _policy(report_pki), report_pki.now)
    assert signed.signed_at is not None
    assert signed.signed_at.strftime("%Y-%m-%dT%H:%M:%SZ") == signed_at
    fixed = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    env = sign_report(_files(report_dir), report_pki.report_signer, signed_at=fixed)
    assert _payload(env)["signed_at"] == "2026-11-24T09:30:00Z"


@pytest.mark.parametrize("value", ["yesterday", 5, None, "2026-11-24T09:30:00+01:00"])
def test_a_malformed_signing_time_is_refused(report_pki: Pki, value: object) -> None:
    entry = {"sha256": "b" * 64, "size": 1}
    doc = {"schema": SCHEMA, "report_fingerprint": None, "files": {"a": entry}, "signed_at": value}
    with pytest.raises(ReportPayloadError, match="signed_at"):
        verify_report_envelope(_signed(report_pki, doc), _policy(report_pki), report_pki.now)


def test_an_envelope_without_a_signing_time_still_verifies(report_pki: Pki) -> None:
    """Reports signed before the field existed."""
    entry = {"sha256": "b" * 64, "size": 1}
    doc = {"schema": SCHEMA, "report_fingerprint": None, "files": {"a": entry}}
    signed = verify_report_envelope(_signed(report_pki, doc), _policy(report_pki), report_pki.now)
    assert signed.signed_at is None
