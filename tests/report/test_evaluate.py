from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.report.factories import CONTROLS, REQUIREMENTS, bare_release
from tests.report.osquery_lines import T0, control, decorations, integrity, line, stats
from trails.errors import UsageError
from trails.models.canonical import canonical_json
from trails.models.evidence import ReportStatus
from trails.report.build import ReportOptions, report_from_files
from trails.report.catalog import ReportCatalog, RequirementSpec
from trails.report.model import (
    RESULTS_FILE,
    SCHEMA,
    ControlInfo,
    FrameworkRef,
    IntegrityKind,
    Release,
    Report,
)
from trails.report.releases import LoadedReleases, ReleaseInfo
from trails.report.results import digest_results

UNTIL = datetime.fromtimestamp(T0, UTC) + timedelta(hours=4)
CATALOG = ReportCatalog(controls=CONTROLS, requirements=REQUIREMENTS)
CV = "20261122080000-abc1234"
CV_OLD = "20261101080000-0ff1ce0"


def _report(tmp_path: Path, lines: list[str], **kw: object) -> Report:
    path = tmp_path / "results.log"
    path.write_text("\n".join(lines) + "\n")
    releases = kw.pop("releases", ())
    baseline = kw.pop("baseline", None)
    catalog = kw.pop("catalog", CATALOG)
    options = ReportOptions(now=UNTIL, **kw)  # type: ignore[arg-type]
    return report_from_files([str(path)], catalog, releases, options, baseline)  # type: ignore[arg-type]


def _status(report: Report) -> dict[tuple[str, str], tuple[ReportStatus, str]]:
    return {(r.host_uuid, r.control_id): (r.status, r.detail) for r in report.results}


def test_statuses(tmp_path: Path) -> None:
    d1, d2 = decorations("h1"), decorations("h2")
    old = T0 - 3 * 86400
    report = _report(
        tmp_path,
        [
            control("a", "pass", T0, d1),
            control("b", "fail", T0, d1, [{"path": "/etc/shadow", "mode": "0644"}]),
            control("c", "not_applicable", T0, d1),
            control("d", "maybe", T0, d1),
            control("e", "pass", old, d1),  # older than the window
            control("a", "fail", T0 - 60, d2),
            control("a", "pass", T0, d2),  # the newest row wins
            control("a", "fail", T0 + 86400, d2),  # after --until: ignored
            control("f", "pass", old, d2),
            stats({"f": (1, 0)}, T0, d2),  # denylisted
            stats({"g": (0, 4, 0)}, T0, d1),  # ran, never returned a row
        ],
        catalog=ReportCatalog(controls=tuple(ControlInfo(id=c, title=c) for c in "abcdefg")),
    )
    got = _status(report)
    # one result per pair: (h2, f) is reported, expected and named by the statistics
    assert len(list(report.results)) == len(got) == 13
    assert got[("h1", "a")][0] is ReportStatus.PASS
    assert got[("h1", "b")][0] is ReportStatus.FAIL
    assert got[("h1", "c")][0] is ReportStatus.NOT_APPLICABLE
    assert got[("h1", "d")] == (ReportStatus.ERROR, "host reported unknown status 'maybe'")
    assert got[("h1", "e")][0] is ReportStatus.STALE
    assert got[("h2", "a")][0] is ReportStatus.PASS
    assert got[("h2", "f")][0] is ReportStatus.ERROR
    assert "denylisted" in got[("h2", "f")][1]
    assert got[("h1", "g")] == (
        ReportStatus.ERROR,
        "osquery ran the query 4 times; it never returned a row",
    )
    # Every control seen in the namespace is expected on every host of it.
    assert got[("h2", "b")][0] is ReportStatus.NO_EVIDENCE
    fail = next(r for r in report.results if r.status is ReportStatus.FAIL)
    assert fail.evidence_count == 1
    assert fail.evidence[0].to_dict() == {"path": "/etc/shadow", "mode": "0644"}
    assert fail.collected == datetime.fromtimestamp(T0, UTC)
    assert fail.config_version == CV
    assert report.metadata.generated_at == datetime.fromtimestamp(T0, UTC)
    assert not report.metadata.simulated


