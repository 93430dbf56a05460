"""One error class per verification check (docs/design.md §6). Every one is a
``VerificationError`` (exit 3) whose ``check`` names the check that refused;
``InstalledRevokedError`` alone has its own exit code (6): the release that runs was revoked."""

from __future__ import annotations

from datetime import datetime

from trails.errors import ExitCode, VerificationError


class SizeError(VerificationError):
    check = "size"


class EnvelopeError(VerificationError):
    check = "envelope"


class ChainError(VerificationError):
    check = "chain"


class CertificateExpiredError(VerificationError):
    check = "certificate-expired"
    # The certificate's notBefore when the reference time is before it (not yet valid).
    not_yet_valid: datetime | None = None


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


class VersionCreatedError(VerificationError):
    """``version`` is later than the signed ``created`` (a version from the future)."""

    check = "version"


class CreatedOutsideCertificateError(VerificationError):
    """``created`` is outside the signer certificate's validity, or in the future."""

    check = "created"


class ExpiresAfterCertificateError(VerificationError):
    """``expires`` is later than the signer certificate's notAfter."""

    check = "expires-cap"


class EpochError(VerificationError):
    """The manifest claims an epoch its certificate chain does not grant."""

    check = "epoch"


class InstalledRevokedError(VerificationError):
    """The installed release's signer chain is revoked by the current CRL."""

    check = "revoked"
    exit_code = ExitCode.REVOKED


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
