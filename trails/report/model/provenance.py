"""Where the evidence came from: releases, signers, config versions, integrity, ingest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from trails.formats.manifest import format_time
from trails.report.model.common import optional_time


class IntegrityKind(StrEnum):
    OUTDATED_CONFIG = "outdated_config"  # not the newest signed config_version of its namespace
    VERIFICATION_ERROR = "verification_error"  # the agent refused a release
    EXPIRED_RELEASE = "expired_release"  # the installed release expired before `until`
    SILENT = "silent"  # nothing received for longer than --silent-after
    CONFIG_HASH_MISMATCH = "config_hash_mismatch"  # installed osquery.conf != signed manifest
    # newer than the newest release in --releases: that tree is older than the deployed one
    # (replayed whole, index included?) or the host runs a config that was never signed
    NEWER_THAN_SIGNED = "newer_than_signed"
    # no trails.integrity row in the window: agent, release and installed config unknown
    NO_INTEGRITY_DATA = "no_integrity_data"
    # in the --inventory (expected to report), never seen in the input up to `until`
    MISSING = "missing"


@dataclass(frozen=True)
class IntegrityFinding:
    kind: IntegrityKind
    host_uuid: str
    hostname: str
    namespace: str
    detail: str
    observed: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "host_uuid": self.host_uuid,
            "hostname": self.hostname,
            "namespace": self.namespace,
            "detail": self.detail,
            "observed": optional_time(self.observed),
        }


@dataclass(frozen=True)
class Release:
    """A release of one namespace, as found in --releases (dist/).

    ``verified``: its signature, chain, namespace authorisation and files were checked
    against the pinned roots at the window's end. False only under
    ``--insecure-unverified-releases`` (or for a built, unsigned release), and the
    renderers say so.
    """

    namespace: str
    version: int
    config_version: str
    created: datetime | None
    expires: datetime | None
    signer_subject: str
    signer_fingerprint: str  # hex SHA-256 of the leaf certificate DER
    source_repo: str
    source_commit: str
    osquery_conf_sha256: str
    verified: bool = False  # nothing is trusted by default

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "version": self.version,
            "config_version": self.config_version,
            "created": optional_time(self.created),
            "expires": optional_time(self.expires),
            "signer_subject": self.signer_subject,
            "signer_fingerprint": self.signer_fingerprint,
            "source_repo": self.source_repo,
            "source_commit": self.source_commit,
            "osquery_conf_sha256": self.osquery_conf_sha256,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class ReleaseIndexSeen:
    """The signed release index (``dist/index.dsse.json``) the releases were held to."""

    created: datetime
    expires: datetime
    releases: int  # how many releases it lists
    signer_subject: str
    signer_fingerprint: str  # hex SHA-256 of the leaf certificate DER
    envelope_sha256: str  # of index.dsse.json as read

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": format_time(self.created),
            "expires": format_time(self.expires),
            "releases": self.releases,
            "signer_subject": self.signer_subject,
            "signer_fingerprint": self.signer_fingerprint,
            "envelope_sha256": self.envelope_sha256,
        }


@dataclass(frozen=True)
class ConfigVersionSeen:
    namespace: str
    config_version: str
    hosts: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "config_version": self.config_version,
            "hosts": self.hosts,
        }


@dataclass(frozen=True)
class Signer:
    subject: str
    fingerprint: str

    def to_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class Scope:
    """What the report covers and which signed configs produced the evidence."""

    namespaces: tuple[str, ...]
    frameworks: tuple[str, ...]
    releases: tuple[Release, ...]
    config_versions: tuple[ConfigVersionSeen, ...]
    signers: tuple[Signer, ...]
    commits: tuple[str, ...]
    release_index: ReleaseIndexSeen | None = None  # None: no --releases, or unverified
    # True: the controls and frameworks are those the releases schedule (plus their manual
    # siblings); False: no --releases, every control of the packs.
    from_releases: bool = False
    framework: str | None = None  # --framework: only this framework's controls

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespaces": list(self.namespaces),
            "frameworks": list(self.frameworks),
            "from_releases": self.from_releases,
            "framework": self.framework,
            "releases": [r.to_dict() for r in self.releases],
            "release_index": None if self.release_index is None else self.release_index.to_dict(),
            "config_versions": [c.to_dict() for c in self.config_versions],
            "signers": [s.to_dict() for s in self.signers],
            "commits": list(self.commits),
        }


@dataclass(frozen=True)
class MalformedLine:
    file: str
    line: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class IngestStats:
    files: tuple[str, ...]
    lines: int  # every line read, malformed included
    result_rows: int  # trails.* rows kept (schedule statistics only where they are errors)
    malformed: int
    malformed_samples: tuple[MalformedLine, ...]  # the first few, with file and line
    simulated_lines: int = 0  # lines marked by ``trails simulate``

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "lines": self.lines,
            "result_rows": self.result_rows,
            "malformed": self.malformed,
            "malformed_samples": [m.to_dict() for m in self.malformed_samples],
            "simulated_lines": self.simulated_lines,
        }


@dataclass(frozen=True)
class Metadata:
    title: str
    generated_at: datetime  # from the input (newest line) unless given explicitly
    since: datetime
    until: datetime
    simulated: bool  # True when any input came from ``trails simulate``
    tool_version: str
    newest_evidence: datetime | None = None  # the newest input line in the window
    lines_after_until: int = 0  # input lines dated after the window's end, left out

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "generated_at": format_time(self.generated_at),
            "newest_evidence": format_time(self.newest_evidence) if self.newest_evidence else None,
            "lines_after_until": self.lines_after_until,
            "since": format_time(self.since),
            "until": format_time(self.until),
            "simulated": self.simulated,
            "tool_version": self.tool_version,
        }
