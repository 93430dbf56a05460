"""One error class per verification check (docs/design.md §6). Every one is a
``VerificationError`` (exit 3) whose ``check`` names the check that refused."""

from __future__ import annotations

from trails.errors import VerificationError


class SizeError(VerificationError):
    check = "size"


class EnvelopeError(VerificationError):
    check = "envelope"


class ChainError(VerificationError):
    check = "chain"


class CertificateExpiredError(VerificationError):
    check = "certificate-expired"


class EkuError(VerificationError):
    check = "eku"


class CrlError(VerificationError):
    check = "crl"


class RevocationError(VerificationError):
    check = "revocation"


class SignatureError(VerificationError):
    check = "signature"


class ManifestInvalidError(VerificationError):
    check = "manifest"


class NamespaceMismatchError(VerificationError):
    check = "namespace"


class NamespaceScopeError(VerificationError):
    check = "namespace-scope"


class ReleaseExpiredError(VerificationError):
    check = "expired"


class RollbackError(VerificationError):
    check = "rollback"


class EquivocationError(VerificationError):
    check = "equivocation"


class FileUnknownError(VerificationError):
    check = "file-name"


class FileSizeError(VerificationError):
    check = "file-size"


class FileHashError(VerificationError):
    check = "file-hash"


class ReleaseIndexError(VerificationError):
    """The release index (dist/index.dsse.json) is malformed, or the releases next to it
    are not exactly the ones it lists."""

    check = "index"
