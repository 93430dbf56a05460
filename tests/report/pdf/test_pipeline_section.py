"""The PDF's pipeline-integrity section never says "No finding" about what it never saw."""

from __future__ import annotations

import dataclasses

from reportlab.platypus import Paragraph

from tests.report.factories import example_report
from trails.report.model import IntegrityFinding, IntegrityKind, Report
from trails.report.pdf.sections.pipeline import integrity


def _texts(report: Report) -> list[str]:
    return [f.getPlainText() for f in integrity(report) if isinstance(f, Paragraph)]


def _blind(report: Report, count: int) -> Report:
    findings = tuple(
        IntegrityFinding(
            kind=IntegrityKind.NO_INTEGRITY_DATA,
            host_uuid=h.host_uuid,
            hostname=h.hostname,
            namespace=h.namespace,
            detail="no trails.integrity row received",
            observed=None,
        )
        for h in report.hosts[:count]
    )
    return dataclasses.replace(report, integrity=findings)


def test_no_integrity_data_from_any_host_is_said_so() -> None:
    report = example_report()
    texts = _texts(_blind(report, len(report.hosts)))
    n = len(report.hosts)
    assert f"Cannot be judged: no integrity data received from {n:,} hosts." in texts
    assert "No finding." in texts  # silence is judged from any line, not integrity rows


def test_some_hosts_without_integrity_data() -> None:
    report = example_report()
    texts = _texts(_blind(report, 1))
    judged = len(report.hosts) - 1
    assert (
        f"No finding among the {judged:,} hosts that sent integrity data; no integrity data "
        "received from 1 hosts." in texts
    )


def test_with_integrity_data_from_every_host_no_finding_is_no_finding() -> None:
    report = dataclasses.replace(example_report(), integrity=())
    bodies = [t for t in _texts(report) if not t.endswith("(0)")][2:]  # after the intro
    # The missing-hosts list appears only when there are some (it needs --inventory).
    assert bodies == ["No finding."] * (len(IntegrityKind) - 1)


def test_missing_hosts_have_their_own_list() -> None:
    report = example_report()
    host = report.hosts[0]
    missing = IntegrityFinding(
        kind=IntegrityKind.MISSING,
        host_uuid=host.host_uuid,
        hostname=host.hostname,
        namespace=host.namespace,
        detail="in the inventory, never reported",
    )
    texts = _texts(dataclasses.replace(report, integrity=(missing,)))
    assert "Hosts in the inventory that never reported (1)" in texts
