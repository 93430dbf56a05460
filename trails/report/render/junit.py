"""JUnit XML: a testsuite per host, a testcase per control, for CI dashboards.

``fail`` is a ``<failure>``; ``error``, ``no_evidence`` and ``stale`` are ``<error>``s
(the control could not be judged); ``not_applicable``, ``manual`` and ``waived`` (a
failure a signed exception accepts, never a pass) are ``<skipped>``.
A report of simulated data says so in its name and in every suite's properties.
Host text is escaped for XML and stripped of characters XML 1.0 cannot carry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from itertools import groupby
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from trails.formats.manifest import format_time
from trails.models.evidence import ReportStatus
from trails.report.model import ControlResult, Report
from trails.report.render.text import visible

_ERRORS = (ReportStatus.ERROR, ReportStatus.NO_EVIDENCE, ReportStatus.STALE)
# A waived failure is accepted, not passed: skipped, with the exception in its message.
_SKIPPED = (ReportStatus.NOT_APPLICABLE, ReportStatus.MANUAL, ReportStatus.WAIVED)


@lru_cache(maxsize=1 << 16)  # hosts, controls and versions repeat across a million rows
def _attr(text: str) -> str:
    return quoteattr(visible(text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _text(text: str) -> str:
    return escape(visible(text))


def _case(result: ControlResult, title: str, classname: str) -> str:
    head = (
        f"    <testcase name={_attr(result.control_id + ' ' + title)} classname={_attr(classname)}"
    )
    status = result.status
    if status is ReportStatus.PASS:
        return head + "/>"
    if status in _SKIPPED:
        reason = f"{status.value}: {result.detail}" if result.detail else status.value
        inner = f"<skipped message={_attr(reason)}/>"
    elif status is ReportStatus.FAIL:
        evidence = "\n".join(
            json.dumps(row.to_dict(), ensure_ascii=False) for row in result.evidence
        )
        message = f"{result.evidence_count} offending row(s)"
        inner = f'<failure type="fail" message={_attr(message)}>{_text(evidence)}</failure>'
    else:
        inner = (
            f"<error type={_attr(status.value)} message={_attr(result.detail or status.value)}/>"
        )
    return f"{head}>\n      {inner}\n    </testcase>"


def _suites(report: Report) -> Iterator[str]:
    """One suite per host, from the results streamed in host order."""
    marker = (
        '    <properties><property name="simulated" value="true"/></properties>'
        if report.metadata.simulated
        else None
    )
    hosts = report.hosts_by_uuid
    titles = {c.id: c.title for c in report.controls}
    for uuid, group in groupby(report.results, key=lambda r: r.host_uuid):
        results = list(group)
        host = hosts.get(uuid)
        name = host.hostname if host and host.hostname else uuid
        classname = f"{host.namespace if host else ''}.{uuid}"
        failures = sum(r.status is ReportStatus.FAIL for r in results)
        errors = sum(r.status in _ERRORS for r in results)
        skipped = sum(r.status in _SKIPPED for r in results)
        yield (
            f'  <testsuite name={_attr(name)} id={_attr(uuid)} tests="{len(results)}"'
            f' failures="{failures}" errors="{errors}" skipped="{skipped}"'
            f" timestamp={_attr(format_time(report.metadata.generated_at))}"
            f" hostname={_attr(name)}>"
        )
        if marker:
            yield marker
        for result in results:
            yield _case(result, titles.get(result.control_id, ""), classname)
        yield "  </testsuite>"


def write_junit(report: Report, out: BinaryIO) -> None:
    s = report.summary
    title = report.metadata.title + (" (SIMULATED DATA)" if report.metadata.simulated else "")
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name={_attr(title)} tests="{s.total}"'
        f' failures="{s[ReportStatus.FAIL]}"'
        f' errors="{sum(s[x] for x in _ERRORS)}" skipped="{sum(s[x] for x in _SKIPPED)}">'
    )
    out.write(head.encode("utf-8") + b"\n")
    for suite_line in _suites(report):
        out.write(suite_line.encode("utf-8") + b"\n")
    out.write(b"</testsuites>\n")
