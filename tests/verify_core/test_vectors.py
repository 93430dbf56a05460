"""Every generated vector verifies, or is refused by exactly the check the index names."""

from __future__ import annotations

import hashlib

import pytest

from tests.verify_core.conftest import CASES, REFERENCE_TIME, VECTORS, load_case
from trails.errors import ExitCode, VerificationError
from trails.formats.manifest import parse_manifest
from trails.verify import errors
from trails.verify.core import ReleaseVerifier

CHECK_CLASSES = {
    cls.check: cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, VerificationError) and cls is not VerificationError
}


def test_each_check_has_its_own_class() -> None:
    assert (
        len(CHECK_CLASSES)
        == len(
            [
                c
                for c in vars(errors).values()
                if isinstance(c, type) and issubclass(c, VerificationError)
            ]
        )
        - 1
    )


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c["check"]))
def test_attack_vector_is_refused_by_its_check(name: str) -> None:
    case = load_case(name)
    verifier = ReleaseVerifier(case.policy, case.namespace, case.state, REFERENCE_TIME)
    with pytest.raises(VerificationError) as info:
        verifier.verify_envelope(case.envelope)
    assert info.value.check == case.check, str(info.value)
    assert type(info.value) is CHECK_CLASSES[case.check]
    assert info.value.exit_code == ExitCode.VERIFICATION_REFUSED
    message = str(info.value)
    assert "\n" not in message
    assert ";" in message  # what failed; what to do


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if not c["check"]))
def test_good_vector_verifies_with_its_files(name: str) -> None:
    case = load_case(name)
    verifier = ReleaseVerifier(case.policy, case.namespace, case.state, REFERENCE_TIME)
    release = verifier.verify_envelope(case.envelope)
    expected = parse_manifest((VECTORS / "release" / "manifest.json").read_bytes())
    assert release.manifest == expected
    assert release.envelope_sha256 == hashlib.sha256(case.envelope).hexdigest()
    assert "signer" in release.signer_subject
    assert len(release.signer_fingerprint) == 64
    for file_name in expected.files:
        verifier.verify_file(release, file_name, (VECTORS / "release" / file_name).read_bytes())