def test_a_control_only_a_host_defines_is_not_expected_of_the_others(tmp_path: Path) -> None:
    """Regression: one host reporting ids of its own made each a no_evidence row on every
    other host of its namespace (a host inventing 100,000 ids, 100,000 rows per host)."""
    cid = CONTROLS[0].id
    lines = [control(cid, "pass", T0, decorations(f"h{n}")) for n in range(20)]
    invented = [f"invented-{n}" for n in range(50)]
    lines += [control(c, "pass", T0, decorations("h0")) for c in invented]
    lines.append(control(CONTROLS[1].id, "fail", T0, decorations("h0")))
    got = _status(_report(tmp_path, lines))
    assert all(got[("h0", c)][0] is ReportStatus.PASS for c in invented)
    assert not any((f"h{n}", c) in got for n in range(1, 20) for c in invented)
    # a control the packs define is still expected of every host of the namespace
    assert got[("h7", CONTROLS[1].id)][0] is ReportStatus.NO_EVIDENCE
    assert len(got) == 20 + 50 + 20
    # with no packs (and no releases) the hosts say what is expected, as before
    hosts_say = _status(_report(tmp_path, lines, catalog=ReportCatalog()))
    assert hosts_say[("h7", "invented-3")][0] is ReportStatus.NO_EVIDENCE


def test_a_namespace_with_a_signed_release_expects_only_what_it_schedules(
    tmp_path: Path,
) -> None:
    """Regression: a host of a namespace with a signed release made the controls of
    another namespace's release (and of the packs) expected of every host of its own."""

    def release(ns: str, controls: tuple[str, ...]) -> ReleaseInfo:
        rel = Release(ns, 20261122080000, CV, None, None, "", "", "r", "c", "11" * 32)
        return ReleaseInfo(rel, controls, {})

    pci, other, packed = CONTROLS[0].id, CONTROLS[1].id, CONTROLS[2].id
    lines = [
        control(pci, "pass", T0, decorations(f"p{n}", namespace="linux/pci")) for n in range(5)
    ]
    lines += [control(other, "pass", T0, decorations(f"d{n}", namespace="linux")) for n in range(5)]
    # p0 names the other namespace's control and a control only the packs define; d0
    # (whose namespace has no release here) names a control of linux/pci's release
    lines += [
        control(c, "fail", T0, decorations("p0", namespace="linux/pci")) for c in (other, packed)
    ]
    lines.append(control(pci, "fail", T0, decorations("d0", namespace="linux")))
    got = _status(_report(tmp_path, lines, releases=(release("linux/pci", (pci,)),)))
    assert got[("p0", other)][0] is ReportStatus.FAIL  # p0's own rows stay
    assert got[("p0", packed)][0] is ReportStatus.FAIL
    assert not any((f"p{n}", c) in got for n in range(1, 5) for c in (other, packed))
    # a namespace without a release: a defined control a host names is expected of all
    assert got[("d3", pci)][0] is ReportStatus.NO_EVIDENCE
    assert len(got) == 5 + 2 + 5 + 5


def _release(config_version: str, osquery_conf_sha256: str = "") -> Release:
    return bare_release(config_version, osquery_conf_sha256)


