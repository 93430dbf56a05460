"""The lint, build and diff commands in-process (CliRunner), and the diff model."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.build.conftest import ROOT, PolicyRepo, run_trails
from trails.build.diagnostics import failure, github_annotation
from trails.build.diff import diff_builds, render_text
from trails.build.pipeline import CompiledNamespace
from trails.build.revisions import export_revision
from trails.build.version import public_url
from trails import fileio
from trails.build import writer
from trails.build.writer import write_outputs
from trails.cli import cli
from trails.errors import CheckFailed, SourceLoc, TransportError, UsageError
from trails.models.diagnostic import Diagnostic, Severity

INCLUDE_CIS = "include:\n  - {pack: cis_ubuntu_22_04, level: 1, profile: server}\n"
BAD_QUERY = "osquery:\n  schedule:\n    q: {query: 'SELECT * FROM nope', interval: 60}\n"


def test_lint_text_json_and_github(repo: PolicyRepo) -> None:
    repo.write("linux/bad/policy.yaml", BAD_QUERY)
    runner = CliRunner()
    args = ["lint", "--policies", str(repo.policies)]
    text = runner.invoke(cli, args)
    assert text.exit_code == 1
    line = "policies/linux/bad/policy.yaml:3: error: query q: unknown osquery table: nope"
    assert line in text.output
    as_json = runner.invoke(cli, [*args, "--json"])
    doc = json.loads(as_json.output)
    assert json.loads(runner.invoke(cli, [*args, "--format", "json"]).output) == doc  # alias
    assert runner.invoke(cli, [*args, "--json", "--format", "github"]).exit_code == 2
    assert doc["errors"] == 1
    assert doc["namespaces"] == ["linux"]
    assert doc["diagnostics"][0]["code"] == "sql.unknown-table"
    github = runner.invoke(cli, [*args, "--format", "github"])
    assert github.output.strip() == (
        "::error file=policies/linux/bad/policy.yaml,line=3,title=trails sql.unknown-table"
        "::query q: unknown osquery table: nope"
    )
    ok = runner.invoke(cli, [*args, "--namespace", "linux"])
    assert ok.exit_code == 0, ok.output


def test_lint_outside_git_uses_cwd_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p/linux").mkdir(parents=True)
    (tmp_path / "p/linux/policy.yaml").write_text("platform: linux\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["lint", "--policies", "p"])
    assert result.exit_code == 1
    assert "p/linux/policy.yaml:1: error: namespace linux lacks tags" in result.output


def test_github_annotation_escaping() -> None:
    d = Diagnostic(SourceLoc("a,b:c.yaml", 0), Severity.WARNING, "50%\nnext", "")
    assert github_annotation(d) == "::warning file=a%2Cb%3Ac.yaml::50%25%0Anext"


def test_failure_message_one_or_many() -> None:
    one = [Diagnostic(SourceLoc("f", 2), Severity.ERROR, "bad", "x")]
    assert str(failure(one, "nothing written")) == "f:2: bad; nothing written"
    two = [*one, Diagnostic(SourceLoc("g", 3), Severity.ERROR, "worse", "x")]
    err = failure(two, "nothing written")
    assert isinstance(err, CheckFailed)
    assert str(err).startswith("2 errors")


def test_build_command_in_process(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.commit()
    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["build", "--policies", str(repo.policies), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "built 1 namespace(s)" in result.output
    repo.write("linux/a/policy.yaml", BAD_QUERY)
    repo.write("linux/b/policy.yaml", BAD_QUERY)
    repo.commit("two bad")
    failed = CliRunner().invoke(cli, ["build", "--policies", str(repo.policies), "--out", str(out)])
    assert isinstance(failed.exception, CheckFailed)
    assert "2 errors" in str(failed.exception)


def test_public_url_strips_credentials() -> None:
    assert public_url("https://user:tok@github.com/o/r.git") == "https://github.com/o/r.git"
    assert public_url("git@github.com:o/r.git") == "git@github.com:o/r.git"


def test_remote_url_is_recorded_without_credentials(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.git.create_remote("origin", "https://bot:secret@git.example/policies.git")
    repo.commit()
    out = tmp_path / "d"
    assert run_trails("build", "--policies", str(repo.policies), "--out", str(out)).returncode == 0
    manifest = json.loads((out / "linux/manifest.json").read_text())
    assert manifest["source"]["repo"] == "https://git.example/policies.git"


def _ns(name: str, conf: dict[str, object], rules: str = "") -> CompiledNamespace:
    return CompiledNamespace(name, "linux", {}, json.dumps(conf).encode(), rules.encode())


def test_diff_model_and_text() -> None:
    deco = {"load": ["SELECT 'a' AS config_version;"]}
    old = [
        _ns(
            "linux",
            {
                "schedule": {
                    "a": {"query": "SELECT 1;", "interval": 60},
                    "b": {"query": "SELECT 2;"},
                    "m": {"query": "SELECT x\nFROM t\nWHERE y;"},
                },
                "options": {"x": 1},
                "decorators": deco,
            },
            "-w /a\n-w /b\n",
        ),
        _ns("gone", {}),
        _ns("same", {"decorators": deco}),
        _ns("paths", {"file_paths": {"etc": ["/etc/%%"]}}, "-w /a\n-w /b\n"),
    ]
    new = [
        _ns(
            "linux",
            {
                "schedule": {
                    "a": {"query": "SELECT 1 + 1;", "interval": 30},
                    "c": {"query": "SELECT 3;"},
                    "m": {"query": "SELECT x\nFROM t\nWHERE z;"},
                },
                "options": {"x": 2, "y": True},
                "decorators": deco,
                "packs": {"p": {"queries": {"q": {"query": "SELECT 4;"}}}},
            },
            "-w /a\n-w /c\n",
        ),
        _ns("fresh", {}),
        _ns("same", {"decorators": {"load": ["SELECT 'b' AS config_version;"]}}),
        _ns("paths", {"file_paths": {"etc": ["/etc/%"]}}, "-w /b\n-w /a\n"),
    ]
    diffs = diff_builds(old, new)
    assert [d.namespace for d in diffs] == ["fresh", "gone", "linux", "paths"]
    linux = diffs[2].as_dict()
    assert {k: v for k, v in linux["queries"].items() if k != "text"} == {
        "added": ["c", "pack:p:q"],
        "removed": ["b"],
        "changed": ["a", "m"],
    }
    assert linux["queries"]["text"]["a"] == {
        "old": {"query": "SELECT 1;", "interval": 60},
        "new": {"query": "SELECT 1 + 1;", "interval": 30},
    }
    assert linux["queries"]["text"]["b"] == {"old": {"query": "SELECT 2;"}, "new": None}
    assert linux["options"] == {"x": {"old": 1, "new": 2}, "y": {"old": None, "new": True}}
    assert linux["audit_rules"] == {"added": ["-w /c"], "removed": ["-w /b"]}
    text = render_text(diffs)
    assert (
        "linux (changed)\n"
        "  + query c\n      SELECT 3;\n"
        "  + query pack:p:q\n      SELECT 4;\n"
        "  - query b\n      SELECT 2;\n"
        "  ~ query a\n      - SELECT 1;\n      + SELECT 1 + 1;\n      interval: 60 -> 30\n"
        "  ~ query m\n      @@ -1,3 +1,3 @@\n       SELECT x\n       FROM t\n"
        "      -WHERE y;\n      +WHERE z;\n"
    ) in text
    assert "  ~ option x: 1 -> 2\n" in text
    assert "  + rule -w /c\n  - rule -w /b\n" in text
    # audit rules match first-hit: a reordering is a change, shown by rule
    assert "paths (changed)\n  + rule -w /b\n  - rule -w /b\n  ~ other settings: file_paths\n" in (
        text
    )
    assert "fresh (added)\n" in text
    assert render_text([]) == "no changes\n"


def test_diff_command_between_commits_and_against(
    repo: PolicyRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = repo.commit("one")
    text = (repo.policies / "linux/policy.yaml").read_text()
    repo.write(
        "linux/policy.yaml",
        text.replace("utc: true", "utc: false")
        .replace("-w /etc/passwd -p wa -k identity", "-w /etc/shadow -p wa -k identity")
        .replace("SELECT pid, name FROM processes;", "SELECT pid FROM processes;"),
    )
    repo.write("linux/web/policy.yaml", "tags: {project: w}\n")
    second = repo.commit("two")
    monkeypatch.chdir(repo.root)
    runner = CliRunner()
    result = runner.invoke(cli, ["diff", first, second, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["old"], doc["new"], doc["changed"]) == (first, second, True)
    by_ns = {d["namespace"]: d for d in doc["namespaces"]}
    assert by_ns["linux/web"]["status"] == "added"
    assert by_ns["linux"]["options"] == {"utc": {"old": True, "new": False}}
    assert by_ns["linux"]["audit_rules"] == {
        "added": ["-w /etc/shadow -p wa -k identity"],
        "removed": ["-w /etc/passwd -p wa -k identity"],
    }
    sql = by_ns["linux"]["queries"]["text"]["procs"]
    assert (sql["old"]["query"], sql["new"]["query"]) == (
        "SELECT pid, name FROM processes;",
        "SELECT pid FROM processes;",
    )
    text = runner.invoke(cli, ["diff", first, second]).output
    assert "  ~ query procs\n      - SELECT pid, name FROM processes;\n" in text
    assert "      + SELECT pid FROM processes;\n" in text
    assert "  + rule -w /etc/shadow -p wa -k identity\n" in text
    # one revision (or none: HEAD) is compared with the working tree, as git diff does
    assert runner.invoke(cli, ["diff", second]).output == "no changes\n"
    assert runner.invoke(cli, ["diff"]).output == "no changes\n"
    assert runner.invoke(cli, ["diff", "--against", second]).output == "no changes\n"
    one = runner.invoke(cli, ["diff", first])
    assert one.exit_code == 0
    assert "linux/web (added)" in one.output
    assert runner.invoke(cli, ["diff", "--against", first]).output == one.output
    assert runner.invoke(cli, ["diff", first, second, "--against", first]).exit_code == 2
    bad_ref = runner.invoke(cli, ["diff", "no-such-ref"])
    assert isinstance(bad_ref.exception, UsageError)
    assert "does not exist" in str(bad_ref.exception)


def test_diff_exit_code_like_git(repo: PolicyRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.commit("one")
    monkeypatch.chdir(repo.root)
    assert run_trails("diff", "HEAD", "--exit-code").returncode == 0
    repo.write("linux/web/policy.yaml", "tags: {project: w}\n")
    changed = run_trails("diff", "HEAD", "--exit-code")
    assert changed.returncode == 1, changed.stderr
    assert "linux/web (added)" in changed.stdout
    as_json = run_trails("diff", "HEAD", "--exit-code", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["changed"] is True
    assert run_trails("diff", "HEAD").returncode == 0  # without --exit-code: 0, as git


def test_diff_with_packs_outside_the_repository(
    repo: PolicyRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the shipped packs as committed, outside the test's repository
    export_revision(ROOT, "HEAD", [ROOT / "cis_pci_packs"], tmp_path / "shared")
    packs = tmp_path / "shared" / "cis_pci_packs"
    text = (repo.policies / "linux/policy.yaml").read_text()
    repo.write("linux/policy.yaml", text + INCLUDE_CIS)
    first = repo.commit("one")
    repo.write("linux/policy.yaml", text.replace("utc: true", "utc: false") + INCLUDE_CIS)
    repo.commit("two")
    monkeypatch.chdir(repo.root)
    result = run_trails("diff", first, "HEAD", "--packs", str(packs), "--exit-code")
    assert result.returncode == 1, result.stderr
    assert "is outside the repository" in result.stderr
    assert result.stdout == "linux (changed)\n  ~ option utc: true -> false\n", result.stderr
    worktree = run_trails("diff", "--packs", str(packs), "--exit-code")
    assert worktree.returncode == 0, worktree.stderr


def test_diff_refuses_a_revision_that_does_not_build(
    repo: PolicyRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("linux/bad/policy.yaml", BAD_QUERY)
    bad = repo.commit("bad")
    monkeypatch.chdir(repo.root)
    result = CliRunner().invoke(cli, ["diff", "--against", bad])
    assert isinstance(result.exception, CheckFailed)
    assert "does not build" in str(result.exception)


def test_unwritable_output_is_a_transport_error(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.commit()
    blocker = tmp_path / "dist"
    blocker.write_text("a file where the output directory should be")
    usage = run_trails("build", "--policies", str(repo.policies), "--out", str(blocker))
    assert usage.returncode == 2  # click refuses an existing file as --out
    result = run_trails("build", "--policies", str(repo.policies), "--out", str(blocker / "x"))
    assert result.returncode == 4
    assert result.stderr.startswith("trails: error: cannot create output directory")
    assert blocker.read_text().startswith("a file")


def test_write_failure_leaves_no_partial_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    (out / "a").mkdir(parents=True)
    (out / "a/osquery.conf").write_text("old")
    real_write_temp = fileio.write_temp
    calls: list[Path] = []

    def failing_write_temp(target: Path, data: bytes, mode: int = 0o644, *, hint: str = "") -> Path:
        calls.append(target)
        if len(calls) == 3:  # the disk fills up while staging the third file
            raise fileio.io_error("write", target, OSError(28, "No space left on device"), hint)
        return real_write_temp(target, data, mode, hint=hint)

    monkeypatch.setattr(writer, "write_temp", failing_write_temp)
    with pytest.raises(TransportError, match="No space left on device"):
        write_outputs(out, {"a": {"osquery.conf": b"new", "x.rules": b"r"}, "b": {"f": b"x"}})
    assert not list(out.rglob(".trails-tmp-*"))
    assert (out / "a/osquery.conf").read_text() == "old"  # nothing was moved into place
    assert not (out / "a/x.rules").exists()
