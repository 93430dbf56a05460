from __future__ import annotations

import errno
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pytest

from tests.report.factories import results_file_rows
from tests.report.osquery_lines import control, decorations
from tests.sign.helpers import run
from trails.commands.report import parse_when
from trails.report.ingest import MAX_TIME
from trails.report.model import FILE_LIST, RESULTS_FILE
from trails.report.render import RENDERERS

UNTIL = "2026-11-23T12:00:00Z"
PACKS = Path(__file__).resolve().parents[2] / "cis_pci_packs"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli-fleet")
    from trails.cli import main

    with pytest.raises(SystemExit) as info:
        main(
            [
                "simulate",
                "--hosts",
                "40",
                "--days",
                "2",
                "--controls",
                "12",
                "--out",
                str(out),
                "--until",
                UNTIL,
                "--seed",
                "5",
                "--gzip",
            ]
        )
    assert info.value.code == 0
    return out


def test_simulate_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "simulate",
        "--hosts",
        "3",
        "--days",
        "1",
        "--controls",
        "2",
        "--out",
        tmp_path,
        "--until",
        UNTIL,
        "--json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["lines"] > 0
    assert all(Path(f).is_file() for f in doc["files"])


def test_report_every_format(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, err = run(
        capsys,
        "report",
        "--results",
        str(fleet / "*.log.gz"),
        "--until",
        UNTIL,
        "--since",
        "2026-11-22T12:00:00Z",
        "--format",
        "json,csv",
        "--format",
        "junit",
        "--format",
        "oscal",
        "--out",
        out,
        "--silent-after",
        "30h",
        "--generated-at",
        "2026-11-23T13:00:00Z",
    )
    assert code == 0, err
    assert "(SIMULATED DATA)" in stdout
    for name in ("report.json", "report.csv", "report.junit.xml", "report.oscal.json"):
        assert f"wrote {out / name}" in stdout
        assert (out / name).stat().st_size > 0
    doc = json.loads((out / "report.json").read_text())
    assert doc["metadata"]["simulated"] is True
    assert len(doc["hosts"]) == 40
    assert doc["metadata"]["generated_at"] == "2026-11-23T13:00:00Z"


def test_report_json_summary_and_fail_on(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, err = run(
        capsys,
        "report",
        "--results",
        str(fleet / "*.gz"),
        "--until",
        UNTIL,
        "--out",
        tmp_path,
        "--json",
        "--fail-on",
        "fail",
    )
    assert code == 1
    assert "--fail-on fail" in err
    doc = json.loads(stdout)
    assert doc["summary"]["fail"] > 0
    assert doc["files"] == [str(tmp_path / RESULTS_FILE), str(tmp_path / "report.json")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "docx"], "--format docx: choose from"),
        (["--since", "yesterday"], "is not a time like"),
        (["--silent-after", "soon"], "like 90s, 90m, 12h or 30d"),
        (["--sign-key", "k.pem"], "go together"),
        (["--until", "0001-01-01T00:00:00Z"], "'0001-01-01T00:00:00Z': give a time from 1970"),
        (["--until", "9999-12-31T23:59:59-05:00"], "give a time from 1970 to 9999"),
        (["--since", "1969-12-31T23:59:59Z"], "give a time from 1970 to 9999"),
        (["--generated-at", "9999-12-31T23:59:59-01:00"], "give a time from 1970 to 9999"),
        (["--silent-after", "999999d"], "'999999d': give at most 3650d"),
        (["--memory-limit", "1KB"], "--memory-limit '1KB': give 256MB to 1000TB"),
        (["--memory-limit", "99999999TB"], "give 256MB to 1000TB"),
        (["--packs", "/nonexistent-packs"], "--packs: /nonexistent-packs: packs directory not"),
        (["--engine", "spark", "--spark-master", "bogus://x"], "give local[*], local[N], spark:"),
        (["--engine", "spark", "--spark-master", "local[two]"], "--spark-master 'local[two]'"),
    ],
)
def test_report_usage_errors(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "report", "--results", str(fleet / "*.gz"), "--out", tmp_path, *args)
    assert code == 2
    assert message in err


@pytest.mark.parametrize("fail_on", ["fail", "error"])
def test_fail_on_fails_a_report_without_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fail_on: str
) -> None:
    """No evidence is not a pass; and a window that came from the clock says so."""
    (tmp_path / "empty.log").write_bytes(b"")
    code, out, err = run(
        capsys, "report", "--results", tmp_path / "empty.log", "--out", tmp_path / "out",
        "--fail-on", fail_on,
    )  # fmt: skip
    assert code == 1
    assert f"--fail-on {fail_on}: the report has no results; check --results" in err
    assert "(--until: the clock: no input line has a time" in out


