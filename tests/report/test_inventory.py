"""--inventory: hosts that should report; those never seen are ``missing``, with
no_evidence for every control their namespace schedules, in every rollup's denominator."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.report.factories import CONTROLS, REQUIREMENTS, bare_release
from tests.report.osquery_lines import T0, control, decorations, integrity
from tests.sign.helpers import run
from trails.errors import UsageError
from trails.models.evidence import ReportStatus
from trails.report import inventory as inv
from trails.report.build import ReportOptions, report_from_files
from trails.report.catalog import ReportCatalog
from trails.report.inventory import load_inventory
from trails.report.model import RESULTS_FILE, IntegrityKind, Report
from trails.report.releases import ReleaseInfo

UNTIL = datetime.fromtimestamp(T0, UTC) + timedelta(hours=4)
CATALOG = ReportCatalog(controls=CONTROLS, requirements=REQUIREMENTS)
CV = "20261122080000-abc1234"
C1, C2 = CONTROLS[0].id, CONTROLS[1].id
RELEASE = bare_release(CV)
RELEASES = (ReleaseInfo(RELEASE, (C1, C2), {}),)


def _report(tmp_path: Path, entries: str | None, name: str = "inventory.csv") -> Report:
    log = tmp_path / "results.log"
    d1 = decorations("h1")
    log.write_text(
        "\n".join([control(C1, "pass", T0, d1), control(C2, "fail", T0, d1), integrity(T0, d1)])
        + "\n"
    )
    inventory = None
    if entries is not None:
        path = tmp_path / name
        path.write_text(entries)
        inventory = load_inventory(path)
    options = ReportOptions(now=UNTIL, inventory=inventory)
    return report_from_files([str(log)], CATALOG, RELEASES, options)


def _csv(*rows: str) -> str:
    return "host_uuid,hostname,namespace,owner\n" + "".join(r + "\n" for r in rows)


def test_csv_inventory_missing_hosts(tmp_path: Path) -> None:
    report = _report(
        tmp_path,
        _csv(
            "h1,,linux/pci,alice",  # reported: matched by host_uuid
            "h9,,linux/pci,bob",  # never seen
            ",db7.example.com,linux/pci,carol",  # never seen, named by hostname only
        ),
    )
    missing = {f.host_uuid: f for f in report.integrity if f.kind is IntegrityKind.MISSING}
    assert set(missing) == {"h9", "inventory-hostname:db7.example.com"}
    assert missing["inventory-hostname:db7.example.com"].hostname == "db7.example.com"
    # Missing hosts get only the missing finding (not silent, not no_integrity_data).
    kinds = {(f.host_uuid, f.kind) for f in report.integrity}
    assert ("h9", IntegrityKind.SILENT) not in kinds
    assert ("h9", IntegrityKind.NO_INTEGRITY_DATA) not in kinds
    got = {(r.host_uuid, r.control_id): r.status for r in report.results}
    for host in missing:
        assert got[(host, C1)] is ReportStatus.NO_EVIDENCE
        assert got[(host, C2)] is ReportStatus.NO_EVIDENCE
    assert got[("h1", C1)] is ReportStatus.PASS
    # Every rollup's denominator counts them.
    assert report.summary.total == 6
    totals = {c.control_id: c.counts.total for c in report.control_rollups}
    assert (totals[C1], totals[C2]) == (3, 3)
    assert all(r.counts.total >= 3 for r in report.requirements if r.counts.total)
    (ns,) = report.namespaces
    assert (ns.name, ns.hosts, ns.counts.total) == ("linux/pci", 3, 6)
    owners = {o.name: (o.hosts, o.counts.total) for o in report.owners}
    assert owners == {"alice": (1, 2), "bob": (1, 2), "carol": (1, 2)}
    # Missing hosts are hosts, with no time and no config, in host order.
    h9 = next(h for h in report.hosts if h.host_uuid == "h9")
    assert h9.last_seen is None
    assert h9.config_version == ""
    assert [h.host_uuid for h in report.hosts] == sorted(h.host_uuid for h in report.hosts)
    # The scope is what was seen or signed: no empty config_version from the inventory.
    assert all(c.config_version for c in report.scope.config_versions)


def test_json_inventory_matches_by_hostname(tmp_path: Path) -> None:
    entries = [
        {"hostname": "H1.Example.com", "namespace": "linux/pci"},  # h1, case-insensitive
        {"host_uuid": "gone", "hostname": "h1-old", "namespace": "linux/pci", "owner": "x"},
        {"host_uuid": "web1", "namespace": "linux/web"},  # no release schedules it: fine
    ]
    report = _report(tmp_path, json.dumps(entries, indent=2), "inventory.json")
    missing = {f.host_uuid for f in report.integrity if f.kind is IntegrityKind.MISSING}
    assert missing == {"gone", "web1"}
    got = {(r.host_uuid, r.control_id): r.status for r in report.results}
    assert got[("gone", C1)] is ReportStatus.NO_EVIDENCE
    assert not [k for k in got if k[0] == "web1"]  # nothing scheduled for linux/web
    assert {n.name: n.hosts for n in report.namespaces} == {"linux/pci": 2, "linux/web": 1}


def test_no_inventory_no_missing(tmp_path: Path) -> None:
    report = _report(tmp_path, None)
    assert not [f for f in report.integrity if f.kind is IntegrityKind.MISSING]
    assert [h.host_uuid for h in report.hosts] == ["h1"]


def test_json_document_carries_missing(tmp_path: Path) -> None:
    from trails.report.render import render

    report = _report(tmp_path, _csv("h9,,linux/pci,"))
    doc = json.loads(render("json", report))
    assert any(f["kind"] == "missing" for f in doc["integrity"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hostname,namespace,colour\na,b,c\n", ":1: unknown column 'colour'"),
        ("owner\nx\n", ":1: the header must name namespace and host_uuid or hostname"),
        ("host_uuid,namespace\n", None),  # a header alone: an empty inventory
        ("host_uuid,namespace,host_uuid\n", ":1: a column is named twice"),
        ("host_uuid,namespace\na,ns\nb\n", ":3: 1 fields, the header names 2"),
        ("host_uuid,namespace\na,ns\na,ns2\n", ":3: duplicate host_uuid 'a' (first on line 2)"),
        ("hostname,namespace\nA.x,ns\na.X,ns\n", ":3: duplicate hostname 'a.x'"),
        ("host_uuid,namespace\na,\n", ":2: the entry has no namespace"),
        ("host_uuid,hostname,namespace\n,,ns\n", ":2: the entry names neither"),
        ('host_uuid,namespace\n"a,ns\n', "not CSV"),
        ("host_uuid,namespace\na\x01,ns\n", ":2: host_uuid holds a control character"),
        ("[1, 2]", ":1: entry 1 is not an object"),
        ('{"host_uuid": "a"}', "not a list of objects"),
        (
            '[\n{"host_uuid": "a", "namespace": "n"},\n{"host_uuid": "a", "namespace": "m"}\n]',
            ":3: duplicate host_uuid 'a' (first on line 2)",
        ),
        ('[{"host_uuid": "a", "namespace": "n", "role": "db"}]', "unknown key 'role'"),
        ('[{"host_uuid": 7, "namespace": "n"}]', "every value must be a string"),
        ("[\n{", ":2: not JSON"),
        ("[" * 100_000, "not JSON"),
    ],
)
def test_hostile_inventory(tmp_path: Path, text: str, message: str | None) -> None:
    path = tmp_path / "inv"
    path.write_text(text)
    if message is None:
        assert load_inventory(path) == ()
        return
    with pytest.raises(UsageError) as err:
        load_inventory(path)
    said = str(err.value)
    assert said.startswith(f"--inventory {path}")
    assert message in said, said
    assert "\n" not in said


def test_inventory_too_big_and_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inv, "MAX_INVENTORY_BYTES", 100)
    path = tmp_path / "inv.csv"
    path.write_text("host_uuid,namespace\n" + "a,b\n" * 100)
    with pytest.raises(UsageError, match="larger than 100 bytes"):
        load_inventory(path)
    path.write_bytes(b"host_uuid,namespace\n\xff,b\n")
    with pytest.raises(UsageError, match=r":2: not UTF-8"):
        load_inventory(path)
    with pytest.raises(UsageError, match="No such file"):
        load_inventory(tmp_path / "absent.csv")


def test_cli_refuses_a_bad_inventory_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "results.log"
    log.write_text(control(C1, "pass", T0, decorations("h1")) + "\n")
    bad = tmp_path / "inv.csv"
    bad.write_text("host,namespace\nh1,linux/pci\n")
    code, _, err = run(
        capsys, "report", "--results", log, "--inventory", bad, "--out", tmp_path / "o"
    )
    assert code == 2, err
    assert f"{bad}:1: unknown column 'host'" in err


def test_cli_lists_missing_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "results.log"
    log.write_text(control(C1, "pass", T0, decorations("h1")) + "\n")
    good = tmp_path / "inv.csv"
    good.write_text("host_uuid,namespace\nh1,linux/pci\nh2,linux/pci\n")
    out = tmp_path / "o"
    code, stdout, err = run(capsys, "report", "--results", log, "--inventory", good, "--out", out)
    assert code == 0, err
    # The one-line summary counts them too.
    assert "2 hosts (1 in the inventory never reported), 2 results" in stdout
    assert "1 without current evidence" in stdout
    doc = json.loads((out / "report.json").read_text())
    assert [f["host_uuid"] for f in doc["integrity"] if f["kind"] == "missing"] == ["h2"]
    rows = gzip.decompress((out / RESULTS_FILE).read_bytes()).decode().splitlines()
    assert doc["results"]["rows"] == len(rows)
    assert {(r["host_uuid"], r["status"]) for r in map(json.loads, rows)} == {
        ("h1", "pass"),
        ("h2", "no_evidence"),
    }
