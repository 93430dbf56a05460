"""The pure verification core (docs/design.md §6, checks 1-8): bytes, a trust policy, the
expected namespace, the stored state and one reference time in; a verified release or
one specific ``VerificationError`` out. No I/O and no clock, as in python-tuf.

Imports only the stdlib, cryptography and ``trails.models`` (plus the tiny format
modules ``trails.formats.dsse`` / ``trails.formats.oids``), because ``trails fetch`` loads it
on every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes

from trails.errors import VerificationError
from trails.formats.algorithms import UnsupportedKey, verify_bytes
from trails.formats.dsse import EnvelopeFormatError, EnvelopeTooLarge, pae, parse_envelope
from trails.formats.manifest import (
    PAYLOAD_TYPE,
    Manifest,
    ManifestError,
    format_time,
    latest_version,
    parse_manifest,
)
from trails.formats.oids import (
    EKU_CONFIG_SIGNING,
    NamespaceExtensionError,
    certificate_epoch,
    certificate_namespaces,
)
from trails.models.namespace import pattern_matches
from trails.verify.chain import build_chain, check_eku, check_revocation
from trails.verify.errors import (
    CreatedOutsideCertificateError,
    EnvelopeError,
    EpochError,
    EquivocationError,
    ExpiresAfterCertificateError,
    FileHashError,
    FileSizeError,
    FileUnknownError,
    ManifestInvalidError,
    NamespaceMismatchError,
    NamespaceScopeError,
    ReleaseExpiredError,
    RollbackError,
    SignatureError,
    SizeError,
    VersionCreatedError,
)
from trails.verify.trust import TrustPolicy

# ``created`` may run this far ahead of the host clock (commit and host clocks differ).
CLOCK_SKEW = timedelta(hours=1)

__all__ = [
    "ReleaseVerifier",
    "SignerInfo",
    "StoredState",
    "TrustPolicy",
    "VerifiedRelease",
    "file_size_error",
    "verify_dsse",
]


@dataclass(frozen=True)
class StoredState:
    """The rollback floor: the installed release's version, file hashes, epoch and expiry
    (an older signature of the same version may not move ``expires`` backwards)."""

    version: int
    files: Mapping[str, str]
    epoch: int = 0
    expires: datetime | None = None


@dataclass(frozen=True)
class SignerInfo:
    subject: str  # RFC 4514
    fingerprint: str  # hex SHA-256 of the leaf DER
    not_after: datetime
    not_before: datetime
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # validated path, leaf first, root last


@dataclass(frozen=True)
class VerifiedRelease:
    manifest: Manifest
    signer_subject: str
    signer_fingerprint: str
    envelope_sha256: str


def verify_dsse(
    envelope: bytes,
    payload_type: str,
    policy: TrustPolicy,
    now: datetime,
    *,
    eku: x509.ObjectIdentifier,
) -> tuple[bytes, SignerInfo]:
    """Checks 1-4 for any trails DSSE envelope: size, form, chain + EKU + CRL, signature.

    Returns the payload (still unparsed) and who signed it.
    """
    if now.tzinfo is None:
        raise ValueError("the reference time must be timezone-aware")
    try:
        env = parse_envelope(envelope, (payload_type,))
    except EnvelopeTooLarge as exc:
        raise SizeError(str(exc)) from None
    except EnvelopeFormatError as exc:
        raise EnvelopeError(str(exc)) from None
    leaf = env.chain[0]
    path = build_chain(leaf, env.chain[1:], policy, now)
    check_eku(path, eku)
    check_revocation(path, policy, now)
    try:
        valid = verify_bytes(leaf.public_key(), env.signature, pae(env.payload_type, env.payload))
    except (UnsupportedKey, UnsupportedAlgorithm, ValueError) as exc:
        raise SignatureError(
            f"signer key is not allowed ({exc}); re-sign with an allowed key"
        ) from None
    if not valid:
        raise SignatureError(
            "signature does not verify over the payload: the release was modified or forged; "
            "keep the installed config and alert the publisher"
        )
    return env.payload, SignerInfo(
        subject=leaf.subject.rfc4514_string(),
        fingerprint=leaf.fingerprint(hashes.SHA256()).hex(),  # SHA-256 of the DER
        not_after=leaf.not_valid_after_utc,
        not_before=leaf.not_valid_before_utc,
        certificate=leaf,
        chain=tuple(path),
    )


class ReleaseVerifier:
    """Verifies one host's releases: ``verify_envelope`` then ``verify_file`` per file."""

    def __init__(
        self, policy: TrustPolicy, namespace: str, state: StoredState | None, now: datetime
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("the reference time must be timezone-aware")
        self.policy = policy
        self.namespace = namespace
        self.state = state
        self.now = now.astimezone(UTC)

    def verify_envelope(self, envelope: bytes) -> VerifiedRelease:
        """docs/design.md §6 checks 1-7, in that order."""
        payload, signer = verify_dsse(
            envelope, PAYLOAD_TYPE, self.policy, self.now, eku=EKU_CONFIG_SIGNING
        )
        try:
            manifest = parse_manifest(payload)
        except ManifestError as exc:
            raise ManifestInvalidError(f"signed {exc}; fix the build and re-sign") from None
        try:
            self._check_manifest(manifest, signer)
        except VerificationError as exc:
            exc.version = manifest.version  # for the --json refusal
            raise
        return VerifiedRelease(
            manifest=manifest,
            signer_subject=signer.subject,
            signer_fingerprint=signer.fingerprint,
            envelope_sha256=hashlib.sha256(envelope).hexdigest(),
        )

    def _check_manifest(self, manifest: Manifest, signer: SignerInfo) -> None:
        """Checks 5-7 on the signed manifest: namespace, times, expiry, epoch, rollback."""
        self._check_namespace(manifest, signer)
        self._check_times(manifest, signer)
        if manifest.expires is None or manifest.expires <= self.now:
            raise ReleaseExpiredError(
                f"release {manifest.namespace} v{manifest.version} expired at "
                f"{format_time(manifest.expires) if manifest.expires else '?'} (freeze attack or "
                "stale mirror); keep the installed config and have the publisher re-sign"
            )
        self._check_epoch(manifest, signer)
        self._check_rollback(manifest)

    def _check_namespace(self, manifest: Manifest, signer: SignerInfo) -> None:
        if manifest.namespace != self.namespace:
            raise NamespaceMismatchError(
                f"release is for namespace {manifest.namespace!r}, this host expects "
                f"{self.namespace!r}; check the agent's base URL and namespace"
            )
        try:
            patterns = certificate_namespaces(signer.certificate)
        except NamespaceExtensionError as exc:
            raise NamespaceScopeError(
                f"signer {signer.subject} has a malformed namespace extension ({exc}); reissue it"
            ) from None
        if not patterns:
            raise NamespaceScopeError(
                f"signer {signer.subject} has no trails namespace extension; reissue it with "
                "--namespace"
            )
        if not any(pattern_matches(p, manifest.namespace) for p in patterns):
            raise NamespaceScopeError(
                f"signer {signer.subject} may sign {', '.join(patterns)}, not "
                f"{manifest.namespace!r}; sign with a certificate that covers it"
            )

    def _check_times(self, manifest: Manifest, signer: SignerInfo) -> None:
        """version <= created (+skew), created within the signer's validity and not ahead
        of the host clock, expires <= the signer's notAfter: what a key may claim is
        bounded by its certificate, so a stolen key cannot push the rollback floor to 2099."""
        what = f"release {manifest.namespace} v{manifest.version}"
        created = manifest.created
        if not signer.not_before <= created <= signer.not_after:
            raise CreatedOutsideCertificateError(
                f"{what} was created {format_time(created)}, outside its signer certificate "
                f"({format_time(signer.not_before)} to {format_time(signer.not_after)}); "
                "rebuild from a commit made while the signer certificate is valid"
            )
        if created > self.now + CLOCK_SKEW:
            raise CreatedOutsideCertificateError(
                f"{what} was created {format_time(created)}, in the future (host time "
                f"{format_time(self.now)}); check the host clock and the build's commit time"
            )
        if manifest.version > latest_version(created):
            raise VersionCreatedError(
                f"{what}: the version is later than its created time {format_time(created)} "
                "(a version from the future: stolen key or broken build); keep the installed "
                "config and alert the publisher"
            )
        if manifest.expires is not None and manifest.expires > signer.not_after:
            raise ExpiresAfterCertificateError(
                f"{what} expires {format_time(manifest.expires)}, after its signer certificate "
                f"({format_time(signer.not_after)}); the publisher must re-sign with a shorter "
                "--expires"
            )

    def _check_epoch(self, manifest: Manifest, signer: SignerInfo) -> None:
        """The manifest's epoch is granted by the leaf's epoch extension (absent: 0) and
        is not above that of any CA in the path that carries one (docs/pki.md)."""
        try:
            granted = certificate_epoch(signer.certificate) or 0
            caps = [(ca, certificate_epoch(ca)) for ca in signer.chain[1:]]
        except NamespaceExtensionError as exc:
            raise EpochError(
                f"a certificate in the signer chain has a malformed epoch extension ({exc}); "
                "reissue it"
            ) from None
        if manifest.epoch > granted:
            raise EpochError(
                f"manifest epoch {manifest.epoch} exceeds the epoch {granted} its signer "
                f"certificate {signer.subject} grants; sign with a certificate issued for it"
            )
        for ca, cap in caps:
            if cap is not None and manifest.epoch > cap:
                raise EpochError(
                    f"manifest epoch {manifest.epoch} exceeds the epoch {cap} of CA "
                    f"{ca.subject.rfc4514_string()}; issue the signer from a CA of that epoch"
                )

    def _check_rollback(self, manifest: Manifest) -> None:
        if self.state is None:
            return
        if manifest.epoch != self.state.epoch:
            if manifest.epoch > self.state.epoch:
                return  # a new epoch (a certificate granted it): the floor starts again
            raise RollbackError(
                f"release epoch {manifest.epoch} is older than the installed epoch "
                f"{self.state.epoch} (rollback); keep the installed config"
            )
        if manifest.version < self.state.version:
            raise RollbackError(
                f"release version {manifest.version} is older than the installed "
                f"{self.state.version} (rollback); keep the installed config"
            )
        if manifest.version == self.state.version:
            new = {name: entry.sha256 for name, entry in manifest.files.items()}
            if new != dict(self.state.files):
                raise EquivocationError(
                    f"release version {manifest.version} equals the installed one but its files "
                    "differ (equivocation); the publisher must bump the version"
                )
            floor = self.state.expires
            if floor is not None and manifest.expires is not None and manifest.expires < floor:
                raise RollbackError(
                    f"release version {manifest.version} expires {format_time(manifest.expires)}, "
                    f"before the installed signature of it ({format_time(floor)}): an older "
                    "signature replayed (rollback); keep the installed config"
                )

    def verify_file(
        self, release: VerifiedRelease, name: str, data: bytes, *, size: int | None = None
    ) -> None:
        """Check 8: ``data`` is exactly the file the manifest names (size, then SHA-256).

        ``data`` may be a bounded read (at most the signed size + 1 bytes); ``size`` is then
        the file's true size when the caller knows it (a local file), for the message.
        """
        entry = release.manifest.files.get(name)
        if entry is None:
            raise FileUnknownError(f"file {name!r} is not in the signed manifest; refuse it")
        if len(data) != entry.size:
            if size is None:  # signed size + 1 bytes: a bounded read, the true size unknown
                size = None if len(data) == entry.size + 1 else len(data)
            raise file_size_error(name, entry.size, size, release)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            error = FileHashError(
                f"file {name} does not match its signed SHA-256 (tampered mirror); keep the "
                "installed config"
            )
            error.version = release.manifest.version
            raise error


def file_size_error(
    name: str, signed: int, actual: int | None, release: VerifiedRelease | None = None
) -> FileSizeError:
    """The refusal of a file whose size is not the signed one; ``actual`` is its true size,
    None when only a lower bound is known (a download cut at the signed size)."""
    what = (
        f"is {actual} bytes where the manifest says {signed}"
        if actual is not None
        else f"is longer than the {signed} bytes the manifest says (not read further: "
        "endless data refused)"
    )
    error = FileSizeError(
        f"file {name} {what}, so it does not match the signed manifest (tampered or stale "
        "mirror); keep the installed config"
    )
    if release is not None:
        error.version = release.manifest.version
    return error
