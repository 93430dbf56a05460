"""A size mismatch names the true size, or says that only a bound is known."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from trails.formats.manifest import FileEntry, Manifest
from trails.verify.core import ReleaseVerifier, VerifiedRelease, file_size_error
from trails.verify.errors import FileSizeError

PHRASE = "does not match the signed manifest (tampered or stale mirror)"


def _release(data: bytes) -> VerifiedRelease:
    manifest = Manifest(
        namespace="linux",
        version=20260101000000,
        config_version="20260101000000-abcdef1",
        created=datetime(2026, 1, 1, tzinfo=UTC),
        source_repo="https://git.example/p.git",
        source_commit="abcdef1",
        tags={},
        files={"osquery.conf": FileEntry(hashlib.sha256(data).hexdigest(), len(data))},
    )
    return VerifiedRelease(manifest, "CN=s", "00", "00")


@pytest.fixture
def verifier() -> ReleaseVerifier:
    return ReleaseVerifier.__new__(ReleaseVerifier)  # verify_file needs no trust policy


@pytest.mark.parametrize(
    ("data", "size", "expected"),
    [
        (b"0123", None, "is 4 bytes where the manifest says 10"),  # short: its length
        (b"0" * 20, None, "is 20 bytes where the manifest says 10"),  # a full read
        (b"0" * 11, 5000, "is 5000 bytes where the manifest says 10"),  # bounded + stat
        (b"0" * 11, None, "is longer than the 10 bytes the manifest says (not read further"),
    ],
)
def test_size_mismatch_message(
    verifier: ReleaseVerifier, data: bytes, size: int | None, expected: str
) -> None:
    release = _release(b"x" * 10)
    with pytest.raises(FileSizeError) as info:
        verifier.verify_file(release, "osquery.conf", data, size=size)
    assert f"file osquery.conf {expected}" in str(info.value)
    assert PHRASE in str(info.value)
    assert info.value.version == 20260101000000  # for the --json refusal


def test_file_size_error_without_a_release() -> None:
    error = file_size_error("audit.rules", 10, 12)
    assert str(error).startswith(
        f"file audit.rules is 12 bytes where the manifest says 10, so it {PHRASE}"
    )
    assert error.version is None
