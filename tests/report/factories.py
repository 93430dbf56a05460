"""Small, fully populated reports for renderer tests (JSON, CSV, JUnit, OSCAL, PDF).

``example_report()`` is a tidy fleet; ``hostile_report()`` puts the hostile strings a
host may send (markup, scripts, control characters, RTL overrides, formulas, huge
values) into every host-supplied field. Both are deterministic.
"""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timedelta
from pathlib import Path

from testkit.report_synth import HOSTILE_STRINGS, SINCE, UNTIL
from trails.models.evidence import ReportStatus
from trails.report.assemble import report_in_memory
from trails.report.catalog import RequirementSpec
from trails.report.model import (
    RESULTS_FILE,
    BaselineDiff,
    Change,
    ConfigVersionSeen,
    ControlInfo,
    ControlResult,
    EvidenceRow,
    FrameworkRef,
    Host,
    IngestStats,
    IntegrityFinding,
    IntegrityKind,
    MalformedLine,
    Metadata,
    Release,
    Report,
    Scope,
    Signer,
    StatusCounts,
    TrendPoint,
    bound_text,
)

CV_NEW = "20261122080000-abc1234"
CV_OLD = "20261101080000-0ff1ce0"


def bare_release(
    config_version: str = CV_NEW, osquery_conf_sha256: str = "", namespace: str = "linux/pci"
) -> Release:
    """A release as evaluation needs it: namespace and config version, no real signer."""
    return Release(
        namespace=namespace,
        version=int(config_version.split("-", maxsplit=1)[0]),
        config_version=config_version,
        created=None,
        expires=None,
        signer_subject="CN=s",
        signer_fingerprint="ab" * 32,
        source_repo="r",
        source_commit="c" * 40,
        osquery_conf_sha256=osquery_conf_sha256,
    )


FPR = "ab" * 32

CONTROLS = (
    ControlInfo(
        id="cis-ubuntu-1.1.1.1",
        title="Ensure cramfs kernel module is not available",
        severity="medium",
        level="1",
        refs=(FrameworkRef("cis-ubuntu-22.04", "1.1.1.1"), FrameworkRef("pci-dss-4.0.1", "2.2.4")),
        remediation="Blacklist cramfs in /etc/modprobe.d and unload it.",
        rationale="Unused filesystem modules widen the attack surface.",
    ),
    ControlInfo(
        id="cis-ubuntu-5.2.1",
        title="Ensure sudo is installed",
        severity="high",
        level="1",
        refs=(FrameworkRef("cis-ubuntu-22.04", "5.2.1"), FrameworkRef("pci-dss-4.0.1", "2.2.6")),
        remediation="apt install sudo",
        rationale="sudo logs privileged commands.",
    ),
    ControlInfo(
        id="cis-ubuntu-6.3.3.1",
        title="Ensure changes to the sudoers scope are collected",
        severity="medium",
        level="2",
        refs=(
            FrameworkRef("cis-ubuntu-22.04", "6.3.3.1"),
            FrameworkRef("pci-dss-4.0.1", "10.2.1.2"),
        ),
        remediation="Load the audit rules from the trails release.",
        rationale="Changes to sudoers must be traceable.",
    ),
    ControlInfo(
        id="pci-12.10.1",
        title="Incident response plan exists",
        severity="high",
        refs=(FrameworkRef("pci-dss-4.0.1", "12.10.1"),),
        manual_reason="An incident response plan is a document, not a host setting.",
    ),
)
REQUIREMENTS = (
    RequirementSpec("pci-dss-4.0.1", "2.2.4", "Only necessary services are enabled"),
    RequirementSpec("pci-dss-4.0.1", "2.2.6", "System security parameters prevent misuse"),
    RequirementSpec("pci-dss-4.0.1", "10.2.1.2", "Actions by administrators are logged"),
    RequirementSpec(
        "pci-dss-4.0.1", "5.3.4", "Anti-malware logs are retained", "Checked in the AV console"
    ),
)