def test_expected_controls_from_releases_and_integrity(tmp_path: Path) -> None:
    d1 = decorations("h1")
    d2 = decorations("h2", cv=CV_OLD)
    d3 = decorations("h3")
    release = _release(CV, osquery_conf_sha256="cd" * 32)
    releases = (ReleaseInfo(release, ("a", "z"), {}),)
    report = _report(
        tmp_path,
        [
            control("a", "pass", T0, d1),
            integrity(T0, d1, **{"installed_osquery_conf_sha256": "ee" * 32}),
            control("a", "pass", T0, d2),
            integrity(T0, d2, last_result="signature", last_error="bad signature"),
            control("a", "pass", T0 - 2 * 86400, d3),
            integrity(T0 - 2 * 86400, d3, expires="2026-11-01T00:00:00Z"),
        ],
        releases=releases,
        silent_after=timedelta(hours=24),
    )
    assert _status(report)[("h1", "z")][0] is ReportStatus.NO_EVIDENCE
    kinds = {(f.host_uuid, f.kind) for f in report.integrity}
    assert kinds == {
        ("h1", IntegrityKind.CONFIG_HASH_MISMATCH),
        ("h2", IntegrityKind.OUTDATED_CONFIG),
        ("h2", IntegrityKind.VERIFICATION_ERROR),
        ("h3", IntegrityKind.EXPIRED_RELEASE),
        ("h3", IntegrityKind.SILENT),
    }
    assert report.scope.releases == (release,)
    assert report.scope.commits == ("c" * 40,)
    assert [s.subject for s in report.scope.signers] == ["CN=s", "CN=signer"]


def test_host_newer_than_the_signed_release(tmp_path: Path) -> None:
    """A whole dist/ tree replayed with its older, still valid index verifies; the hosts
    that already run the newer release are what shows it (and hosts on the replayed
    version, which are really outdated, then look current)."""
    release = _release(CV_OLD)
    report = _report(
        tmp_path,
        [
            control("a", "pass", T0, decorations("h1")),
            control("a", "pass", T0, decorations("h2", cv=CV_OLD)),
            control("a", "pass", T0, decorations("h3", cv="20261001080000-0000000")),
        ],
        releases=(ReleaseInfo(release, ("a",), {}),),
    )
    kinds = {
        (f.host_uuid, f.kind)
        for f in report.integrity
        if f.kind is not IntegrityKind.NO_INTEGRITY_DATA  # these hosts sent none
    }
    assert kinds == {
        ("h1", IntegrityKind.NEWER_THAN_SIGNED),
        ("h3", IntegrityKind.OUTDATED_CONFIG),
    }
    (newer,) = [f for f in report.integrity if f.kind is IntegrityKind.NEWER_THAN_SIGNED]
    assert f"runs {CV}, newer than the newest release under --releases ({CV_OLD})" in newer.detail


def test_newest_version_from_hosts_without_releases(tmp_path: Path) -> None:
    report = _report(
        tmp_path,
        [
            control("a", "pass", T0, decorations("h1")),
            control("a", "pass", T0, decorations("h2", cv=CV_OLD)),
        ],
    )
    outdated = [f for f in report.integrity if f.kind is IntegrityKind.OUTDATED_CONFIG]
    assert [f.host_uuid for f in outdated] == ["h2"]
    assert report.scope.commits == ("0ff1ce0", "abc1234")


def test_rollups_and_trend(tmp_path: Path) -> None:
    d1, d2 = decorations("h1", owner="bob"), decorations("h2", namespace="linux")
    report = _report(
        tmp_path,
        [
            control("cis-ubuntu-1.1.1.1", "fail", T0 - 86400, d1),
            control("cis-ubuntu-1.1.1.1", "pass", T0, d1),
            control("cis-ubuntu-5.2.1", "fail", T0, d2),
        ],
        since=datetime.fromtimestamp(T0, UTC) - timedelta(days=3),
    )
    req = {(r.framework, r.requirement): r for r in report.requirements}
    assert req[("pci-dss-4.0.1", "2.2.4")].status is ReportStatus.PASS
    assert req[("pci-dss-4.0.1", "2.2.6")].status is ReportStatus.FAIL
    assert req[("pci-dss-4.0.1", "12.10.1")].status is ReportStatus.MANUAL
    assert {g.name for g in report.owners} == {"alice", "bob"}
    assert [g.name for g in report.namespaces] == ["linux", "linux/pci"]
    assert [
        (p.day.isoformat(), p.counts[ReportStatus.FAIL], p.counts[ReportStatus.PASS])
        for p in report.trend
    ] == [
        ("2026-11-22", 1, 0),
        ("2026-11-23", 1, 1),
    ]
    assert report.controls_by_id["cis-ubuntu-5.2.1"].title == "Ensure sudo is installed"


