"""``trails sign dist/``: turn each ``dist/<namespace>/manifest.json`` (unsigned, from
``trails build``) into ``release.dsse.json``, and optionally the CMS interop files; then
sign the set of releases of the run into ``dist/index.dsse.json`` (``trails.formats.index``).

Everything is checked before anything is written, so a refused namespace leaves the
whole dist directory as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from trails.errors import UsageError
from trails.fileio import atomic_write
from trails.formats.index import INDEX_PAYLOAD_TYPE, IndexEntry, ReleaseIndex
from trails.formats.manifest import (
    PAYLOAD_TYPE,
    Manifest,
    ManifestError,
    format_time,
    latest_version,
    parse_manifest,
    parse_time,
)
from trails.formats.names import (
    CMS_CONTENT,
    CMS_SIGNATURE,
    INDEX_ENVELOPE,
    MANIFEST,
    RELEASE_ENVELOPE,
)
from trails.formats.oids import EKU_CONFIG_SIGNING
from trails.models.duration import parse_duration
from trails.models.namespace import pattern_matches
from trails.sign.cms import require_cms_key, sign_detached
from trails.sign.signer import Signer

MAX_MANIFEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SignedRelease:
    namespace: str
    version: int
    expires: datetime
    written: tuple[Path, ...]


def parse_expires(text: str, now: datetime) -> datetime:
    """A duration from ``now`` (``30d``, ``12h``, ``90m``), or an RFC 3339 UTC time."""
    if (duration := parse_duration(text)) is not None:
        return now + duration
    try:
        return parse_time(text)
    except ManifestError:
        raise UsageError(
            f"--expires {text!r} is neither a duration like 30d/12h/90m nor a time like "
            "2026-01-31T12:00:00Z"
        ) from None


def find_manifests(dist: Path) -> dict[str, Path]:
    """namespace -> manifest path, for every ``<dist>/<namespace>/manifest.json``."""
    if not dist.is_dir():
        raise UsageError(f"{dist} is not a directory; run `trails build` first")
    found: dict[str, Path] = {}
    for path in sorted(dist.rglob(MANIFEST)):
        found[path.parent.relative_to(dist).as_posix()] = path
    if not found:
        raise UsageError(f"no */{MANIFEST} under {dist}; run `trails build` first")
    return found


def _load(namespace: str, path: Path) -> Manifest:
    data = path.read_bytes()
    if len(data) > MAX_MANIFEST_BYTES:
        raise UsageError(f"{path} is larger than {MAX_MANIFEST_BYTES} bytes; rebuild it")
    try:
        manifest = parse_manifest(data, require_expires=False)
    except ManifestError as exc:
        raise UsageError(f"{path}: {exc}; rebuild with `trails build`") from None
    if manifest.namespace != namespace:
        raise UsageError(
            f"{path} names namespace {manifest.namespace!r} but sits in {namespace!r}; rebuild"
        )
    for name, entry in manifest.files.items():
        file = path.parent / name
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise UsageError(
                f"{file} listed in the manifest cannot be read: {exc.strerror}"
            ) from None
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise UsageError(f"{file} does not match its manifest entry; rebuild before signing")
    return manifest


def _write(path: Path, data: bytes) -> Path:
    """Published files: world-readable, written all or nothing (``trails.fileio``)."""
    atomic_write(path, data, 0o644)
    return path


@dataclass(frozen=True)
class PlannedRelease:
    """A namespace that passed every check and is ready to be signed."""

    namespace: str
    directory: Path
    manifest: Manifest  # with ``expires`` set


def plan_dist(
    dist: Path,
    signer: Signer,
    *,
    expires: datetime,
    now: datetime,
    namespaces: tuple[str, ...] = (),
    cms: bool = False,
) -> list[PlannedRelease]:
    """Every check for the chosen (default: all) namespaces of ``dist``; writes nothing."""
    if not signer.has_eku(EKU_CONFIG_SIGNING):
        raise UsageError(
            f"signer {signer.subject} lacks the trails config-signing EKU "
            f"{EKU_CONFIG_SIGNING.dotted_string}; use a --purpose config signer"
        )
    if expires <= now:
        raise UsageError("--expires is not in the future; give e.g. 30d")
    if expires > signer.not_after:
        raise UsageError(
            f"release would expire {format_time(expires)}, after the signer certificate "
            f"({format_time(signer.not_after)}); shorten --expires or renew the certificate"
        )
    if cms:
        require_cms_key(signer)
    found = find_manifests(dist)
    unknown = set(namespaces) - found.keys()
    if unknown:
        raise UsageError(f"no manifest for namespace {', '.join(sorted(unknown))} under {dist}")
    plan = []
    for ns in namespaces or tuple(found):
        if not any(pattern_matches(p, ns) for p in signer.namespaces):
            raise UsageError(
                f"signer {signer.subject} may sign {', '.join(signer.namespaces) or 'nothing'}, "
                f"not {ns!r}; use a certificate that covers it or pass --namespace"
            )
        # The release carries the epoch its signer's chain grants (docs/pki.md, recovery).
        manifest = _load(ns, found[ns]).with_expiry(expires)._replace(epoch=signer.epoch)
        _check_signer_bounds(ns, manifest, signer)
        plan.append(PlannedRelease(ns, found[ns].parent, manifest))
    return plan


def _check_signer_bounds(ns: str, manifest: Manifest, signer: Signer) -> None:
    """What every agent refuses (trails.verify.core), refused here before anything is signed."""
    if not signer.not_before <= manifest.created <= signer.not_after:
        raise UsageError(
            f"{ns}: created {format_time(manifest.created)} is outside the signer certificate "
            f"({format_time(signer.not_before)} to {format_time(signer.not_after)}) and agents "
            "refuse it; rebuild from a newer commit (git commit --allow-empty) and sign again"
        )
    if manifest.version > latest_version(manifest.created):
        raise UsageError(
            f"{ns}: version {manifest.version} is later than created "
            f"{format_time(manifest.created)} and agents refuse it; rebuild with trails build"
        )


def write_release(item: PlannedRelease, signer: Signer, *, cms: bool) -> SignedRelease:
    """Sign one planned namespace: release.dsse.json (+ the CMS pair)."""
    payload = item.manifest.to_bytes()
    out = item.directory
    written = [_write(out / RELEASE_ENVELOPE, signer.sign(payload, PAYLOAD_TYPE))]
    if cms:
        written.append(_write(out / CMS_SIGNATURE, sign_detached(signer, payload)))
        written.append(_write(out / CMS_CONTENT, payload))
    expires = item.manifest.expires
    if expires is None:  # pragma: no cover - plan_dist always sets it
        raise UsageError("internal: planned release without expiry")
    return SignedRelease(item.namespace, item.manifest.version, expires, tuple(written))


def write_index(
    dist: Path, plan: Sequence[PlannedRelease], signer: Signer, *, expires: datetime, now: datetime
) -> Path:
    """``dist/index.dsse.json``: the releases of this run, signed like a release (same
    signer, same chain, the same ``expires``). Written after the releases it lists."""
    entries = tuple(sorted(IndexEntry.of(item.manifest) for item in plan))
    index = ReleaseIndex(created=now, expires=expires, releases=entries)
    return _write(dist / INDEX_ENVELOPE, signer.sign(index.to_bytes(), INDEX_PAYLOAD_TYPE))


def sign_plan(
    dist: Path,
    plan: Sequence[PlannedRelease],
    signer: Signer,
    *,
    expires: datetime,
    now: datetime,
    cms: bool = False,
    items: Iterable[PlannedRelease] | None = None,
) -> tuple[list[SignedRelease], Path]:
    """Sign every planned release, then the index listing them; ``items`` is ``plan``
    as a caller wants to walk it (a progress bar)."""
    signed = [write_release(item, signer, cms=cms) for item in (plan if items is None else items)]
    return signed, write_index(dist, plan, signer, expires=expires, now=now)


def sign_dist(
    dist: Path,
    signer: Signer,
    *,
    expires: datetime,
    now: datetime,
    namespaces: tuple[str, ...] = (),
    cms: bool = False,
) -> list[SignedRelease]:
    """Check every chosen namespace, then sign them all and the index listing them
    (nothing is written on refusal)."""
    plan = plan_dist(dist, signer, expires=expires, now=now, namespaces=namespaces, cms=cms)
    return sign_plan(dist, plan, signer, expires=expires, now=now, cms=cms)[0]
