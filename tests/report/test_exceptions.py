"""Exceptions (waivers): a failure a signed exception in force covers is ``waived``, shown
with its evidence and the exception, never counted as a pass; nothing else changes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict

import pytest

from testkit.dist import make_dist
from tests.report.factories import CONTROLS, REQUIREMENTS, bare_release
from tests.report.osquery_lines import T0, control, decorations
from tests.sign.helpers import make_dev_pki, run
from trails.formats.exceptions import ControlException, exceptions_bytes
from trails.formats.names import EXCEPTIONS
from trails.models.evidence import ReportStatus
from trails.report.build import ReportOptions, report_from_files
from trails.report.catalog import ReportCatalog
from trails.report.model import Report
from trails.report.releases import ReleaseInfo, ReleaseRefused, ReleaseTrust, load_releases
from trails.report.render import render
from trails.verify.fetch import load_trust_policy

UNTIL = datetime.fromtimestamp(T0, UTC) + timedelta(hours=4)
CATALOG = ReportCatalog(controls=CONTROLS, requirements=REQUIREMENTS)
CV = "20261122080000-abc1234"
EVIDENCE = [{"path": "/etc/shadow", "mode": "0644"}]


class _Scope(TypedDict, total=False):
    """What an exception may narrow: its control, hosts and owner."""

    control: str
    hosts: tuple[str, ...]
    owner: str


def _exception(
    ident: str = "EXC-1",
    *,
    control: str = "b",
    expires: datetime = UNTIL + timedelta(days=30),
    hosts: tuple[str, ...] = (),
    owner: str = "",
) -> ControlException:
    return ControlException(
        id=ident,
        control=control,
        justification="legacy agent until the March migration (CHG-1234)",
        approved_by="Jane Doe (CISO)",
        expires=expires,
        hosts=hosts,
        owner=owner,
        source="policies/linux/pci/policy.yaml:12",
    )


def _release(namespace: str = "linux/pci", *exceptions: ControlException) -> ReleaseInfo:
    release = bare_release(CV, namespace=namespace)
    return ReleaseInfo(release, ("a", "b"), {}, exceptions=exceptions)


def _report(tmp_path: Path, lines: list[str], *releases: ReleaseInfo) -> Report:
    path = tmp_path / "results.log"
    path.write_text("\n".join(lines) + "\n")
    return report_from_files([str(path)], CATALOG, releases, ReportOptions(now=UNTIL))


def _fleet() -> list[str]:
    h1, h2 = decorations("h1"), decorations("h2", owner="bob")
    return [
        control("a", "pass", T0, h1),
        control("b", "fail", T0, h1, EVIDENCE),
        control("a", "fail", T0, h2, EVIDENCE),
        control("b", "fail", T0, h2, EVIDENCE),
    ]


def _statuses(report: Report) -> dict[tuple[str, str], ReportStatus]:
    return {(r.host_uuid, r.control_id): r.status for r in report.results}


def test_a_covered_failure_is_waived_with_its_evidence_and_never_a_pass(tmp_path: Path) -> None:
    plain = _report(tmp_path, _fleet(), _release())
    waived = _report(tmp_path, _fleet(), _release("linux/pci", _exception()))
    assert _statuses(plain)[("h1", "b")] is ReportStatus.FAIL
    got = {(r.host_uuid, r.control_id): r for r in waived.results}
    result = got[("h1", "b")]
    assert result.status is ReportStatus.WAIVED
    assert result.exception == "EXC-1"
    assert result.evidence_count == 1
    assert result.evidence[0].to_dict() == EVIDENCE[0]
    assert "EXC-1" in result.detail
    assert "Jane Doe (CISO)" in result.detail
    # Only failures of the named control change.
    assert got[("h2", "a")].status is ReportStatus.FAIL
    assert got[("h1", "a")].status is ReportStatus.PASS
    # Not a pass: the pass rate is the same as with the failure, and waived is counted.
    assert waived.summary.pass_rate == plain.summary.pass_rate
    assert waived.summary[ReportStatus.WAIVED] == 2
    assert waived.summary[ReportStatus.FAIL] == plain.summary[ReportStatus.FAIL] - 2
    rollup = next(c for c in waived.control_rollups if c.control_id == "b")
    assert rollup.status is ReportStatus.WAIVED
    assert rollup.failing_host_count == 0
    (seen,) = waived.exceptions
    assert (seen.namespace, seen.in_force, seen.waived) == ("linux/pci", True, 2)


def test_an_expired_exception_stops_applying(tmp_path: Path) -> None:
    expired = _exception(expires=UNTIL)  # ends exactly at the window's end
    report = _report(tmp_path, _fleet(), _release("linux/pci", expired))
    assert _statuses(report)[("h1", "b")] is ReportStatus.FAIL
    (seen,) = report.exceptions
    assert (seen.in_force, seen.waived) == (False, 0)


@pytest.mark.parametrize(
    ("scope", "waived_hosts"),
    [
        ({"hosts": ("h1",)}, {"h1"}),  # by host_uuid
        ({"hosts": ("h2.example.com",)}, {"h2"}),  # by hostname
        ({"owner": "bob"}, {"h2"}),
        ({"owner": "bob", "hosts": ("h1",)}, set()),  # every narrowing must match
        ({"control": "z"}, set()),  # another control
    ],
)
def test_an_exception_covers_only_the_hosts_it_names(
    tmp_path: Path, scope: _Scope, waived_hosts: set[str]
) -> None:
    report = _report(tmp_path, _fleet(), _release("linux/pci", _exception(**scope)))
    got = {h for (h, c), s in _statuses(report).items() if s is ReportStatus.WAIVED}
    assert got == waived_hosts


def test_another_namespaces_exception_does_not_apply(tmp_path: Path) -> None:
    report = _report(tmp_path, _fleet(), _release(), _release("linux/web", _exception()))
    assert ReportStatus.WAIVED not in set(_statuses(report).values())
    (seen,) = report.exceptions
    assert (seen.namespace, seen.waived) == ("linux/web", 0)


def test_only_failures_are_waived(tmp_path: Path) -> None:
    """A pass, a stale result, an unknown status and missing evidence stay what they are."""
    d = decorations("h1")
    lines = [
        control("a", "pass", T0, d),
        control("b", "fail", T0 - 3 * 86400, d),  # stale: older than the window
        control("c", "maybe", T0, d),
    ]
    exceptions = [_exception(f"EXC-{c}", control=c) for c in ("a", "b", "c", "z")]
    report = _report(tmp_path, lines, _release("linux/pci", *exceptions))
    got = _statuses(report)
    assert got[("h1", "a")] is ReportStatus.PASS
    assert got[("h1", "b")] is ReportStatus.STALE
    assert got[("h1", "c")] is ReportStatus.ERROR
    assert ReportStatus.WAIVED not in set(got.values())


def test_the_trend_counts_waived_failures(tmp_path: Path) -> None:
    report = _report(tmp_path, _fleet(), _release("linux/pci", _exception()))
    (day,) = report.trend
    assert day.counts[ReportStatus.WAIVED] == 2
    assert day.counts[ReportStatus.FAIL] == 1


def test_every_renderer_shows_the_waiver(tmp_path: Path) -> None:
    report = _report(tmp_path, _fleet(), _release("linux/pci", _exception()))
    doc = json.loads(render("json", report))
    assert doc["summary"]["waived"] == 2
    assert doc["exceptions"][0]["justification"].startswith("legacy agent")
    csv_text = render("csv", report).decode()
    assert csv_text.count(",waived,") == 2
    assert csv_text.count(",EXC-1,") == 2
    junit = render("junit", report).decode()
    assert junit.count('<skipped message="waived: failure accepted by exception EXC-1') == 2
    oscal = json.loads(render("oscal", report))
    observations = oscal["assessment-results"]["results"][0]["observations"]
    waived = [o for o in observations if o["title"].endswith(": waived")]
    assert len(waived) == 2
    assert all(o["types"] == ["finding"] for o in waived)
    assert all("relevant-evidence" in o for o in waived)


def _signed_dist(tmp_path: Path, capsys: pytest.CaptureFixture[str], sign: bool) -> Path:
    """dist/linux/web with an exceptions.json, listed in the manifest (and signed)."""
    pki = make_dev_pki(tmp_path, capsys)
    dist = tmp_path / "dist"
    make_dist(dist, "linux/web")
    data = exceptions_bytes("linux/web", [_exception()])
    (dist / "linux/web" / EXCEPTIONS).write_bytes(data)
    manifest = json.loads((dist / "linux/web/manifest.json").read_text())
    if sign:
        manifest["files"][EXCEPTIONS] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
    (dist / "linux/web/manifest.json").write_text(json.dumps(manifest))
    code, _, err = run(capsys, "sign", dist, "--key", pki.key("ci"), "--chain", pki.chain("ci"))
    assert code == 0, err
    (dist / "trust").write_bytes(pki.roots.read_bytes())
    return dist


def _trust(dist: Path) -> ReleaseTrust:
    return ReleaseTrust(policy=load_trust_policy(dist / "trust"), at=datetime.now(UTC))


def test_exceptions_come_from_the_verified_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = _signed_dist(tmp_path, capsys, sign=True)
    (info,) = load_releases(dist, _trust(dist)).infos
    assert info.release.verified
    assert info.exceptions == (_exception(),)


def test_an_edited_exceptions_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = _signed_dist(tmp_path, capsys, sign=True)
    path = dist / "linux/web" / EXCEPTIONS
    path.write_bytes(path.read_bytes().replace(b"2026-12", b"2036-12"))  # a longer waiver
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, _trust(dist))
    assert refused.value.check == "file-hash"


def test_an_unsigned_exceptions_file_next_to_a_release_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone with write access to the file server cannot waive a failure."""
    dist = _signed_dist(tmp_path, capsys, sign=False)
    with pytest.raises(ReleaseRefused) as refused:
        load_releases(dist, _trust(dist))
    assert refused.value.check == "file-name"
    assert EXCEPTIONS in str(refused.value)