def test_baseline_diff(tmp_path: Path) -> None:
    d1 = decorations("h1")
    first = _report(
        tmp_path,
        [control("a", "pass", T0, d1), control("b", "fail", T0, d1), control("c", "pass", T0, d1)],
    )
    base = _saved(first, tmp_path)
    second = _report(
        tmp_path,
        [control("a", "fail", T0, d1), control("b", "pass", T0, d1), control("d", "pass", T0, d1)],
        baseline=base,
    )
    diff = second.baseline
    assert diff is not None
    assert diff.baseline_fingerprint == first.fingerprint
    assert diff.baseline_generated_at == first.metadata.generated_at
    assert [(c.control_id, c.before, c.after) for c in diff.newly_failing] == [
        ("a", "pass", "fail")
    ]
    assert [(c.control_id, c.before, c.after) for c in diff.newly_passing] == [
        ("b", "fail", "pass")
    ]
    assert [(c.control_id, c.after) for c in diff.added] == [("d", "pass")]
    assert [(c.control_id, c.before) for c in diff.removed] == [("c", "pass")]


def _saved(report: Report, where: Path) -> Path:
    """report.json and its results file, as `trails report` writes them."""
    with (where / RESULTS_FILE).open("wb") as out:
        digest_results(report.results, out)
    (where / "base.json").write_bytes(report.canonical_json())
    return where / "base.json"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "not JSON"),
        (b'{"schema": "other"}', "not a report of this version"),
        (b'{"schema": "trails.report/v2", "results": []}', "its fingerprint does not match"),
        (
            b'{"fingerprint": "'
            + hashlib.sha256(canonical_json({"schema": SCHEMA, "results": []})).hexdigest().encode()
            + b'", "schema": "trails.report/v2", "results": []}',
            "its results entry is malformed",
        ),
    ],
)
def test_bad_baseline(tmp_path: Path, content: bytes, message: str) -> None:
    base = tmp_path / "base.json"
    base.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        _report(tmp_path, [control("a", "pass", T0, decorations("h1"))], baseline=base)
    with pytest.raises(UsageError, match="No such file"):
        _report(
            tmp_path, [control("a", "pass", T0, decorations("h1"))], baseline=tmp_path / "nope.json"
        )


