"""The signed releases a report compares hosts against: a ``dist/`` tree (DESIGN.md §4).

Each namespace directory holds ``release.dsse.json`` (signed) or only ``manifest.json``
(built, not yet signed) next to ``osquery.conf``. The report reads them to learn the
newest config version per namespace, the manifest's osquery.conf hash, the signer and
the git commit, and which control queries each namespace schedules. Signatures are not
re-verified here (``trails verify`` does that); a release that does not parse is an error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from trails.errors import UsageError
from trails.models.evidence import CONTROL_QUERY_PREFIX
from trails.models.manifest import ManifestError, parse_manifest
from trails.report.model import Release

ENVELOPE = "release.dsse.json"
MANIFEST = "manifest.json"
OSQUERY_CONF = "osquery.conf"
MAX_RELEASE_FILE = 16 * 1024 * 1024


@dataclass(frozen=True)
class ReleaseInfo:
    release: Release
    controls: tuple[str, ...]  # control ids the namespace's osquery.conf schedules
    tags: dict[str, str]


def control_id_of(query_name: str) -> str | None:
    """``trails.control.X`` (or a pack-prefixed ``pack_P_trails.control.X``) -> ``X``."""
    _, sep, rest = query_name.partition(CONTROL_QUERY_PREFIX)
    return rest if sep and rest else None


def scheduled_controls(conf: dict[str, Any]) -> tuple[str, ...]:
    names: list[str] = list(conf.get("schedule", {}) or {})
    for pack in (conf.get("packs", {}) or {}).values():
        if isinstance(pack, dict):
            names.extend((pack.get("queries", {}) or {}).keys())
    return tuple(sorted({cid for n in names if (cid := control_id_of(n))}))


def _read(path: Path) -> bytes:
    if path.stat().st_size > MAX_RELEASE_FILE:
        raise UsageError(f"{path}: larger than {MAX_RELEASE_FILE} bytes; is this a release?")
    return path.read_bytes()


def _signer(envelope: dict[str, Any], where: Path) -> tuple[str, str]:
    try:
        leaf_der = base64.b64decode(envelope["x5c"][0], validate=True)
        cert = x509.load_der_x509_certificate(leaf_der)
    except (KeyError, IndexError, TypeError, ValueError, binascii.Error) as exc:
        raise UsageError(f"{where}: no readable signer certificate ({exc}); rebuild it") from None
    return cert.subject.rfc4514_string(), hashlib.sha256(leaf_der).hexdigest()


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
    controls: tuple[str, ...] = ()
    conf_path = directory / OSQUERY_CONF
    if conf_path.is_file():
        try:
            controls = scheduled_controls(json.loads(_read(conf_path)))
        except (ValueError, AttributeError) as exc:
            raise UsageError(f"{conf_path}: not an osquery config ({exc})") from None
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
    )
    return ReleaseInfo(release=release, controls=controls, tags=dict(manifest.tags))


def _release_dirs(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_dir() and ((path / ENVELOPE).is_file() or (path / MANIFEST).is_file()):
            yield path


def read_releases(root: Path) -> tuple[ReleaseInfo, ...]:
    """Every release under ``root`` (a dist/ tree), sorted by namespace."""
    if not root.is_dir():
        raise UsageError(f"--releases {root}: not a directory; point it at the signed dist/ tree")
    return tuple(_read_release(d, root) for d in _release_dirs(root))
