"""OSCAL assessment-results (NIST OSCAL 1.x JSON), for GRC tools.

One result covers the report window. Each host is an inventory item. Verdicts that
rest on collected evidence are observations (method TEST, collected time, hosts as
subjects): a failure, a waived failure (with the exception that accepts it) or an error
is one observation per host, carrying that host's evidence and reason; the hosts that
passed, were not applicable or sent stale evidence for a control share one observation
per status, listing every host as a subject (a fleet of 10,000 hosts would otherwise need
a million observations). Each control is a finding whose target status is ``satisfied``
only when no host failed (waived included), errored or lacked evidence. UUIDs are derived
from the report fingerprint, so the same report gives the same document.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from itertools import groupby
from typing import Any, BinaryIO

from trails.formats.manifest import format_time
from trails.models.evidence import ReportStatus
from trails.report.model import ControlResult, Report
from trails.report.render.text import visible

OSCAL_VERSION = "1.1.2"
_SATISFIED = (ReportStatus.PASS, ReportStatus.NOT_APPLICABLE)
# One observation per host: their reasons (evidence, error, the exception) differ.
_OWN = (ReportStatus.FAIL, ReportStatus.WAIVED, ReportStatus.ERROR)
_FINDINGS = (ReportStatus.FAIL, ReportStatus.WAIVED)  # a waived failure is still a finding
_OBSERVATIONS = -1.5
_NOT_TOKEN = re.compile(r"[^\w.\-]", re.ASCII)


def _line(text: str) -> str:
    """One line of visible text (OSCAL titles and property values)."""
    return " ".join(visible(text).split()) or "-"


def _token(text: str) -> str:
    token = _NOT_TOKEN.sub("_", text)
    return token if token[:1].isalpha() or token[:1] == "_" else "_" + token


class _Ids:
    """Name-based (version 5) UUIDs under one namespace derived from the fingerprint."""

    def __init__(self, fingerprint: str) -> None:
        self.base = uuid.uuid5(uuid.NAMESPACE_URL, "urn:trails:report:" + fingerprint).bytes
        self._known: dict[tuple[str, ...], str] = {}

    def __call__(self, *parts: str) -> str:
        # Each id is asked for many times (a host by every result): derive it once.
        known = self._known.get(parts)
        if known is None:
            known = self._known[parts] = self._derive(parts)
        return known

    def _derive(self, parts: tuple[str, ...]) -> str:
        # uuid.uuid5 without building UUID objects.
        digest = bytearray(hashlib.sha1(self.base + "\x1f".join(parts).encode()).digest()[:16])  # noqa: S324
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        h = digest.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@lru_cache(maxsize=1 << 16)  # one per host, shared by every observation naming it (read only)
def _subject(host_id: str) -> dict[str, str]:
    return {"subject-uuid": host_id, "type": "inventory-item"}


def _own_observation(result: ControlResult, title: str, ids: _Ids) -> dict[str, Any]:
    """A failure or an error: one host, its reason and its bounded evidence."""
    obs: dict[str, Any] = {
        "uuid": _observation_id(result, ids),
        "title": _line(f"{result.control_id}: {result.status.value}"),
        "description": visible(
            f"{title}. Status {result.status.value}"
            + (f"; {result.evidence_count} offending row(s)" if result.evidence_count else "")
            + (f"; {result.detail}" if result.detail else "")
            + f". Config {result.config_version or 'unknown'}."
        ),
        "methods": ["TEST"],
        "types": ["finding"] if result.status in _FINDINGS else ["control-objective"],
        "subjects": [_subject(ids("host", result.host_uuid))],
    }
    if result.collected is not None:  # always, for an observed result
        obs["collected"] = format_time(result.collected)
    if result.evidence:
        obs["relevant-evidence"] = [
            {"description": visible(json.dumps(row.to_dict(), ensure_ascii=False))}
            for row in result.evidence
        ]
    return obs


def _shared_observation(group: list[ControlResult], title: str, ids: _Ids) -> dict[str, Any]:
    """Every host with the same verdict on one control; collected is the newest evidence."""
    first = group[0]
    times = [r.collected for r in group if r.collected is not None]
    return {
        "uuid": _observation_id(first, ids),
        "title": _line(f"{first.control_id}: {first.status.value}"),
        "description": visible(
            f"{title}. Status {first.status.value} on {len(group)} host(s); evidence"
            f" collected from {format_time(min(times))} to {format_time(max(times))}."
        ),
        "methods": ["TEST"],
        "types": ["control-objective"],
        "subjects": [_subject(ids("host", r.host_uuid)) for r in group],
        "collected": format_time(max(times)),
    }


def _observation_id(result: ControlResult, ids: _Ids) -> str:
    if result.status in _OWN:
        return ids("observation", result.host_uuid, result.control_id)
    return ids("observation", result.control_id, result.status.value)


def _by_control(report: Report) -> Iterator[tuple[str, list[ControlResult]]]:
    """One control at a time: its results that rest on collected evidence, in host order
    (streamed from the engine, so a fleet's results are never all in memory)."""
    observed = (r for r in report.results.by_control() if r.collected is not None)
    for control_id, group in groupby(observed, key=lambda r: r.control_id):
        yield control_id, list(group)


def _related(report: Report, ids: _Ids) -> dict[str, list[str]]:
    """control id -> its observation ids, in the order ``_observations`` writes them."""
    related = {}
    for control_id, results in _by_control(report):
        own = [_observation_id(r, ids) for r in results if r.status in _OWN]
        shared = sorted({r.status.value for r in results if r.status not in _OWN})
        related[control_id] = own + [ids("observation", control_id, s) for s in shared]
    return related


def _observations(report: Report, ids: _Ids) -> Iterator[str]:
    titles = {c.id: c.title for c in report.controls}
    for control_id, results in _by_control(report):
        title = titles.get(control_id, "")
        shared: dict[ReportStatus, list[ControlResult]] = defaultdict(list)
        for result in results:
            if result.status in _OWN:
                obs = _own_observation(result, title, ids)
                yield json.dumps(obs, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            else:
                shared[result.status].append(result)
        for status in sorted(shared, key=lambda s: s.value):
            obs = _shared_observation(shared[status], title, ids)
            yield json.dumps(obs, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _document(report: Report, related_ids: dict[str, list[str]], ids: _Ids) -> dict[str, Any]:
    """The document, except that ``observations`` holds a placeholder (see render_oscal)."""
    meta = report.metadata
    inventory = []
    for host in report.hosts:
        props = [
            {"name": "fqdn", "value": _line(host.hostname)},
            {"name": "asset-id", "value": _line(host.host_uuid)},
            {"name": "asset-tag", "value": _line(host.namespace)},
            {"name": "version", "value": _line(host.config_version)},
        ]
        inventory.append(
            {
                "uuid": ids("host", host.host_uuid),
                "description": visible(host.hostname),
                "props": props,
            }
        )
    titles = {c.id: c.title for c in report.controls}
    findings = []
    for rollup in report.control_rollups:
        total = rollup.counts.total  # the control's results
        satisfied = total > 0 and total == sum(rollup.counts[s] for s in _SATISFIED)
        counts = ", ".join(f"{k} {v}" for k, v in rollup.counts.to_dict().items() if v)
        related = [{"observation-uuid": uid} for uid in related_ids.get(rollup.control_id, ())]
        finding: dict[str, Any] = {
            "uuid": ids("finding", rollup.control_id),
            "title": _line(f"{rollup.control_id}: {titles.get(rollup.control_id, '')}"),
            "description": visible(f"Across {total} host(s): {counts or 'no results'}."),
            "target": {
                "type": "objective-id",
                "target-id": _token(rollup.control_id),
                "status": {
                    "state": "satisfied" if satisfied else "not-satisfied",
                    "reason": "pass" if satisfied else rollup.status.value.replace("_", "-"),
                },
            },
        }
        if related:
            finding["related-observations"] = related
        findings.append(finding)
    result_doc: dict[str, Any] = {
        "uuid": ids("result"),
        "title": _line(meta.title),
        "description": visible(
            f"Evidence collected by osquery from {len(report.hosts)} host(s)"
            + (" (SIMULATED DATA)" if meta.simulated else "")
            + f"; report fingerprint {report.fingerprint}."
        ),
        "start": format_time(meta.since),
        "end": format_time(meta.until),
        "reviewed-controls": {"control-selections": [{"include-all": {}}]},
        "findings": findings,
    }
    if inventory:
        result_doc["local-definitions"] = {"inventory-items": inventory}
    if related_ids:
        result_doc["observations"] = _OBSERVATIONS  # encoded one by one in render_oscal
    if not findings:
        del result_doc["findings"]
    return {
        "assessment-results": {
            "uuid": ids("assessment-results"),
            "metadata": {
                "title": _line(meta.title + (" (simulated)" if meta.simulated else "")),
                "last-modified": format_time(meta.generated_at),
                "version": report.fingerprint[:16],
                "oscal-version": OSCAL_VERSION,
                "props": [{"name": "marking", "value": "simulated" if meta.simulated else "fleet"}],
            },
            "import-ap": {"href": "#" + ids("assessment-plan")},
            "results": [result_doc],
        }
    }


def write_oscal(report: Report, out: BinaryIO) -> None:
    """Two passes over the results by control: the findings name their observations,
    then the observations are encoded one at a time, never held together."""
    ids = _Ids(report.fingerprint)
    related = _related(report, ids)
    text = json.dumps(
        _document(report, related, ids), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    # The placeholder is a bare number: inside a JSON string a quote is always escaped,
    # so this key-value text can only be the real key.
    marker = f'"observations":{_OBSERVATIONS!r}'
    head, found, tail = text.partition(marker)
    out.write(head.encode("utf-8"))
    if found:
        out.write(b'"observations":[')
        for n, item in enumerate(_observations(report, ids)):
            out.write(b"," if n else b"")
            out.write(item.encode("utf-8"))
        out.write(b"]")
    out.write(tail.encode("utf-8") + b"\n")