@pytest.mark.parametrize("until", ["9999-12-31T00:00:00Z", "1970-01-02T00:00:00Z"])
def test_simulate_keeps_its_lines_and_releases_within_1970_to_9999(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], until: str
) -> None:
    argv = ["--hosts", "2", "--days", "3", "--controls", "2", "--until", until]
    code, _, err = run(capsys, "simulate", *argv, "--out", tmp_path)
    assert code == 2
    assert "must fall between 1970 and 9999" in err


def test_simulate_that_cannot_write_is_an_io_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_bytes(b"")
    argv = ["--hosts", "2", "--days", "1", "--controls", "2", "--until", UNTIL]
    code, _, err = run(capsys, "simulate", *argv, "--out", tmp_path / "afile" / "x")
    assert code == 4
    assert err.strip().splitlines()[-1].endswith("Not a directory; check --out")


def test_report_missing_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "report", "--results", str(tmp_path / "none*.log"), "--out", tmp_path
    )
    assert code == 2
    assert "no results file" in err


def test_simulate_needs_controls_in_dist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from testkit.dist import make_dist

    make_dist(tmp_path / "dist", "linux")
    code, _, err = run(capsys, "simulate", "--dist", tmp_path / "dist", "--out", tmp_path / "o")
    assert code == 2
    assert "run trails build" in err


