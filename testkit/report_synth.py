"""A representative report synthesised directly from the model (no ingest): many hosts,
long names, hostile strings, several days. Used by the PDF tests, the look script and
bench/bench_pdf.py. Deterministic for a given seed."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from trails.models.evidence import ReportStatus
from trails.report.assemble import report_in_memory
from trails.report.catalog import RequirementSpec
from trails.report.model import (
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

NAMESPACES = (
    "linux",
    "linux/pci",
    "linux/pci/cardholder-data-environment-segment-with-a-very-long-name",
    "linux/debian/web",
    "linux/rhel/db",
)
WEIGHTS = (
    (ReportStatus.PASS, 80),
    (ReportStatus.FAIL, 12),
    (ReportStatus.ERROR, 2),
    (ReportStatus.NOT_APPLICABLE, 3),
    (ReportStatus.NO_EVIDENCE, 2),
    (ReportStatus.STALE, 1),
)

UNTIL = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=1)
# what a host may send in any field: markup, scripts, control characters, RTL overrides,
# formulas, huge values
HOSTILE_STRINGS = (
    "<para><b>bold</b><font color=red>red</font></para>",
    "<script>alert(1)</script>",
    "ctl\x00\x01\x07\x1b[31mred\x1b[0m\x7f\x85 end",
    "evil\u202egnp.exe",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\tTAB",
    "\rCR",
    "bad \udcff\udcfe bytes",
    "x" * (10 * 1024 * 1024),
    "]]> & < > \" ' &amp;",
)


def _controls(n: int) -> tuple[ControlInfo, ...]:
    out = []
    for i in range(n):
        manual = i % 37 == 36
        out.append(
            ControlInfo(
                id=f"cis-ubuntu-{1 + i // 20}.{1 + i % 20}.{i % 3 + 1}",
                title=(
                    f"Ensure setting {i} is configured"
                    + (" - with an unusually long title that must wrap" * (i % 4 == 0))
                ),
                severity=("low", "medium", "high")[i % 3],
                level=str(1 + i % 2),
                refs=(
                    FrameworkRef("cis-ubuntu-22.04", f"{1 + i // 20}.{1 + i % 20}.{i % 3 + 1}"),
                    FrameworkRef("pci-dss-4.0.1", f"{1 + i % 12}.{1 + i % 5}.{1 + i % 3}"),
                ),
                manual_reason="Reviewed by the QSA on site." if manual else None,
                remediation=f"Set option {i} as the benchmark says.",
                rationale="Reduces the attack surface.",
            )
        )
    return tuple(sorted(out, key=lambda c: c.id))


def synthetic_report(
    hosts: int = 300, controls: int = 40, days: int = 3, *, hostile: bool = True, seed: int = 7
) -> Report:
    rng = random.Random(seed)
    infos = _controls(controls)
    statuses = [s for s, _ in WEIGHTS]
    weights = [w for _, w in WEIGHTS]
    host_list = []
    for n in range(hosts):
        name = f"host-{n:05d}.dc{n % 7}.example.internal"
        if hostile and n % 50 == 3:
            name = bound_text(HOSTILE_STRINGS[(n // 50) % len(HOSTILE_STRINGS)])
        host_list.append(
            Host(
                host_uuid=f"{n:08x}-0000-4000-8000-{seed:012d}",
                hostname=name,
                namespace=NAMESPACES[n % len(NAMESPACES)],
                config_version="20261122080000-abc1234" if n % 41 else "20261101080000-0ff1ce0",
                owner=f"team-{n % 9}",
                last_seen=UNTIL - timedelta(minutes=n % 600),
            )
        )
    results = []
    evidence_text = HOSTILE_STRINGS if hostile else ("/usr/bin/example",)
    for host in host_list:
        for info in infos:
            if info.manual:
                continue
            status = rng.choices(statuses, weights)[0]
            evidence: tuple[EvidenceRow, ...] = ()
            count = 0
            if status is ReportStatus.FAIL:
                count = rng.randint(1, 40)
                text = bound_text(rng.choice(evidence_text), 256)
                evidence = tuple(
                    EvidenceRow((("path", f"/etc/conf.d/{k}"), ("value", text), ("mode", "0777")))
                    for k in range(min(count, 5))
                )
            results.append(
                ControlResult(
                    host_uuid=host.host_uuid,
                    control_id=info.id,
                    status=status,
                    collected=None
                    if status is ReportStatus.NO_EVIDENCE
                    else UNTIL - timedelta(hours=1 + rng.randint(0, 20)),
                    config_version=host.config_version,
                    evidence_count=count,
                    evidence=evidence,
                    detail="query denylisted by osquery" if status is ReportStatus.ERROR else "",
                )
            )
    results.sort(key=lambda r: (r.host_uuid, r.control_id))
    summary = StatusCounts.of(r.status for r in results)
    requirements = (
        RequirementSpec("pci-dss-4.0.1", "12.10.1", "Incident response plan", "On file"),
    )
    integrity = tuple(
        IntegrityFinding(
            IntegrityKind.OUTDATED_CONFIG
            if h.config_version.endswith("0ff1ce0")
            else IntegrityKind.SILENT,
            h.host_uuid,
            h.hostname,
            h.namespace,
            f"runs {h.config_version}; newest signed is 20261122080000-abc1234",
            UNTIL - timedelta(hours=5),
        )
        for i, h in enumerate(host_list)
        if h.config_version.endswith("0ff1ce0") or i % 97 == 5
    )
    fpr = "5e" * 32
    return report_in_memory(
        host_list,
        results,
        infos,
        requirements,
        metadata=Metadata(
            title="Synthetic fleet compliance",
            generated_at=UNTIL,
            since=SINCE,
            until=UNTIL,
            simulated=True,
            tool_version="0.1.0",
        ),
        scope=Scope(
            namespaces=NAMESPACES,
            frameworks=("cis-ubuntu-22.04", "pci-dss-4.0.1"),
            releases=tuple(
                Release(
                    ns,
                    20261122080000,
                    "20261122080000-abc1234",
                    SINCE,
                    UNTIL + timedelta(days=30),
                    "CN=trails signer ci,O=Example",
                    fpr,
                    "https://git.example.com/policies.git",
                    "abc1234" + "0" * 33,
                    "cd" * 32,
                    verified=True,
                )
                for ns in NAMESPACES
            ),
            config_versions=tuple(
                ConfigVersionSeen(
                    ns, cv, sum(1 for h in host_list if (h.namespace, h.config_version) == (ns, cv))
                )
                for ns, cv in sorted({(h.namespace, h.config_version) for h in host_list})
            ),
            signers=(Signer("CN=trails signer ci,O=Example", fpr),),
            commits=("abc1234" + "0" * 33,),
        ),
        trend=tuple(
            TrendPoint(
                date(2026, 11, 23) - timedelta(days=days - 1 - d),
                StatusCounts({s: int(summary[s] * (0.9 + 0.05 * d)) for s in ReportStatus}),
            )
            for d in range(days)
        ),
        integrity=integrity,
        ingest=IngestStats(
            files=tuple(f"logs/host-{i:04d}/osqueryd.results.log" for i in range(60)),
            lines=len(results) + 10,
            result_rows=len(results),
            malformed=10,
            malformed_samples=tuple(
                MalformedLine(
                    "logs/host-0003/osqueryd.results.log", 10 + i, bound_text(HOSTILE_STRINGS[i])
                )
                for i in range(5)
            ),
            simulated_lines=len(results),
        ),
    )