def test_a_baseline_that_never_ends_is_read_only_up_to_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A device has no size to check first (/dev/zero was read until memory ran out)."""
    monkeypatch.setattr("trails.report.baseline.MAX_BASELINE_BYTES", 4096)
    with pytest.raises(UsageError, match="--baseline /dev/zero: larger than 4096 bytes"):
        _report(tmp_path, [control("a", "pass", T0, decorations("h1"))], baseline=Path("/dev/zero"))


def test_a_baseline_whose_results_file_was_edited_or_lost_is_refused(tmp_path: Path) -> None:
    """The results file must hash to the digest its report.json (and fingerprint) names."""
    lines = [control("a", "fail", T0, decorations("h1"))]
    base = _saved(_report(tmp_path, lines), tmp_path)
    results = tmp_path / RESULTS_FILE
    text = gzip.decompress(results.read_bytes()).replace(b'"fail"', b'"pass"')
    results.write_bytes(gzip.compress(text))
    with pytest.raises(UsageError, match="does not match the digest"):
        _report(tmp_path, lines, baseline=base)
    results.unlink()
    with pytest.raises(UsageError, match="cannot read"):
        _report(tmp_path, lines, baseline=base)


def _fingerprint(doc: Mapping[str, object]) -> str:
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def test_a_baseline_whose_report_was_edited_is_refused(tmp_path: Path) -> None:
    """Regression: the results file had to match report.json's digest, but report.json
    itself was taken as it came (its fingerprint, its generated_at)."""
    lines = [control("a", "fail", T0, decorations("h1"))]
    base = _saved(_report(tmp_path, lines), tmp_path)
    doc = json.loads(base.read_bytes())
    assert _fingerprint({k: v for k, v in doc.items() if k != "fingerprint"}) == doc["fingerprint"]
    doc["metadata"]["generated_at"] = "2020-01-01T00:00:00Z"
    base.write_bytes(canonical_json(doc))
    with pytest.raises(UsageError, match="its fingerprint does not match its content"):
        _report(tmp_path, lines, baseline=base)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (b'"zzz": NaN, ', "NaN is not a JSON number"),
        (b'"zzz": 1e400, ', "its fingerprint does not match"),
        (b'"zzz": "\\ud800", ', "its fingerprint does not match"),
        (b'"schema": "x", ', "repeats the key 'schema'"),
    ],
)
def test_a_baseline_edited_beyond_json_is_refused_not_a_crash(
    tmp_path: Path, edit: bytes, message: str
) -> None:
    """Regression: values canonical JSON cannot encode were an internal error."""
    lines = [control("a", "fail", T0, decorations("h1"))]
    base = _saved(_report(tmp_path, lines), tmp_path)
    base.write_bytes(base.read_bytes().replace(b"{", b"{" + edit, 1))
    with pytest.raises(UsageError, match=message):
        _report(tmp_path, lines, baseline=base)


def test_the_changes_listed_are_bounded_and_all_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A baseline of another fleet differs in every result: each kind of change lists the
    first MAX_LISTED_CHANGES (by host and control) and counts them all."""
    monkeypatch.setattr("trails.report.baseline.MAX_LISTED_CHANGES", 3)
    first = [control("a", "pass", T0, decorations(f"old{n}")) for n in range(5)]
    first += [control("a", "pass", T0, decorations(f"h{n}")) for n in range(4)]
    base = _saved(_report(tmp_path, first), tmp_path)
    now = [control("a", "fail", T0, decorations(f"h{n}")) for n in range(4)]
    now += [control("a", "pass", T0, decorations(f"new{n}")) for n in range(2)]
    diff = _report(tmp_path, now, baseline=base).baseline
    assert diff is not None
    assert [c.host_uuid for c in diff.removed] == ["old0", "old1", "old2"]
    assert [c.host_uuid for c in diff.newly_failing] == ["h0", "h1", "h2"]
    assert [c.host_uuid for c in diff.added] == ["new0", "new1"]
    assert dict(diff.totals) == {"removed": 5, "newly_failing": 4, "added": 2}
    assert diff.to_dict()["totals"] == {
        "newly_failing": 4,
        "newly_passing": 0,
        "added": 2,
        "removed": 5,
    }


