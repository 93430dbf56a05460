"""Verification of the release index (``dist/index.dsse.json``, ``trails.formats.index``), in
the style of the core: bytes, a trust policy and one reference time in; a verified index
or one specific ``VerificationError`` out. No I/O and no clock.

The envelope is checked exactly as a release's (size, form, chain, EKU, CRLs, signature:
``verify_dsse``), then the payload; its signer must be authorised for EVERY namespace it
lists, and it must not have expired. ``match_releases`` then holds the releases found
next to it to the list: none missing, none extra, each exactly the manifest listed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from trails.formats.index import (
    INDEX_PAYLOAD_TYPE,
    IndexEntry,
    IndexFormatError,
    ReleaseIndex,
    parse_index,
)
from trails.formats.manifest import format_time
from trails.formats.oids import EKU_CONFIG_SIGNING, NamespaceExtensionError, certificate_namespaces
from trails.models.namespace import pattern_matches
from trails.verify.core import SignerInfo, verify_dsse
from trails.verify.errors import NamespaceScopeError, ReleaseExpiredError, ReleaseIndexError
from trails.verify.trust import TrustPolicy


class IndexMismatchError(ReleaseIndexError):
    """A namespace's release is missing, unlisted, or not the one the index lists."""

    def __init__(self, namespace: str, message: str) -> None:
        super().__init__(message)
        self.namespace = namespace


@dataclass(frozen=True)
class VerifiedIndex:
    index: ReleaseIndex
    signer_subject: str
    signer_fingerprint: str
    envelope_sha256: str


def _check_scope(index: ReleaseIndex, signer: SignerInfo) -> None:
    try:
        patterns = certificate_namespaces(signer.certificate) or ()
    except NamespaceExtensionError as exc:
        raise NamespaceScopeError(
            f"index signer {signer.subject} has a malformed namespace extension ({exc}); reissue it"
        ) from None
    for entry in index.releases:
        if not any(pattern_matches(p, entry.namespace) for p in patterns):
            raise NamespaceScopeError(
                f"index signer {signer.subject} may sign {', '.join(patterns) or 'nothing'}, "
                f"not {entry.namespace!r}, which the index lists; re-sign dist/ with a "
                "certificate that covers every namespace"
            )


def verify_index(envelope: bytes, policy: TrustPolicy, now: datetime) -> VerifiedIndex:
    """Checks 1-6 of docs/design.md §6 applied to the index envelope, in that order."""
    payload, signer = verify_dsse(envelope, INDEX_PAYLOAD_TYPE, policy, now, eku=EKU_CONFIG_SIGNING)
    try:
        index = parse_index(payload)
    except IndexFormatError as exc:
        raise ReleaseIndexError(f"signed {exc}; re-sign dist/ with `trails sign`") from None
    _check_scope(index, signer)
    if index.expires <= now.astimezone(UTC):
        raise ReleaseExpiredError(
            f"release index expired at {format_time(index.expires)} (freeze attack or stale "
            "mirror); re-sign dist/ with `trails sign`"
        )
    return VerifiedIndex(
        index=index,
        signer_subject=signer.subject,
        signer_fingerprint=signer.fingerprint,
        envelope_sha256=hashlib.sha256(envelope).hexdigest(),
    )


def match_releases(index: ReleaseIndex, found: Mapping[str, IndexEntry]) -> None:
    """Every listed namespace has its release, no other release is present, and each
    release's manifest is exactly the one listed (SHA-256 of its canonical JSON).

    ``found``: namespace -> the entry (``IndexEntry.of``) of each verified release
    present. The first problem in namespace order raises ``IndexMismatchError`` naming
    the namespace.
    """
    listed = {entry.namespace: entry for entry in index.releases}
    for namespace in sorted(listed.keys() | found.keys()):
        entry = listed.get(namespace)
        if entry is None:
            raise IndexMismatchError(
                namespace,
                f"v{found[namespace].version} is not in the signed index (put there outside "
                "`trails sign`?); remove it or re-sign dist/",
            )
        release = found.get(namespace)
        if release is None:
            raise IndexMismatchError(
                namespace,
                f"the signed index lists v{entry.version} but its release.dsse.json is "
                "missing (deleted from the server?); restore it or re-sign dist/",
            )
        if release.manifest_sha256 != entry.manifest_sha256:
            raise IndexMismatchError(
                namespace,
                f"v{release.version} ({release.config_version}) is not the release the "
                f"signed index lists (v{entry.version}, {entry.config_version}): an older or "
                "other signed release was put in its place; restore it or re-sign dist/",
            )