def _host(n: int, namespace: str, cv: str, owner: str, hostname: str | None = None) -> Host:
    return Host(
        host_uuid=f"00000000-0000-4000-8000-{n:012d}",
        hostname=hostname or f"web-{n:02d}.example.com",
        namespace=namespace,
        config_version=cv,
        org="example",
        owner=owner,
        owner_group="platform",
        project="payments",
        last_seen=UNTIL - timedelta(hours=n),
    )


def _report(
    hosts: tuple[Host, ...],
    results: tuple[ControlResult, ...],
    *,
    integrity: tuple[IntegrityFinding, ...] = (),
    baseline: BaselineDiff | None = None,
    simulated: bool = False,
) -> Report:
    controls = CONTROLS
    return report_in_memory(
        hosts,
        results,
        controls,
        REQUIREMENTS,
        metadata=Metadata(
            title="Example fleet compliance",
            generated_at=UNTIL,
            since=SINCE,
            until=UNTIL,
            simulated=simulated,
            tool_version="0.1.0",
        ),
        scope=Scope(
            namespaces=("linux", "linux/pci"),
            frameworks=("cis-ubuntu-22.04", "pci-dss-4.0.1"),
            releases=(
                Release(
                    namespace="linux/pci",
                    version=20261122080000,
                    config_version=CV_NEW,
                    created=UNTIL - timedelta(days=1, hours=4),
                    expires=UNTIL + timedelta(days=30),
                    signer_subject="CN=trails signer ci,O=Example",
                    signer_fingerprint=FPR,
                    source_repo="https://git.example.com/policies.git",
                    source_commit="abc1234" + "0" * 33,
                    osquery_conf_sha256="cd" * 32,
                    verified=True,
                ),
            ),
            config_versions=tuple(
                ConfigVersionSeen(
                    ns, cv, sum(1 for h in hosts if (h.namespace, h.config_version) == (ns, cv))
                )
                for ns, cv in sorted({(h.namespace, h.config_version) for h in hosts})
            ),
            signers=(Signer("CN=trails signer ci,O=Example", FPR),),
            commits=("abc1234" + "0" * 33,),
        ),
        trend=(
            TrendPoint(
                date(2026, 11, 22),
                StatusCounts.of([ReportStatus.PASS] * 5 + [ReportStatus.FAIL] * 4),
            ),
            TrendPoint(date(2026, 11, 23), StatusCounts.of(r.status for r in results)),
        ),
        integrity=integrity,
        ingest=IngestStats(
            files=("logs/osqueryd.results.log", "logs/osqueryd.results.log.1.gz"),
            lines=1234,
            result_rows=1200,
            malformed=2,
            malformed_samples=(
                MalformedLine("logs/osqueryd.results.log", 17, "not JSON"),
                MalformedLine("logs/osqueryd.results.log", 99, "line longer than 1048576 bytes"),
            ),
        ),
        baseline=baseline,
    )


def _result(
    host: Host,
    control: str,
    status: ReportStatus,
    *,
    collected: datetime | None = UNTIL - timedelta(hours=2),
    evidence_count: int = 0,
    evidence: tuple[EvidenceRow, ...] = (),
    detail: str = "",
) -> ControlResult:
    return ControlResult(
        host_uuid=host.host_uuid,
        control_id=control,
        status=status,
        collected=collected,
        config_version=host.config_version,
        evidence_count=evidence_count,
        evidence=evidence,
        detail=detail,
    )