def test_window_must_be_ordered(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--since must be before --until"):
        _report(
            tmp_path,
            [control("a", "pass", T0, decorations("h1"))],
            since=UNTIL + timedelta(hours=1),
        )


def test_baseline_tolerates_junk_lines(tmp_path: Path) -> None:
    """A self-consistent baseline (digest matching) with lines that are not results: those
    are skipped, never fatal."""
    text = b'1\n{"host_uuid": 2}\n{"host_uuid":"h1","control_id":"a","status":"fail"}\n'
    (tmp_path / RESULTS_FILE).write_bytes(gzip.compress(text))
    base = tmp_path / "base.json"
    digest = {"file": RESULTS_FILE, "rows": 3, "sha256": hashlib.sha256(text).hexdigest()}
    doc = {"schema": SCHEMA, "results": digest, "metadata": {"generated_at": "x"}}
    base.write_text(json.dumps({**doc, "fingerprint": _fingerprint(doc)}))
    report = _report(tmp_path, [control("a", "pass", T0, decorations("h1"))], baseline=base)
    assert report.baseline is not None
    assert report.baseline.baseline_generated_at is None
    assert [(c.control_id, c.before, c.after) for c in report.baseline.newly_passing] == [
        ("a", "fail", "pass")
    ]


def test_regression_same_commit_namespaces_keep_their_own_conf_hash(tmp_path: Path) -> None:
    """Namespaces built from one commit share a config_version but not an osquery.conf."""

    def release(ns: str, digest: str) -> ReleaseInfo:
        rel = Release(ns, 20261122080000, CV, None, None, "", "", "r", "c", digest)
        return ReleaseInfo(rel, ("a",), {})

    d1, d2 = decorations("h1", namespace="linux"), decorations("h2", namespace="linux/pci")
    hashes = {"installed_osquery_conf_sha256": "11" * 32, "osquery_conf_sha256": "11" * 32}
    report = _report(
        tmp_path,
        [
            control("a", "pass", T0, d1),
            integrity(T0, d1, **hashes),
            control("a", "pass", T0, d2),
            integrity(T0, d2, **dict.fromkeys(hashes, "22" * 32)),
        ],
        releases=(release("linux", "11" * 32), release("linux/pci", "22" * 32)),
    )
    assert [f for f in report.integrity if f.kind is IntegrityKind.CONFIG_HASH_MISMATCH] == []


def test_a_host_that_could_not_decide_is_no_evidence_or_stale_with_its_reason(
    tmp_path: Path,
) -> None:
    d1 = decorations("h1")
    unread = [{"trails_note": "no rows from osquery table(s): systemd_units"}]
    old_rules = [{"trails_note": "the agent has not refreshed the loaded audit rules"}]
    report = _report(
        tmp_path,
        [
            control("a", "no_evidence", T0, d1, unread),
            control("b", "stale", T0, d1, old_rules),
            control("c", "pass", T0, d1),
        ],
    )
    got = _status(report)
    assert got[("h1", "a")] == (
        ReportStatus.NO_EVIDENCE,
        "the host's check could not decide: no rows from osquery table(s): systemd_units",
    )
    assert got[("h1", "b")] == (
        ReportStatus.STALE,
        "the host's check could not decide: the agent has not refreshed the loaded audit rules",
    )
    assert report.trend[-1].counts[ReportStatus.NO_EVIDENCE] == 1
    assert report.trend[-1].counts[ReportStatus.STALE] == 1
    assert report.trend[-1].counts[ReportStatus.ERROR] == 0


def test_a_look_alike_query_cannot_pose_as_a_control(tmp_path: Path) -> None:
    """Attack (issue 12 item 8): a policy query named ``audit_helper_trails.control.a``
    returning a pass row must not count as control a's result."""
    d1 = decorations("h1")
    row = {"control_id": "a", "status": "pass", "evidence": "[]", "evidence_count": "0"}
    report = _report(
        tmp_path,
        [
            control("a", "fail", T0, d1, [{"path": "/etc/shadow"}]),
            line("audit_helper_trails.control.a", [row], T0 + 60, d1),
            line("pack_cis_trails.control.b", [{**row, "control_id": "b"}], T0, d1),
        ],
    )
    got = _status(report)
    assert got[("h1", "a")][0] is ReportStatus.FAIL
    assert got[("h1", "b")][0] is ReportStatus.PASS


@pytest.mark.parametrize("row", [1, "pass", [{"status": "pass"}], {"state": "pass"}])
def test_a_result_row_without_a_status_is_an_error_and_the_report_is_written(
    tmp_path: Path, row: object
) -> None:
    """Regression: one such row from one host made every line of the results file text
    but its own, whose NULL detail stopped the whole fleet's report (internal error)."""
    d1 = decorations("h1")
    bad = line("trails.control.a", [row], T0, d1)  # type: ignore[list-item]
    report = _report(tmp_path, [bad, control("b", "fail", T0, d1)])
    assert _status(report)[("h1", "a")] == (
        ReportStatus.ERROR,
        "the host's result row has no status",
    )
    assert _status(report)[("h1", "b")][0] is ReportStatus.FAIL
    base = _saved(report, tmp_path)
    lines = gzip.decompress((tmp_path / RESULTS_FILE).read_bytes()).decode().splitlines()
    assert [json.loads(x)["control_id"] for x in lines] == ["a", "b"]
    assert json.loads(base.read_text())["results"]["rows"] == 2


def test_a_pass_at_the_same_time_never_hides_a_fail(tmp_path: Path) -> None:
    """Attack (issue 12 item 8): a second result line with the same time says pass."""
    d1 = decorations("h1")
    evidence = [{"path": "/etc/shadow", "mode": "0644"}]
    for order in ((0, 1), (1, 0)):
        lines = [control("a", "fail", T0, d1, evidence), control("a", "pass", T0, d1)]
        report = _report(tmp_path, [lines[i] for i in order])
        assert _status(report)[("h1", "a")][0] is ReportStatus.FAIL


def test_a_host_whose_controls_never_ran_is_still_accounted_for(tmp_path: Path) -> None:
    """Issue 15 item 1: in-window lines with trails' decorations but no trails.* rows."""
    release = _release(CV)
    report = _report(
        tmp_path,
        [
            control("a", "pass", T0, decorations("h1")),
            line("osquery_info", [{"version": "5.23.1"}], T0, decorations("h2")),
            line("osquery_info", [{"version": "5.23.1"}], T0, {"host_uuid": "h3"}),  # not ours
        ],
        releases=(ReleaseInfo(release, ("a", "z"), {}),),
    )
    assert {h.host_uuid for h in report.hosts} == {"h1", "h2"}
    got = _status(report)
    assert got[("h2", "a")][0] is ReportStatus.NO_EVIDENCE
    assert got[("h2", "z")][0] is ReportStatus.NO_EVIDENCE
    assert got[("h1", "a")][0] is ReportStatus.PASS


def test_a_host_without_integrity_data_is_a_finding(tmp_path: Path) -> None:
    """Issue 15 item 1: no integrity row is not 'no finding'."""
    d1, d2 = decorations("h1"), decorations("h2")
    report = _report(tmp_path, [control("a", "pass", T0, d1), control("a", "pass", T0, d2),
                                integrity(T0, d1)])  # fmt: skip
    blind = [f.host_uuid for f in report.integrity if f.kind is IntegrityKind.NO_INTEGRITY_DATA]
    assert blind == ["h2"]


# Scope (issue 15 item 4) and time (item 5).

RHEL = ControlInfo(
    id="cis-rhel-5.2.1",
    title="Ensure sudo is installed (RHEL)",
    refs=(FrameworkRef("cis-rhel-9", "5.2.1"), FrameworkRef("pci-dss-4.0.1", "2.2.6")),
)
RHEL_MANUAL = ControlInfo(
    id="cis-rhel-1.1.1",
    title="Ensure the RHEL partitions are planned",
    refs=(FrameworkRef("cis-rhel-9", "1.1.1"),),
    manual_reason="a design decision",
)
UBUNTU_MANUAL = ControlInfo(
    id="cis-ubuntu-1.1.2",
    title="Ensure the partitions are planned",
    refs=(FrameworkRef("cis-ubuntu-22.04", "1.1.2"),),
    manual_reason="a design decision",
)
PACKS_CATALOG = ReportCatalog(
    controls=(*CONTROLS, RHEL, RHEL_MANUAL, UBUNTU_MANUAL),
    requirements=(
        *REQUIREMENTS,
        RequirementSpec("cis-rhel-9", "5.2.1", "Ensure sudo is installed (RHEL)"),
        RequirementSpec("cis-rhel-9", "1.1.1", "partitions", "a design decision"),
    ),
    packs={
        **{c.id: "cis_ubuntu_22_04" for c in CONTROLS if c.id.startswith("cis-ubuntu")},
        "cis-ubuntu-1.1.2": "cis_ubuntu_22_04",
        "pci-12.10.1": "pci_dss_4_0_1",
        RHEL.id: "cis_rhel9",
        RHEL_MANUAL.id: "cis_rhel9",
    },
)


def _scoped(tmp_path: Path, framework: str | None = None, *, releases: bool = True) -> Report:
    path = tmp_path / "results.log"
    path.write_text(control("cis-ubuntu-5.2.1", "fail", T0, decorations("h1")) + "\n")
    scheduled = (ReleaseInfo(_release(CV), ("cis-ubuntu-1.1.1.1", "cis-ubuntu-5.2.1"), {}),)
    options = ReportOptions(now=UNTIL, framework=framework)
    return report_from_files([str(path)], PACKS_CATALOG, scheduled if releases else (), options)


def test_scope_is_what_the_releases_schedule_plus_manual_siblings(tmp_path: Path) -> None:
    report = _scoped(tmp_path)
    assert report.scope.frameworks == ("cis-ubuntu-22.04", "pci-dss-4.0.1")  # no cis-rhel-9
    assert [c.id for c in report.controls] == [
        "cis-ubuntu-1.1.1.1",
        "cis-ubuntu-1.1.2",  # the manual sibling in the same pack
        "cis-ubuntu-5.2.1",
    ]
    frameworks = {r.framework for r in report.requirements}
    assert frameworks == {"cis-ubuntu-22.04", "pci-dss-4.0.1"}
    assert report.scope.from_releases is True


def test_without_releases_every_pack_is_in_scope(tmp_path: Path) -> None:
    report = _scoped(tmp_path, releases=False)
    assert "cis-rhel-9" in report.scope.frameworks
    assert report.scope.from_releases is False
    assert {c.id for c in report.controls} == {c.id for c in PACKS_CATALOG.controls}


def test_framework_narrows_the_scope(tmp_path: Path) -> None:
    report = _scoped(tmp_path, "cis-ubuntu-22.04")
    assert report.scope.frameworks == ("cis-ubuntu-22.04",)
    assert {r.framework for r in report.requirements} == {"cis-ubuntu-22.04"}
    assert {r.control_id for r in report.results} <= {c.id for c in report.controls}
    with pytest.raises(UsageError, match="--framework nist: choose from cis-rhel-9"):
        _scoped(tmp_path, "nist")


def test_until_defaults_to_the_newest_input_line(tmp_path: Path) -> None:
    lines = [
        control("a", "pass", T0 - 3 * 86400, decorations("h1")),
        control("a", "fail", T0 - 600, decorations("h1")),
    ]
    path = tmp_path / "results.log"
    path.write_text("\n".join(lines) + "\n")
    first = report_from_files([str(path)], CATALOG, (), ReportOptions())
    again = report_from_files([str(path)], CATALOG, (), ReportOptions())
    newest = datetime.fromtimestamp(T0 - 600, UTC)
    assert first.metadata.until == newest
    assert first.metadata.since == newest - timedelta(hours=24)
    assert first.metadata.newest_evidence == newest
    assert first.fingerprint == again.fingerprint
    assert first.metadata.to_dict() == again.metadata.to_dict()


def test_each_stage_after_the_reading_is_announced_in_order(tmp_path: Path) -> None:
    """What the progress bar shows (for every engine: the stages are the pipeline's)."""
    path = tmp_path / "results.log"
    path.write_text(control("a", "fail", T0, decorations("h1")) + "\n")
    stages: list[str] = []
    report = report_from_files([str(path)], CATALOG, (), ReportOptions(), on_stage=stages.append)
    report.results.close()
    assert stages == ["evaluating", "rollups and report.results.jsonl.gz"]


def test_trend_covers_the_window_only(tmp_path: Path) -> None:
    d1 = decorations("h1")
    report = _report(
        tmp_path,
        [
            control("a", "fail", T0 - 5 * 86400, d1),  # before the window
            control("a", "pass", T0, d1),
        ],
        since=datetime.fromtimestamp(T0, UTC) - timedelta(hours=1),
    )
    assert [p.day.isoformat() for p in report.trend] == ["2026-11-23"]


def test_releases_are_loaded_at_the_window_end(tmp_path: Path) -> None:
    path = tmp_path / "results.log"
    path.write_text(control("a", "pass", T0 - 60, decorations("h1")) + "\n")
    asked: list[datetime] = []

    def load(at: datetime) -> LoadedReleases:
        asked.append(at)
        return LoadedReleases((ReleaseInfo(_release(CV), ("a",), {}),), None)

    report = report_from_files([str(path)], CATALOG, load, ReportOptions())
    assert asked == [datetime.fromtimestamp(T0 - 60, UTC)]
    assert report.scope.releases[0].namespace == "linux/pci"
