"""The signed releases a report compares hosts against: a ``dist/`` tree (docs/design.md §4).

Each namespace directory holds ``release.dsse.json`` (signed) or only ``manifest.json``
(built, not yet signed) next to ``osquery.conf``. The report reads them to learn the
newest config version per namespace, the manifest's osquery.conf hash, the signer and
the git commit, and which control queries each namespace schedules.

The pipeline-integrity section is evidence only if those files are genuine, so
``load_releases`` runs every check of the pure ``ReleaseVerifier`` (docs/design.md §6 checks
1-8, no anti-rollback state) at one reference time, the report window's end, and fails
closed. It then verifies the signed release index (``dist/index.dsse.json``, an
extension of docs/design.md §4, see ``trails.verify.index``) and holds the releases to it, so
a deleted namespace directory, an older signed release put back, or an extra release is
refused too. Reading without verification (``read_releases``) is for the fleet simulator
and for the explicitly named ``--insecure-unverified-releases``; such releases are marked
``verified=False`` and every renderer says so; that bypass does not read the index.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from cryptography import x509

from trails.errors import UsageError, VerificationError
from trails.formats.exceptions import ControlException, ExceptionsError, parse_exceptions
from trails.formats.index import IndexEntry
from trails.formats.manifest import Manifest, ManifestError, format_time, parse_manifest
from trails.formats.names import EXCEPTIONS, INDEX_ENVELOPE, MANIFEST, OSQUERY_CONF
from trails.formats.names import RELEASE_ENVELOPE as ENVELOPE
from trails.models.evidence import control_id_of
from trails.report.model import Release, ReleaseIndexSeen
from trails.verify.core import ReleaseVerifier, TrustPolicy
from trails.verify.errors import CertificateExpiredError, FileUnknownError
from trails.verify.fetch import DirectoryFetcher, fetch_and_verify, fetch_envelope, read_bounded
from trails.verify.index import IndexMismatchError, VerifiedIndex, match_releases, verify_index

MAX_RELEASE_FILE = 16 * 1024 * 1024


class ReleaseRefused(VerificationError):
    """A release under --releases failed a check; ``check`` names it (exit 3).

    ``namespace`` is None when the release index itself was refused; its checks are
    ``index`` (missing, malformed, or not matching the releases) or ``index-<check>``
    (e.g. ``index-signature``, ``index-expired``) for the envelope checks it shares with
    releases.
    """

    def __init__(self, namespace: str | None, check: str, reason: str) -> None:
        what = f"release {namespace}" if namespace is not None else "release index"
        super().__init__(f"{what} refused by the {check} check: {reason}")
        self.namespace = namespace
        self.check = check


@dataclass(frozen=True)
class ReleaseTrust:
    """How ``load_releases`` judges the dist/ tree."""

    policy: TrustPolicy | None  # pinned roots + CRLs; None only with allow_unverified
    at: datetime  # the one reference time: the report window's end
    allow_unverified: bool = False  # --insecure-unverified-releases


@dataclass(frozen=True)
class ReleaseInfo:
    release: Release
    controls: tuple[str, ...]  # control ids the namespace's osquery.conf schedules
    tags: dict[str, str]
    manifest_sha256: str = ""  # of the manifest's canonical JSON, as the index lists it
    exceptions: tuple[ControlException, ...] = ()  # the release's exceptions.json


class LoadedReleases(NamedTuple):
    infos: tuple[ReleaseInfo, ...]  # sorted by namespace
    signed_index: ReleaseIndexSeen | None  # the index they matched; None when not read


def scheduled_controls(conf: dict[str, Any]) -> tuple[str, ...]:
    """The controls a config schedules, by the names their results will carry (osquery
    names a pack's query ``pack_<pack>_<query>``)."""
    names: list[str] = list(conf.get("schedule", {}) or {})
    for pack_name, pack in (conf.get("packs", {}) or {}).items():
        if isinstance(pack, dict):
            names.extend(f"pack_{pack_name}_{q}" for q in (pack.get("queries", {}) or {}))
    return tuple(sorted({cid for n in names if (cid := control_id_of(n))}))


def _read(path: Path) -> bytes:
    data = read_bounded(path, MAX_RELEASE_FILE)
    if len(data) > MAX_RELEASE_FILE:
        raise UsageError(f"{path}: larger than {MAX_RELEASE_FILE} bytes; is this a release?")
    return data


def _signer(envelope: dict[str, Any], where: Path) -> tuple[str, str]:
    try:
        leaf_der = base64.b64decode(envelope["x5c"][0], validate=True)
        cert = x509.load_der_x509_certificate(leaf_der)
    except (KeyError, IndexError, TypeError, ValueError, binascii.Error) as exc:
        raise UsageError(f"{where}: no readable signer certificate ({exc}); rebuild it") from None
    return cert.subject.rfc4514_string(), hashlib.sha256(leaf_der).hexdigest()


def _controls(conf_path: Path, data: bytes | None) -> tuple[str, ...]:
    if data is None:
        return ()
    try:
        return scheduled_controls(json.loads(data))
    except (ValueError, AttributeError) as exc:
        raise UsageError(f"{conf_path}: not an osquery config ({exc})") from None


def _exceptions(path: Path, namespace: str, data: bytes | None) -> tuple[ControlException, ...]:
    if data is None:
        return ()
    try:
        return parse_exceptions(data, namespace)
    except ExceptionsError as exc:
        raise UsageError(f"{path}: {exc}; fix the policy repository and rebuild") from None


def _info(
    manifest: Manifest,
    subject: str,
    fingerprint: str,
    controls: tuple[str, ...],
    exceptions: tuple[ControlException, ...],
    *,
    verified: bool,
) -> ReleaseInfo:
    conf_entry = manifest.files.get(OSQUERY_CONF)
    release = Release(
        namespace=manifest.namespace,
        version=manifest.version,
        config_version=manifest.config_version,
        created=manifest.created,
        expires=manifest.expires,
        signer_subject=subject,
        signer_fingerprint=fingerprint,
        source_repo=manifest.source_repo,
        source_commit=manifest.source_commit,
        osquery_conf_sha256=conf_entry.sha256 if conf_entry else "",
        verified=verified,
    )
    return ReleaseInfo(
        release=release,
        controls=controls,
        tags=dict(manifest.tags),
        manifest_sha256=IndexEntry.of(manifest).manifest_sha256,
        exceptions=exceptions,
    )


def _verified_release(
    directory: Path, namespace: str, policy: TrustPolicy, at: datetime
) -> ReleaseInfo:
    """Checks 1-8 of docs/design.md §6 on the envelope and on every file present next to it
    (``fetch_and_verify``: only what is here is evidence; all of it is checked).

    The bytes that are hashed are the bytes that are used (osquery.conf), so nothing
    can change between the check and the read.
    """
    verifier = ReleaseVerifier(policy, namespace, None, at)
    fetched = fetch_and_verify(DirectoryFetcher(directory), verifier, missing_ok=True)
    verified, present = fetched.release, fetched.files or {}
    for name in (OSQUERY_CONF, EXCEPTIONS):  # what the report reads is signed, or refused
        if name not in verified.manifest.files and (directory / name).exists():
            raise FileUnknownError(
                f"{name} lies next to the release but is not in its signed manifest; "
                "rebuild and re-sign"
            )
    return _info(
        verified.manifest,
        verified.signer_subject,
        verified.signer_fingerprint,
        _controls(directory / OSQUERY_CONF, present.get(OSQUERY_CONF)),
        _exceptions(directory / EXCEPTIONS, namespace, present.get(EXCEPTIONS)),
        verified=True,
    )


def _read_release(directory: Path, root: Path) -> ReleaseInfo:
    envelope_path, manifest_path = directory / ENVELOPE, directory / MANIFEST
    subject = fingerprint = ""
    try:
        if envelope_path.is_file():
            envelope = json.loads(_read(envelope_path))
            payload = base64.b64decode(envelope["payload"], validate=True)
            manifest = parse_manifest(payload)
            subject, fingerprint = _signer(envelope, envelope_path)
        else:
            manifest = parse_manifest(_read(manifest_path), require_expires=False)
    except (ManifestError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise UsageError(
            f"{directory}: release does not parse ({exc}); rebuild and re-sign it"
        ) from None
    expected = directory.relative_to(root).as_posix()
    if manifest.namespace != expected:
        raise UsageError(
            f"{directory}: manifest names namespace {manifest.namespace!r}, not {expected!r}"
        )
    conf_path = directory / OSQUERY_CONF
    conf = _read(conf_path) if conf_path.is_file() else None
    exc_path = directory / EXCEPTIONS
    listed = EXCEPTIONS in manifest.files and exc_path.is_file()
    return _info(
        manifest,
        subject,
        fingerprint,
        _controls(conf_path, conf),
        _exceptions(exc_path, manifest.namespace, _read(exc_path) if listed else None),
        verified=False,
    )


def _release_dirs(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_dir() and ((path / ENVELOPE).is_file() or (path / MANIFEST).is_file()):
            yield path


def _check_root(root: Path) -> None:
    if not root.is_dir():
        raise UsageError(f"--releases {root}: not a directory; point it at the signed dist/ tree")


def read_releases(root: Path) -> tuple[ReleaseInfo, ...]:
    """Every release under ``root`` (a dist/ tree), sorted by namespace, NOT verified.

    For the fleet simulator, which only needs the schedule. Reports use ``load_releases``.
    """
    _check_root(root)
    return tuple(_read_release(d, root) for d in _release_dirs(root))


def _reason(exc: VerificationError, at: datetime) -> str:
    """What the refusal says; a signer not yet valid at the window's end means a report
    for a past window against a newer dist/ tree (docs/report.md, "Reports for a past
    window")."""
    not_before = exc.not_yet_valid if isinstance(exc, CertificateExpiredError) else None
    if not_before is None:
        return str(exc)
    return (
        f"the report window ends {format_time(at)}, before the signer's validity (from "
        f"{format_time(not_before)}): this dist/ tree was signed later; report against the "
        "dist/ tree that was live then (archive each signed dist/)"
    )


def _load(directory: Path, root: Path, trust: ReleaseTrust) -> ReleaseInfo:
    namespace = directory.relative_to(root).as_posix()
    if trust.policy is not None and (directory / ENVELOPE).is_file():
        try:
            return _verified_release(directory, namespace, trust.policy, trust.at)
        except VerificationError as exc:
            raise ReleaseRefused(namespace, exc.check, _reason(exc, trust.at)) from None
    if not trust.allow_unverified:
        raise ReleaseRefused(
            namespace,
            "unsigned",
            f"{directory} has {MANIFEST} but no {ENVELOPE}; sign it with `trails sign`, "
            "or pass --insecure-unverified-releases to report against it unverified",
        )
    return _read_release(directory, root)


def _verified_index(root: Path, policy: TrustPolicy, at: datetime) -> VerifiedIndex:
    path = root / INDEX_ENVELOPE
    if not path.is_file():
        raise ReleaseRefused(
            None,
            "index",
            f"{path} is missing, so a deleted or replayed release could not be told; "
            "re-sign the dist/ tree with `trails sign` (it writes the index)",
        )
    try:
        envelope = fetch_envelope(DirectoryFetcher(root), INDEX_ENVELOPE)
        return verify_index(envelope, policy, at)
    except VerificationError as exc:
        check = "index" if exc.check == "index" else f"index-{exc.check}"
        raise ReleaseRefused(None, check, _reason(exc, at)) from None


def _check_index(
    root: Path, infos: Sequence[ReleaseInfo], policy: TrustPolicy, at: datetime
) -> ReleaseIndexSeen:
    """The signed index verifies and lists exactly the releases present."""
    verified = _verified_index(root, policy, at)
    found = {
        i.release.namespace: IndexEntry(
            i.release.namespace, i.release.version, i.release.config_version, i.manifest_sha256
        )
        for i in infos
    }
    try:
        match_releases(verified.index, found)
    except IndexMismatchError as exc:
        raise ReleaseRefused(exc.namespace, exc.check, str(exc)) from None
    return ReleaseIndexSeen(
        created=verified.index.created,
        expires=verified.index.expires,
        releases=len(verified.index.releases),
        signer_subject=verified.signer_subject,
        signer_fingerprint=verified.signer_fingerprint,
        envelope_sha256=verified.envelope_sha256,
    )


def load_releases(root: Path, trust: ReleaseTrust) -> LoadedReleases:
    """Every release under ``root``, sorted by namespace: verified against ``trust.policy``
    at ``trust.at``, then held to the signed release index (returned with them); a failure
    refuses the whole report (``ReleaseRefused``, exit 3).

    With ``trust.allow_unverified``, a built but unsigned release (or every release, when
    there is no policy) is read without verification and marked ``verified=False``; a
    signed release that fails a check is still refused; the index is not read.
    """
    if trust.policy is None and not trust.allow_unverified:
        raise UsageError(
            "--releases needs --roots ROOTS.pem to verify the releases (or "
            "--insecure-unverified-releases to report against them unverified)"
        )
    _check_root(root)
    infos = tuple(_load(d, root, trust) for d in _release_dirs(root))
    if trust.policy is None or trust.allow_unverified:
        return LoadedReleases(infos, None)
    return LoadedReleases(infos, _check_index(root, infos, trust.policy, trust.at))
