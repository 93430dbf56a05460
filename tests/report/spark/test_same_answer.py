"""Issue 14: one fleet, two engines, one answer.

A fleet of a few hundred simulated hosts plus handwritten lines goes through the DuckDB
and the Spark engine; report.json is byte-identical (so is the fingerprint), the results
files are byte-identical, and so are the CSV, JUnit and OSCAL renderings. The fleet is
checked to hold what makes that claim worth something: every result status, every
integrity finding kind, malformed lines of every sort, the hostile strings of
``HOSTILE_STRINGS`` in hostnames, owners, details and evidence, a waiver in use, an
inventory host never seen and a baseline that changed; plain and gzip files in hive-style
day directories. A second case narrows the report with ``framework=``.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from testkit.report_synth import HOSTILE_STRINGS
from tests.report.factories import bare_release, results_file_rows
from tests.report.osquery_lines import T0, control, decorations, integrity, line, stats
from trails.formats.exceptions import ControlException
from trails.models.evidence import INSTALLED_HASH_COLUMN, ReportStatus
from trails.report.build import ReportOptions, report_from_files
from trails.report.catalog import ReportCatalog, RequirementSpec
from trails.report.engine import spark as spark_engine
from trails.report.engine.choose import Reader
from trails.report.ingest import ingest as duck_ingest
from trails.report.inventory import HOSTNAME_KEY_PREFIX, InventoryEntry
from trails.report.logfile import BROKEN_GZIP
from trails.report.model import (
    MAX_TEXT,
    RESULTS_FILE,
    ControlInfo,
    FrameworkRef,
    IntegrityKind,
    Report,
    bound_text,
)
from trails.report.releases import ReleaseInfo
from trails.report.render import render
from trails.report.simulate import SimNamespace, SimOptions, simulate, synthetic

pytestmark = pytest.mark.spark

DAY = 86400
UNTIL = datetime.fromtimestamp(T0, UTC)  # the window's end: 2026-11-23T12:00:00Z
NOW = T0 - 2 * 3600  # handwritten evidence inside the window
YESTERDAY = T0 - 36 * 3600  # inside the baseline's window (it ends a day earlier)
OLD = T0 - 3 * DAY  # older than both windows: stale
LINUX, PCI = synthetic(12, UNTIL)  # sim-0001..0008 in linux, sim-0001..0012 in linux/pci
CIS, PCI_DSS = "cis-ubuntu-22.04", "pci-dss-4.0.1"
FORMATS = ("json", "csv", "junit", "oscal")

# A waiver in force for one control in linux, and one that expired (listed, never used).
WAIVED = "sim-0004"
EXCEPTIONS = (
    ControlException(
        id="EXC-1",
        control=WAIVED,
        justification="legacy agent until the March migration (CHG-1234)",
        approved_by="Jane Doe (CISO)",
        expires=UNTIL + timedelta(days=30),
        source="policies/linux/policy.yaml:12",
    ),
    ControlException(
        id="EXC-OLD",
        control="sim-0001",
        justification="expired before the window's end",
        approved_by="Jane Doe (CISO)",
        expires=UNTIL - timedelta(days=1),
    ),
)
RELEASES = tuple(
    ReleaseInfo(
        bare_release(ns.config_version, ns.osquery_conf_sha256, ns.namespace),
        ns.controls,
        {},
        exceptions=EXCEPTIONS if ns is LINUX else (),
    )
    for ns in (LINUX, PCI)
)
# Every control is CIS; sim-0001..0010 are PCI too, so --framework pci drops sim-0011/12.
# A manual control (no automated check) gives the rollups their ``manual`` status.
CATALOG = ReportCatalog(
    controls=(
        *(
            ControlInfo(
                id=f"sim-{i:04d}",
                title=f"Simulated control {i}",
                severity=("low", "medium", "high")[i % 3],
                refs=(FrameworkRef(CIS, f"1.{i}"),)
                + ((FrameworkRef(PCI_DSS, f"2.2.{i}"),) if i <= 10 else ()),
            )
            for i in range(1, 13)
        ),
        ControlInfo(
            id="pci-12.10.1",
            title="Incident response plan exists",
            refs=(FrameworkRef(PCI_DSS, "12.10.1"),),
            manual_reason="An incident response plan is a document, not a host setting.",
        ),
    ),
    requirements=(
        RequirementSpec(PCI_DSS, "2.2.1", "Configuration standards", declared=True),
        RequirementSpec(PCI_DSS, "5.3.4", "Anti-malware logs", "Checked in the AV console", True),
        RequirementSpec(CIS, "1.1", "Filesystem", declared=True),
    ),
)
# One host that reports (matched by hostname, case aside) and two that never do.
GHOST, GHOST_NAME = "ghost-0001", "db7.example.com"
INVENTORY = (
    InventoryEntry("", "HW-WAIVED.example.com", LINUX.namespace),
    InventoryEntry(GHOST, "", PCI.namespace, "carol"),
    InventoryEntry("", GHOST_NAME, LINUX.namespace),
)


def _dec(host: str, ns: SimNamespace, cv: str | None = None, **kw: str) -> dict[str, str]:
    return decorations(host, ns.namespace, cv or ns.config_version, **kw)


def _integrity(t: int, dec: dict[str, str], ns: SimNamespace, **values: str) -> str:
    """A healthy trails.integrity row: the signed osquery.conf installed, not expired."""
    healthy = {
        "osquery_conf_sha256": ns.osquery_conf_sha256,
        INSTALLED_HASH_COLUMN: ns.osquery_conf_sha256,
        "expires": "2026-12-31T00:00:00Z",
    }
    return integrity(t, dec, **{**healthy, **values})


def _row(status: str, evidence: str = "[]", **kw: str) -> dict[str, str]:
    return {"status": status, "evidence": evidence, "evidence_count": "0", **kw}


def _handwritten() -> list[tuple[int, str]]:
    """(time, line): what the simulator does not send, one host per concern."""
    lines: list[tuple[int, str]] = []

    def add(t: int, *texts: str) -> None:
        lines.extend((t, text) for text in texts)

    # Every status a host's result can take (the release schedules sim-0010..0012 too:
    # no_evidence); a control no catalog knows; osquery's statistics make two errors.
    d = _dec("hw-status", PCI)
    add(
        NOW,
        control("sim-0001", "pass", NOW, d),
        control("sim-0002", "fail", NOW, d, [{"path": "/etc/shadow", "mode": "0644"}]),
        control("sim-0003", "not_applicable", NOW, d),
        control("sim-0004", "maybe", NOW, d),  # unknown: error
        stats({"sim-0006": (1, 0), "sim-0007": (0, 4, 0)}, NOW, d),
        line(
            "trails.control.sim-0008",
            [_row("no_evidence", '[{"trails_note": "no auditd"}]')],
            NOW,
            d,
        ),
        line("trails.control.sim-0009", [_row("stale", "not json")], NOW, d),
        control("not-in-catalog", "fail", NOW, d, [{"x": "y"}]),
        _integrity(NOW, d, PCI),
    )
    add(OLD, control("sim-0005", "pass", OLD, d))  # stale
    # Result rows without a status: an object without one, and a row that is no object.
    d = _dec("hw-no-status", PCI)
    no_object = line("trails.control.sim-0002", [{"x": "1"}], NOW, d)
    add(
        NOW,
        line("trails.control.sim-0001", [{"state": "pass"}], NOW, d),
        no_object.replace('[{"x": "1"}]', "[7]"),
        _integrity(NOW, d, PCI),
    )
    # A failure the exception accepts (and an inventory entry names by hostname).
    d = _dec("hw-waived", LINUX)
    add(NOW, control(WAIVED, "fail", NOW, d, [{"path": "/opt/legacy"}]), _integrity(NOW, d, LINUX))
    # What changed since the baseline: one control starts failing, one starts passing.
    d = _dec("hw-flip", PCI)
    add(YESTERDAY, control("sim-0001", "pass", YESTERDAY, d))
    add(YESTERDAY, control("sim-0002", "fail", YESTERDAY, d, [{"path": "/etc/x"}]))
    add(NOW, control("sim-0001", "fail", NOW, d, [{"path": "/etc/y"}]))
    add(NOW, control("sim-0002", "pass", NOW, d), _integrity(NOW, d, PCI))
    # Every integrity finding kind (missing: the inventory; the simulator adds more).
    d = _dec("hw-outdated", LINUX, LINUX.older_config_version)
    add(NOW, control("sim-0001", "pass", NOW, d), _integrity(NOW, d, LINUX))
    d = _dec("hw-refused", PCI)
    add(NOW, _integrity(NOW, d, PCI, last_result="signature", last_error=HOSTILE_STRINGS[1]))
    d = _dec("hw-expired", PCI)
    add(NOW, _integrity(NOW, d, PCI, expires="2026-11-20T00:00:00Z"))
    d = _dec("hw-silent", PCI)
    add(OLD, control("sim-0001", "pass", OLD, d), _integrity(OLD, d, PCI))
    d = _dec("hw-tampered", PCI)
    add(NOW, _integrity(NOW, d, PCI, **{INSTALLED_HASH_COLUMN: "ee" * 32}))
    newer = f"{UNTIL - timedelta(hours=6):%Y%m%d%H%M%S}-beef123"
    d = _dec("hw-newer", PCI, newer)
    add(NOW, control("sim-0001", "pass", NOW, d), _integrity(NOW, d, PCI))
    # Only another pack's query: a host all the same, with no integrity data.
    add(NOW, line("pack_x_processes", [{"pid": "1"}], NOW, _dec("hw-other-only", LINUX)))
    # Hostile strings in decorations, evidence, a status (the error's detail) and a note.
    for n, text in enumerate(HOSTILE_STRINGS):
        d = _dec(f"hw-hostile-{n:02d}", PCI, hostname=text, owner=text)
        note = json.dumps([{"trails_note": text}])
        add(
            NOW,
            control("sim-0002", "fail", NOW, d, [{"value": text, text[:64]: "x"}]),
            control("sim-0003", text[:1000], NOW, d),
            line("trails.control.sim-0008", [_row("no_evidence", note)], NOW, d),
        )
    # Every hostile string in the evidence of a host that is itself well-formed.
    d = _dec("hw-evidence", PCI)
    hostile = [{"value": text[:1000], "path": "/etc/x"} for text in HOSTILE_STRINGS]
    add(NOW, control("sim-0002", "fail", NOW, d, hostile))
    # regression: a control character beside the text "\u000B" (only the escape is lowered)
    d = _dec("hw-escape\x0b\\u000B", PCI, "20261122080000-abc1234\x1f\\u001F")
    add(NOW, control("sim-0003", "fail\x0e\\u000E", NOW, d))
    # Over-long values: bounded alike.
    d = _dec("h" * 5000, PCI, hostname="n" * 5000)
    add(NOW, control("sim-0002", "fail", NOW, d, [{"x": "y" * 100_000}]))
    # Odd types and times the reader must convert the same way.
    d = _dec("hw-types", PCI)
    add(
        NOW,
        line(
            "trails.control.sim-0001",
            [_row("fail", evidence_count="2.5")],
            NOW,
            d,
            string_time=True,
        ),
        line("trails.control.sim-0002", [{"status": ["a", 1], "evidence_count": 3}], NOW, d),
        line(
            "trails.control.sim-0003",
            [_row("fail", '{"not": "a list"}', evidence_count="-3")],
            NOW,
            d,
        ),
        line(
            "trails.control.sim-0004",
            [_row("fail", evidence_count="1.5")],
            NOW,
            d,
            "batch",
            top_level=True,
        ),
        line("trails.control.sim-0005", [_row("fail"), _row("pass")], NOW, d, "added"),
        line("trails.control.sim-0006", [_row("pass")], NOW, d, "removed"),
    )
    return lines


# A control line: read whole (READABLE_LINES), or cut short or spoilt (MALFORMED_LINES).
GOOD = control("sim-0001", "fail", NOW, _dec("hw-malformed", PCI), [{"p": "/x"}])
# Not osquery result lines: each one is malformed, to both engines.
MALFORMED_LINES = (
    b"not json {",
    GOOD[: len(GOOD) // 2].encode(),  # truncated
    b'["an array"]',
    b"5",
    b"null",
    b'"a string"',
    b"{'name': 'trails.control.sim-0001'}",
    GOOD.encode() + b" trailing",
    GOOD.encode() + b" " + GOOD.encode(),
    b'{"name": "trails.control.sim-0001\\ud800", "snapshot": []}',  # a lone surrogate
    b'{"name": ' + b"[" * 200_000 + b"]" * 200_000,  # nested too deeply for Python
    GOOD.encode().replace(b"hw-malformed", b"hw-\xff\xfe-bytes"),  # not UTF-8
)
# trails lines without a time a report can print: malformed, to both engines.
TIMELESS_LINES = (
    b'{"name": "trails.control.sim-0001", "snapshot": [], "unixTime": NaN}',
    b'{"name": "trails.control.sim-0001", "snapshot": [], "x": ["NaN, inf", ",]", 1E5]}',
    *(
        GOOD.encode()
        .replace(f'"unixTime": {NOW}'.encode(), b'"unixTime": ' + unix)
        .replace(b"2026 UTC", b"2026")  # and a calendarTime not in osquery's format
        for unix in (b"1e300", b"253402300800", b'"-1"')
    ),
)
# Odd but readable: NaN (DuckDB, Jackson and Python accept it), wrong types, blank lines.
READABLE_LINES = (
    b'{"name": "trails.control.sim-0001", "snapshot": [], "unixTime": 1, "x": [NaN, "inf"]}',
    # numbers longer than Jackson's default limit (1,000 digits), in the line and a row
    GOOD.encode()[:-1] + b', "x": ' + b"9" * 1001 + b"}",
    GOOD.encode().replace(b'"status": "fail"}', b'"status": "fail", "y": 0.' + b"9" * 1001 + b"}"),
    b'{"name": 5, "snapshot": "notalist", "decorations": "str"}',
    b"",
    b" \t\r",
    GOOD.encode(),
)


def _misread_files(day: Path) -> None:
    """Files each engine alone would misread (``trails.report.logfile``): a truncated
    gzip stream, one with a bad CRC (DuckDB checks none, Hadoop fails), gzip content
    under .log, plain text under .gz, a stream padded with zeros. Each holds one host's
    lines."""

    def host(name: str) -> bytes:
        dec = _dec(name, PCI)
        # ten controls in turn, each five times a minute apart: a cut leaves the first few
        rows = (
            control(f"sim-{i:04d}", "pass", NOW - i - 60 * k, dec)
            for i in range(1, 11)
            for k in range(5)
        )
        return "".join(r + "\n" for r in rows).encode()

    cut = gzip.compress(host("hw-gzip-cut"), mtime=0)
    crc = gzip.compress(host("hw-gzip-bad-crc"), mtime=0)
    day.mkdir(parents=True, exist_ok=True)
    (day / "cut.log.gz").write_bytes(cut[: len(cut) * 2 // 3])
    (day / "crc.log.gz").write_bytes(crc[:-8] + bytes([crc[-8] ^ 0xFF]) + crc[-7:])
    (day / "gzip.log").write_bytes(gzip.compress(host("hw-gzip-named-log"), mtime=0))
    (day / "plain.log.gz").write_bytes(host("hw-plain-named-gz"))
    # zero padding after the stream, which gzip -d skips and DuckDB and Hadoop refuse
    (day / "padded.log.gz").write_bytes(gzip.compress(host("hw-gzip-padded"), mtime=0) + bytes(512))


def _write(path: Path, lines: Iterable[bytes], *, crlf: bool = False) -> None:
    data = b"".join(raw + (b"\r\n" if crlf else b"\n") for raw in lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def _day(t: int) -> str:
    return f"dt={datetime.fromtimestamp(t, UTC):%Y-%m-%d}"


@dataclass(frozen=True)
class Fleet:
    patterns: list[str]
    baseline: Path  # a previous report.json, its results file next to it


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    root = tmp_path_factory.mktemp("fleet")
    logs = root / "logs"
    # 240 hosts over two days, re-filed by day; plain or gzip alternating per file.
    staging = root / "staging"
    opts = SimOptions(hosts=240, days=2, until=UNTIL, seed=14, shards=3)
    summary = simulate((LINUX, PCI), opts, staging)
    for shard, path in enumerate(summary.files):
        by_day: dict[str, list[bytes]] = {}
        for raw in path.read_bytes().splitlines():
            by_day.setdefault(_day(int(json.loads(raw)["unixTime"])), []).append(raw)
        for n, (day, lines) in enumerate(sorted(by_day.items())):
            suffix = ".log.gz" if (shard + n) % 2 else ".log"
            _write(logs / day / f"osqueryd.results.{shard:03d}{suffix}", lines)
    by_day = {}
    for t, text in _handwritten():
        by_day.setdefault(_day(t), []).append(text.encode("utf-8", "surrogateescape"))
    for n, (day, lines) in enumerate(sorted(by_day.items())):
        _write(logs / day / ("handwritten.log.gz" if n % 2 else "handwritten.log"), lines)
    assert all(f'"unixTime": {NOW}'.encode() not in raw for raw in TIMELESS_LINES)
    bad = MALFORMED_LINES + TIMELESS_LINES + READABLE_LINES
    _write(logs / _day(NOW) / "malformed.log", bad, crlf=True)
    _write(logs / _day(NOW) / "malformed.log.gz", bad)
    _misread_files(logs / _day(NOW) / "misread")
    patterns = [str(logs)]  # a directory partitioned by day, read whole
    # The baseline: the same input, a day earlier (DuckDB; both engines read it).
    base = root / "baseline"
    base.mkdir()
    previous = report_from_files(
        patterns,
        CATALOG,
        RELEASES,
        ReportOptions(now=UNTIL - timedelta(days=1)),
        results_path=base / RESULTS_FILE,
    )
    (base / "report.json").write_bytes(render("json", previous))
    previous.results.close()
    return Fleet(patterns, base / "report.json")


@dataclass(frozen=True)
class Outcome:
    report: Report  # its results closed: only what report.json holds is read
    rendered: dict[str, bytes]
    results: Path


def _run(fleet: Fleet, read: Reader, out: Path, framework: str | None) -> Outcome:
    out.mkdir()
    options = ReportOptions(now=UNTIL, framework=framework, inventory=INVENTORY)
    report = report_from_files(
        fleet.patterns,
        CATALOG,
        RELEASES,
        options,
        fleet.baseline,
        results_path=out / RESULTS_FILE,
        read=read,
    )
    try:
        rendered = {name: render(name, report) for name in FORMATS}
    finally:
        report.results.close()
    return Outcome(report, rendered, out / RESULTS_FILE)


def _same_bytes(what: str, duck: bytes, spark: bytes) -> None:
    """Equal, or a failure that shows where (not a diff of megabytes)."""
    if duck == spark:
        return
    at = next(
        (i for i, (a, b) in enumerate(zip(duck, spark, strict=False)) if a != b),
        min(len(duck), len(spark)),
    )
    lo = max(0, at - 200)
    pytest.fail(
        f"{what} differs at byte {at} (lengths {len(duck)}, {len(spark)}):\n"
        f"  duckdb: {duck[lo : at + 200]!r}\n  spark:  {spark[lo : at + 200]!r}"
    )


def _json_differences(duck: dict[str, Any], spark: dict[str, Any]) -> list[str]:
    """The top-level keys of report.json that differ, each with what only one engine has
    (the first few entries of a list, the differing keys of an object), cut short."""

    def only(a: Any, b: Any) -> list[str]:
        if isinstance(a, list) and isinstance(b, list):
            theirs = {json.dumps(x, sort_keys=True) for x in b}
            return [t for x in a if (t := json.dumps(x, sort_keys=True)) not in theirs][:3]
        if isinstance(a, dict) and isinstance(b, dict):
            return [json.dumps({k: a.get(k)}) for k in sorted(a) if a.get(k) != b.get(k)][:5]
        return [json.dumps(a)]

    # what was read, and who, explain the rest: first
    keys = sorted(duck.keys() | spark.keys(), key=lambda k: (k not in ("ingest", "hosts"), k))
    return [
        f"{key}: duckdb only {[t[:300] for t in only(duck.get(key), spark.get(key))]},"
        f" spark only {[t[:300] for t in only(spark.get(key), duck.get(key))]}"[:1000]
        for key in keys
        if duck.get(key) != spark.get(key) and key != "fingerprint"
    ]


def _hosts_seen(rows: list[dict[str, Any]]) -> set[str]:
    return {r["host_uuid"] for r in rows}


@pytest.fixture(scope="module")
def spark_reader(spark: SparkSession) -> Reader:
    read: Reader = functools.partial(spark_engine.ingest, master="local[2]", spark=spark)
    return read


@pytest.mark.parametrize("framework", [None, PCI_DSS], ids=["whole", "framework"])
def test_both_engines_give_the_same_report(
    fleet: Fleet, spark_reader: Reader, tmp_path: Path, framework: str | None
) -> None:
    duck = _run(fleet, duck_ingest, tmp_path / "duckdb", framework)
    spark = _run(fleet, spark_reader, tmp_path / "spark", framework)

    # The same answer: report.json (a mismatch says where first: it is one long line).
    differences = _json_differences(
        json.loads(duck.rendered["json"]), json.loads(spark.rendered["json"])
    )
    assert not differences, "report.json differs:\n" + "\n".join(differences[:6])
    assert spark.report.fingerprint == duck.report.fingerprint
    duck_rows = results_file_rows(duck.results.parent)
    spark_rows = results_file_rows(spark.results.parent)
    assert len(duck_rows) == len(spark_rows)
    missing = Counter(map(json.dumps, duck_rows)) - Counter(map(json.dumps, spark_rows))
    assert not missing, f"rows only DuckDB wrote: {list(missing)[:3]}"
    _same_bytes(RESULTS_FILE, duck.results.read_bytes(), spark.results.read_bytes())
    for name in FORMATS:
        _same_bytes(f"report {name}", duck.rendered[name], spark.rendered[name])

    # ... of a fleet that holds what it claims to (the engines agree: one report is read).
    report, rows = duck.report, duck_rows
    results = {s for s in ReportStatus if s is not ReportStatus.MANUAL}
    assert {s for s in ReportStatus if report.summary[s]} == results
    assert {r["status"] for r in rows} == {s.value for s in results}
    assert ReportStatus.MANUAL in {c.status for c in report.control_rollups}
    no_status = [r for r in rows if r["host_uuid"] == "hw-no-status" and r["collected"]]
    assert [(r["control_id"], r["status"], r["detail"]) for r in no_status] == [
        (c, "error", "the host's result row has no status") for c in ("sim-0001", "sim-0002")
    ]
    assert {f.kind for f in report.integrity} == set(IntegrityKind)
    missing_hosts = {f.host_uuid for f in report.integrity if f.kind is IntegrityKind.MISSING}
    assert missing_hosts == {GHOST, HOSTNAME_KEY_PREFIX + GHOST_NAME}
    assert {GHOST, HOSTNAME_KEY_PREFIX + GHOST_NAME} <= _hosts_seen(rows)
    assert len(report.hosts) > 240
    # malformed: MALFORMED_LINES in a plain (CRLF) and a gzip file, the three lines of
    # the hostile host whose hostname holds lone surrogates, and where the truncated and
    # the corrupt gzip streams break
    ingest = report.ingest
    assert ingest.malformed == 2 * (len(MALFORMED_LINES) + len(TIMELESS_LINES)) + 3 + 2
    reasons = {s.reason for s in ingest.malformed_samples}
    assert "not JSON (a lone surrogate escape)" in reasons  # the hostile host's lines
    assert reasons <= {
        BROKEN_GZIP,
        "not JSON",
        "not JSON (a lone surrogate escape)",
        "not an osquery result line",
        "no usable time (unixTime or calendarTime, 1970 to 9999)",
    }
    assert any(f.endswith(".gz") for f in ingest.files)
    assert any(f.endswith(".log") for f in ingest.files)
    assert all("/dt=2026-11-" in f for f in ingest.files)
    # the misread files' hosts: every line of three, the lines before the cut of one
    read = Counter(str(r["host_uuid"]) for r in rows if r["collected"])
    assert read["hw-gzip-bad-crc"] == read["hw-gzip-named-log"] == read["hw-plain-named-gz"]
    assert read["hw-gzip-padded"] == read["hw-plain-named-gz"]
    assert 0 < read["hw-gzip-cut"] < read["hw-plain-named-gz"]
    # the waiver in use, the expired exception listed and unused
    used = {(e.exception.id, e.in_force): e.waived for e in report.exceptions}
    assert used[("EXC-1", True)] > 0
    assert used[("EXC-OLD", False)] == 0
    # hostile strings, bounded as the model bounds them, reached the report
    hostnames = {h.hostname for h in report.hosts}
    owners = {h.owner for h in report.hosts}
    # (not the one with lone surrogates: JSON escaping them, its host's lines are malformed)
    kept = [t for t in HOSTILE_STRINGS if t == t.encode("utf-8", "replace").decode()]
    for text in kept:
        # (ingest cuts a value at MAX_TEXT characters, without the model's ellipsis)
        assert bound_text(text[:MAX_TEXT]) in hostnames, text[:40]
        assert bound_text(text[:MAX_TEXT]) in owners, text[:40]
    details = "\n".join(str(r["detail"]) for r in rows)
    evidence = json.dumps([r["evidence"] for r in rows], ensure_ascii=False)
    assert HOSTILE_STRINGS[0] in details  # a note (a status is cut at 32 characters)
    assert f"unknown status '{HOSTILE_STRINGS[4]}'" in details
    assert HOSTILE_STRINGS[3] in evidence
    # what changed since the baseline
    diff = report.baseline
    assert diff is not None
    assert ("hw-flip", "sim-0001") in {(c.host_uuid, c.control_id) for c in diff.newly_failing}
    assert ("hw-flip", "sim-0002") in {(c.host_uuid, c.control_id) for c in diff.newly_passing}
    assert diff.added
    if framework is None:
        assert report.scope.framework is None
        assert {r["control_id"] for r in rows} >= {"sim-0011", "not-in-catalog"}
    else:
        # narrowed: only the framework's controls; the baseline's others are removed
        assert report.scope.framework == framework
        assert {r["control_id"] for r in rows} <= {f"sim-{i:04d}" for i in range(1, 11)}
        assert {c.control_id for c in diff.removed} >= {"sim-0011", "sim-0012"}


def test_an_escaped_backslash_before_u_is_text(spark: SparkSession, tmp_path: Path) -> None:
    """The smallest input on which the fleet above found the engines to differ: a string
    holding the six characters ``\\udcff`` (an escaped backslash, then ``udcff``) is valid
    JSON, not a lone surrogate; such a line is read, by both engines alike."""
    path = tmp_path / "a.log"
    path.write_bytes(b'{"name": "x", "v": "\\\\udcff"}\n')
    assert json.loads(path.read_bytes())["v"] == "\\udcff"
    (tmp_path / "duckdb").mkdir()
    (tmp_path / "spark").mkdir()
    duck = duck_ingest([str(path)], tmp_path / "duckdb")
    duck.engine.close()
    read = spark_engine.ingest([str(path)], tmp_path / "spark", master="local[2]", spark=spark)
    read.engine.close()
    assert duck.stats.malformed == 0
    assert read.stats == duck.stats