def example_report(simulated: bool = False) -> Report:
    hosts = (
        _host(1, "linux/pci", CV_NEW, "alice"),
        _host(2, "linux/pci", CV_NEW, "alice"),
        _host(3, "linux", CV_OLD, "bob"),
    )
    h1, h2, h3 = hosts
    modules = (EvidenceRow((("name", "cramfs"), ("status", "Live"))),)
    results = (
        _result(h1, "cis-ubuntu-1.1.1.1", ReportStatus.PASS),
        _result(h1, "cis-ubuntu-5.2.1", ReportStatus.PASS),
        _result(h1, "cis-ubuntu-6.3.3.1", ReportStatus.PASS),
        _result(h2, "cis-ubuntu-1.1.1.1", ReportStatus.FAIL, evidence_count=1, evidence=modules),
        _result(h2, "cis-ubuntu-5.2.1", ReportStatus.PASS),
        _result(
            h2,
            "cis-ubuntu-6.3.3.1",
            ReportStatus.ERROR,
            collected=None,
            detail="query denylisted by osquery",
        ),
        _result(
            h3,
            "cis-ubuntu-1.1.1.1",
            ReportStatus.STALE,
            collected=SINCE - timedelta(days=2),
            detail="newest evidence is older than the report window",
        ),
        _result(
            h3,
            "cis-ubuntu-5.2.1",
            ReportStatus.NO_EVIDENCE,
            collected=None,
            detail="no result in the window",
        ),
        _result(h3, "cis-ubuntu-6.3.3.1", ReportStatus.NOT_APPLICABLE),
    )
    integrity = (
        IntegrityFinding(
            IntegrityKind.OUTDATED_CONFIG,
            h3.host_uuid,
            h3.hostname,
            h3.namespace,
            f"runs {CV_OLD}; newest signed is {CV_NEW}",
            UNTIL - timedelta(hours=3),
        ),
        IntegrityFinding(
            IntegrityKind.CONFIG_HASH_MISMATCH,
            h2.host_uuid,
            h2.hostname,
            h2.namespace,
            "installed osquery.conf sha256 " + "ee" * 32 + " != manifest " + "cd" * 32,
            UNTIL - timedelta(hours=2),
        ),
    )
    baseline = BaselineDiff(
        baseline_fingerprint="12" * 32,
        baseline_generated_at=SINCE,
        newly_failing=(Change(h2.host_uuid, "cis-ubuntu-1.1.1.1", "pass", "fail"),),
        newly_passing=(Change(h1.host_uuid, "cis-ubuntu-5.2.1", "fail", "pass"),),
        added=(Change(h3.host_uuid, "cis-ubuntu-6.3.3.1", None, "not_applicable"),),
        removed=(Change("00000000-0000-4000-8000-000000000009", "cis-ubuntu-5.2.1", "pass", None),),
        totals={"newly_failing": 1, "newly_passing": 1, "added": 1, "removed": 1},
    )
    return _report(hosts, results, integrity=integrity, baseline=baseline, simulated=simulated)


def hostile_report() -> Report:
    """Every host-supplied field carries one of ``HOSTILE_STRINGS`` (bounded as ingest would)."""
    hosts = []
    results = []
    for n, text in enumerate(HOSTILE_STRINGS, start=1):
        host = _host(n, "linux/pci", CV_NEW, bound_text(text), hostname=bound_text(text))
        hosts.append(host)
        evidence = (
            EvidenceRow(((bound_text(text, 64), bound_text(text, 256)), ("path", "/etc/x"))),
        )
        results.append(
            _result(
                host,
                "cis-ubuntu-1.1.1.1",
                ReportStatus.FAIL,
                evidence_count=1,
                evidence=evidence,
                detail=bound_text(text),
            )
        )
        results.append(_result(host, "cis-ubuntu-5.2.1", ReportStatus.PASS))
    return _report(tuple(hosts), tuple(results))


def rebuilt(
    report: Report,
    *,
    hosts: tuple[Host, ...] | None = None,
    results: tuple[ControlResult, ...] | None = None,
) -> Report:
    """``report`` with other hosts or results; the engine recomputes its rollups."""
    return report_in_memory(
        report.hosts if hosts is None else hosts,
        tuple(report.results) if results is None else results,
        report.controls,
        REQUIREMENTS,
        metadata=report.metadata,
        scope=report.scope,
        trend=report.trend,
        integrity=report.integrity,
        ingest=report.ingest,
        baseline=report.baseline,
        exceptions=report.exceptions,
    )


def results_file_rows(out_dir: Path) -> list[dict[str, object]]:
    """The rows of the results file `trails report` wrote into ``out_dir``: lines end at
    ``\\n`` only (``splitlines`` would also cut at U+2028, which JSON leaves unescaped)."""
    text = gzip.decompress((out_dir / RESULTS_FILE).read_bytes()).decode("utf-8")
    return [json.loads(line) for line in text.split("\n")[:-1]]
