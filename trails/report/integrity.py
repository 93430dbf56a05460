"""Pipeline integrity: evidence that the audit pipeline itself was not tampered with.

From each host's newest ``trails.integrity`` row (the agent's ``trails_status`` joined
with osquery's hash of the installed osquery.conf) and its decorations:

* ``outdated_config``: not the newest signed config_version of its namespace (the
  newest release in --releases, else the newest any host of the namespace reports);
* ``verification_error``: the agent's last attempt was refused;
* ``expired_release``: the installed release expired before the end of the window;
* ``silent``: nothing arrived for longer than --silent-after;
* ``config_hash_mismatch``: the installed osquery.conf is not the one the signed
  manifest names;
* ``missing``: in the --inventory, never seen in the input up to the window's end;
* ``newer_than_signed``: newer than the newest release in --releases. The agent installs
  only what verifies, so either that dist/ tree is older than the one deployed (a whole
  tree replayed with its old, still valid index, which no signature check can tell) or
  the host runs a config that was never signed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from trails.formats.manifest import ManifestError, parse_time
from trails.models.evidence import INSTALLED_HASH_COLUMN
from trails.report.engine.interface import Engine
from trails.report.evaluate import Window
from trails.report.model import Host, IntegrityFinding, IntegrityKind, bound_text
from trails.report.releases import ReleaseInfo

_OK_RESULTS = ("", "ok", "unchanged")


def duration_text(span: timedelta) -> str:
    """``span`` as people write it: "1 day", "2 days 6 hours", "90 seconds" -> "1 minute 30
    seconds" (never ``str(timedelta)``'s "1 day, 0:00:00")."""
    seconds = int(span.total_seconds())
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 seconds"


def load_status(engine: Engine, window: Window) -> dict[str, dict[str, str]]:
    """host_uuid -> the columns of its newest integrity row (bounded strings)."""
    rows = engine.rows(
        f"""
        SELECT host_uuid, integrity FROM (
          SELECT host_uuid, integrity, row_number() OVER (
                   PARTITION BY host_uuid ORDER BY t DESC NULLS FIRST, integrity DESC NULLS FIRST
                 ) AS newest
          FROM rows WHERE kind = 'integrity' AND t <= {window.until_ts}
            AND host_uuid IS NOT NULL) integrity_rows
        WHERE newest = 1
        """  # noqa: S608 - an integer
    )
    status: dict[str, dict[str, str]] = {}
    for uuid, text in rows:
        try:
            row = json.loads(text or "{}")
        except (ValueError, RecursionError):  # cut at MAX_ROW_JSON, or nested to no end
            row = {}
        if isinstance(row, dict):
            status[uuid] = {k: bound_text(v) for k, v in row.items() if isinstance(v, str)}
    return status


def _version_key(config_version: str) -> str:
    return config_version.split("-", 1)[0]


def newest_versions(
    hosts: Sequence[Host], status: Mapping[str, Mapping[str, str]], releases: Sequence[ReleaseInfo]
) -> dict[str, str]:
    """namespace -> newest signed config_version (releases win over what hosts report)."""
    newest: dict[str, str] = {}
    for host in hosts:
        for cv in (host.config_version, status.get(host.host_uuid, {}).get("config_version", "")):
            if cv and _version_key(cv) > _version_key(newest.get(host.namespace, "")):
                newest[host.namespace] = cv
    for info in releases:
        rel = info.release
        newest[rel.namespace] = rel.config_version
    return newest


def _time(text: str) -> datetime | None:
    try:
        return parse_time(text)
    except ManifestError:
        return None


def _host_findings(
    host: Host,
    *,
    row: Mapping[str, str],
    newest: str | None,
    released: bool,  # ``newest`` is a release's under --releases, not a host's claim
    release_hash: Mapping[tuple[str, str], str],
    window: Window,
    silent_after: timedelta,
) -> list[tuple[IntegrityKind, str, datetime | None]]:
    found: list[tuple[IntegrityKind, str, datetime | None]] = []
    seen = host.last_seen
    if not row:
        detail = (
            "no trails.integrity row received: the agent's status, the installed release and "
            "the installed config cannot be checked"
        )
        found.append((IntegrityKind.NO_INTEGRITY_DATA, detail, seen))
    running = row.get("config_version") or host.config_version
    if newest and running != newest:
        if released and _version_key(running) > _version_key(newest):
            detail = (
                f"runs {running}, newer than the newest release under --releases ({newest}): "
                "report against the current dist/ tree, or find who deployed it"
            )
            found.append((IntegrityKind.NEWER_THAN_SIGNED, detail, seen))
        else:
            detail = f"runs {running}; newest signed is {newest}"
            found.append((IntegrityKind.OUTDATED_CONFIG, detail, seen))
    if row.get("last_result", "") not in _OK_RESULTS or row.get("last_error"):
        what = row.get("last_error") or row.get("last_result", "")
        when = _time(row.get("last_attempt_at", ""))
        found.append((IntegrityKind.VERIFICATION_ERROR, f"agent refused a release: {what}", when))
    expires = _time(row.get("expires", ""))
    if expires is not None and expires < window.until:
        found.append(
            (IntegrityKind.EXPIRED_RELEASE, f"installed release expired {row['expires']}", expires)
        )
    if seen is None or seen < window.until - silent_after:
        found.append(
            (IntegrityKind.SILENT, f"silent for more than {duration_text(silent_after)}", seen)
        )
    installed = row.get(INSTALLED_HASH_COLUMN, "")
    # Every namespace's osquery.conf differs, even when built from one commit.
    expected = release_hash.get((host.namespace, running)) or row.get("osquery_conf_sha256", "")
    if installed and expected and installed != expected:
        found.append(
            (
                IntegrityKind.CONFIG_HASH_MISMATCH,
                f"installed osquery.conf sha256 {installed} != signed manifest {expected}",
                seen,
            )
        )
    return found


def integrity_findings(
    hosts: Sequence[Host],
    status: Mapping[str, Mapping[str, str]],
    releases: Sequence[ReleaseInfo],
    window: Window,
    silent_after: timedelta,
) -> tuple[IntegrityFinding, ...]:
    newest = newest_versions(hosts, status, releases)
    released = {i.release.namespace for i in releases}
    release_hash = {
        (i.release.namespace, i.release.config_version): i.release.osquery_conf_sha256
        for i in releases
        if i.release.osquery_conf_sha256
    }
    findings = []
    for host in hosts:
        row: Mapping[str, Any] = status.get(host.host_uuid, {})
        for kind, detail, when in _host_findings(
            host,
            row=row,
            newest=newest.get(host.namespace),
            released=host.namespace in released,
            release_hash=release_hash,
            window=window,
            silent_after=silent_after,
        ):
            findings.append(
                IntegrityFinding(
                    kind=kind,
                    host_uuid=host.host_uuid,
                    hostname=host.hostname,
                    namespace=host.namespace,
                    detail=bound_text(detail),
                    observed=when,
                )
            )
    return tuple(sorted(findings, key=lambda f: (f.kind.value, f.host_uuid)))


def missing_findings(missing: Sequence[Host]) -> tuple[IntegrityFinding, ...]:
    """One ``missing`` finding per --inventory host never seen (and no other finding)."""
    return tuple(
        IntegrityFinding(
            kind=IntegrityKind.MISSING,
            host_uuid=host.host_uuid,
            hostname=host.hostname,
            namespace=host.namespace,
            detail="in the inventory, never reported: no line from this host up to the "
            "window's end",
        )
        for host in missing
    )