def test_parsers() -> None:
    assert parse_when(None, "--x") is None
    assert parse_when("9999-12-31T23:59:59Z", "--x") == datetime(
        9999, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    assert parse_when("1970-01-01T01:00:00+01:00", "--x") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_when("2026-11-23", "--x") == parse_when("2026-11-23T00:00:00Z", "--x")
    assert parse_when("2026-11-23T13:00:00+01:00", "--x") == parse_when(
        "2026-11-23T12:00:00Z", "--x"
    )


def test_signed_report_verifies_and_catches_a_changed_byte(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, chain = _pki(tmp_path, capsys)
    out = tmp_path / "out"
    code, stdout, err = run(
        capsys,
        "report",
        "--results",
        str(fleet / "*.gz"),
        "--until",
        UNTIL,
        "--out",
        out,
        "--format",
        "json,csv",
        "--sign-key",
        key,
        "--sign-chain",
        chain,
    )
    assert code == 0, err
    assert f"wrote {out / 'report.dsse.json'}" in stdout
    envelope = out / "report.dsse.json"
    root = tmp_path / "pki" / "root.pem"
    assert run(capsys, "verify-report", envelope, "--roots", root)[0] == 0
    data = bytearray((out / "report.csv").read_bytes())
    data[10] ^= 1
    (out / "report.csv").write_bytes(bytes(data))
    assert run(capsys, "verify-report", envelope, "--roots", root)[0] == 3


def _pki(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    pki = tmp_path / "pki"
    assert run(capsys, "pki", "init-root", "--dir", pki)[0] == 0
    assert run(capsys, "pki", "issue-intermediate", "--dir", pki)[0] == 0
    code, _, err = run(
        capsys, "pki", "issue-signer", "auditor", "--dir", pki, "--purpose", "report"
    )
    assert code == 0, err
    return pki / "signers" / "auditor.key.pem", pki / "signers" / "auditor.chain.pem"


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_a_report_replaces_the_earlier_set_in_out_as_a_whole(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, chain = _pki(tmp_path, capsys)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the auditor's own file\n")
    args = ("report", "--results", str(fleet / "*.gz"), "--out", out)
    signed = ("--format", "json,csv", "--sign-key", key, "--sign-chain", chain)
    (out / "report.junit.xml").write_text("the auditor's own, from another tool\n")
    assert run(capsys, *args, "--until", UNTIL, *signed)[0] == 0
    assert set(_files(out)) == {
        "notes.txt", RESULTS_FILE, "report.json", "report.csv", "report.dsse.json",
        "report.junit.xml", FILE_LIST,
    }  # fmt: skip
    assert (out / FILE_LIST).read_text().split() == [
        RESULTS_FILE, "report.json", "report.csv", "report.dsse.json"
    ]  # fmt: skip
    # Another window, unsigned, JUnit only: an earlier report.json would name another
    # results file's digest, and the envelope files that changed.
    code, stdout, err = run(
        capsys, *args, "--until", "2026-11-23T06:00:00Z", "--format", "junit", "--json"
    )
    assert code == 0, err
    assert set(_files(out)) == {"notes.txt", RESULTS_FILE, "report.junit.xml", FILE_LIST}
    assert json.loads(stdout)["files"] == [str(out / RESULTS_FILE), str(out / "report.junit.xml")]
    assert (out / "notes.txt").read_text() == "the auditor's own file\n"


def test_a_report_removes_only_files_a_report_wrote(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: an auditor's own report.pdf in --out was removed as a stale output."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.pdf").write_text("my own notes\n")
    args = ("report", "--results", str(fleet / "*.gz"), "--out", out, "--until", UNTIL)
    code, _, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    assert (out / "report.pdf").read_text() == "my own notes\n"
    assert f"warning: {out} also holds report.pdf, not listed in {FILE_LIST}" in err


def test_a_staging_directory_a_killed_run_left_is_removed_a_day_later(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    for name, age in ((".trails-tmp-abandoned", 25 * 3600), (".trails-tmp-running", 60)):
        (out / name).mkdir(parents=True)
        (out / name / "report.json").write_text("{}")
        os.utime(out / name, (time.time() - age, time.time() - age))
    args = ("report", "--results", str(fleet / "*.gz"), "--out", out, "--until", UNTIL)
    assert run(capsys, *args)[0] == 0
    assert sorted(p.name for p in out.glob(".trails-tmp-*")) == [".trails-tmp-running"]


def test_a_directory_in_the_way_stops_the_report_before_any_file_moves(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: the renames stopped half done, new files beside the earlier ones."""
    out = tmp_path / "out"
    args = ("report", "--results", str(fleet / "*.gz"), "--out", out, "--format", "json,csv")
    assert run(capsys, *args, "--until", "2026-11-23T06:00:00Z")[0] == 0
    (out / "report.csv").unlink()
    (out / "report.csv" / "x").mkdir(parents=True)
    earlier = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    code, _, err = run(capsys, *args, "--until", UNTIL)
    assert code == 4, err
    assert "report.csv: Is a directory; check --out" in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == earlier
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["report.csv"]
    # the same for the list of the set's files
    (out / "report.csv").rename(out / "elsewhere")
    (out / FILE_LIST).unlink()
    (out / FILE_LIST).mkdir()
    earlier = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    code, _, err = run(capsys, *args, "--until", UNTIL)
    assert code == 4, err
    assert f"{FILE_LIST}: Is a directory; check --out" in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == earlier


def test_a_report_that_fails_while_writing_leaves_the_earlier_set_whole(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    args = ("report", "--results", str(fleet / "*.gz"), "--out", out, "--format", "json,csv")
    assert run(capsys, *args, "--until", UNTIL)[0] == 0
    earlier = _files(out)

    def disk_full(report: object, sink: BinaryIO) -> None:
        sink.write(b"a part of it")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setitem(RENDERERS, "csv", disk_full)
    code, _, err = run(capsys, *args, "--until", "2026-11-23T06:00:00Z")
    assert code == 4, err
    assert "No space left on device; check --out" in err
    assert _files(out) == earlier  # no file of the failed run, no staging directory


def test_simulate_from_dist_and_report_against_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from testkit.dist import make_dist

    dist = tmp_path / "dist"
    make_dist(dist, "linux")
    conf: dict[str, dict[str, dict[str, object]]] = {
        "schedule": {"trails.control.a": {}, "trails.control.b": {}}
    }
    (dist / "linux" / "osquery.conf").write_text(json.dumps(conf))
    logs = tmp_path / "logs"
    code, _, err = run(
        capsys,
        "simulate",
        "--dist",
        dist,
        "--hosts",
        "30",
        "--days",
        "1",
        "--out",
        logs,
        "--until",
        UNTIL,
    )
    assert code == 0, err
    code, out, err = run(
        capsys,
        "report",
        "--results",
        str(logs / "*.log"),
        "--releases",
        dist,
        "--insecure-unverified-releases",  # built, not signed
        "--until",
        UNTIL,
        "--out",
        tmp_path / "out",
        "--json",
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {r["control_id"] for r in results_file_rows(tmp_path / "out")} == {"a", "b"}
    assert doc["scope"]["releases"][0]["namespace"] == "linux"
    assert doc["scope"]["releases"][0]["verified"] is False
    kinds = {f["kind"] for f in doc["integrity"]}
    assert "outdated_config" in kinds  # drifted hosts run an older config than the release
    assert "config_hash_mismatch" in kinds  # the tampered host
    assert json.loads(out)["simulated"] is True


def test_report_files_follow_the_umask(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    old = os.umask(0o022)
    try:
        code, _, err = run(
            capsys, "report", "--results", str(fleet / "*.gz"), "--until", UNTIL, "--out", tmp_path
        )
    finally:
        os.umask(old)
    assert code == 0, err
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == 0o644


def test_until_defaults_to_the_newest_input_line_and_the_summary_prints_the_window(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("report", "--results", str(fleet / "*.gz"), "--out", tmp_path)
    code, stdout, err = run(capsys, *args, "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    until = doc["until"]
    assert until <= UNTIL  # the simulated fleet's newest line, not the clock
    assert doc["since"] < until
    assert doc["scope_from_releases"] is False
    assert doc["framework"] is None
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["metadata"]["until"] == until == report["metadata"]["newest_evidence"]
    again = run(capsys, *args, "--json")[1]
    assert json.loads(again)["fingerprint"] == doc["fingerprint"]  # same input, same report
    code, stdout, err = run(capsys, *args)
    assert code == 0, err
    assert f"window {doc['since']} to {until} (--until: the newest input line)" in stdout
    assert "scope: every pack (no --releases)" in stdout


def test_a_line_dated_far_ahead_does_not_end_the_window(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: one forged line dated 9999-12-31 became the default --until, every
    other host's evidence went stale, and --fail-on fail passed a failing fleet."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for path in fleet.glob("*.gz"):
        (logs / path.name).write_bytes(path.read_bytes())
    forged = control("sim-0001", "pass", MAX_TIME, decorations("forged-host"))
    (logs / "forged.log").write_text(forged + "\n")
    args = ("report", "--results", str(logs), "--out", tmp_path / "out", "--json")
    code, stdout, err = run(capsys, *args, "--fail-on", "fail")
    assert code == 1, err  # the fleet's failures still fail it
    assert "warning: 1 input lines are dated after this machine's clock" in err
    assert json.loads(stdout)["until"] <= UNTIL
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["metadata"]["lines_after_until"] == 1
    # an explicit --until counts what it leaves out too, without the warning
    code, _, err = run(capsys, *args, "--until", "2026-11-23T00:00:00Z")
    assert code == 0, err
    assert "warning" not in err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["metadata"]["lines_after_until"] > 1


def test_framework_needs_packs_and_a_known_name(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("report", "--results", str(fleet / "*.gz"), "--out", tmp_path, "--until", UNTIL)
    code, _, err = run(capsys, *args, "--framework", "cis-rhel-9")
    assert code == 2
    assert "--framework needs --packs" in err
    code, _, err = run(capsys, *args, "--packs", PACKS, "--framework", "nist")
    assert code == 2
    assert "--framework nist: choose from" in err
    code, stdout, err = run(
        capsys, *args, "--packs", PACKS, "--framework", "cis-ubuntu-22.04", "--json"
    )
    assert code == 0, err
    assert json.loads(stdout)["frameworks"] == ["cis-ubuntu-22.04"]


def test_an_ubuntu_only_fleet_does_not_claim_cis_rhel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --packs holding every pack, the scope is what the releases schedule."""
    from testkit.dist import make_dist

    dist = tmp_path / "dist"
    make_dist(dist, "linux")
    conf: dict[str, dict[str, dict[str, object]]] = {
        "schedule": {"trails.control.cis-ubuntu2204-5.1.1": {}}
    }
    (dist / "linux" / "osquery.conf").write_text(json.dumps(conf))
    logs = tmp_path / "logs"
    assert run(capsys, "simulate", "--dist", dist, "--hosts", "3", "--out", logs)[0] == 0
    base = ("report", "--results", str(logs / "*.log"), "--packs", PACKS, "--json")
    code, out, err = run(
        capsys, *base, "--releases", dist, "--insecure-unverified-releases", "--out", tmp_path
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["scope_from_releases"] is True
    assert "cis-rhel-9" not in summary["frameworks"]
    assert "cis-ubuntu-22.04" in summary["frameworks"]
    doc = json.loads((tmp_path / "report.json").read_text())
    assert not [c for c in doc["controls"] if c["id"].startswith("cis-rhel")]
    code, out, err = run(capsys, *base, "--out", tmp_path / "all")
    assert code == 0, err
    assert "cis-rhel-9" in json.loads(out)["frameworks"]  # no --releases: every pack
