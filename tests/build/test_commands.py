"""The lint, build and diff commands in-process (CliRunner), and the diff model."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.build.conftest import PolicyRepo, run_trails
from trails.build.diagnostics import failure, github_annotation
from trails.build.diff import diff_builds, render_text
from trails.build.pipeline import CompiledNamespace
from trails.build.version import public_url
from trails.build.writer import write_outputs
from trails.cli import cli
from trails.errors import CheckFailed, SourceLoc, TransportError
from trails.models.diagnostic import Diagnostic, Severity

BAD_QUERY = "osquery:\n  schedule:\n    q: {query: 'SELECT * FROM nope', interval: 60}\n"


def test_lint_text_json_and_github(repo: PolicyRepo) -> None:
    repo.write("linux/bad/policy.yaml", BAD_QUERY)
    runner = CliRunner()
    args = ["lint", "--policies", str(repo.policies)]
    text = runner.invoke(cli, args)
    assert text.exit_code == 1
    line = "policies/linux/bad/policy.yaml:3: error: query q: unknown osquery table: nope"
    assert line in text.output
    as_json = runner.invoke(cli, [*args, "--format", "json"])
    doc = json.loads(as_json.output)
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
                "schedule": {"a": {"query": "1"}, "b": {"query": "2"}},
                "options": {"x": 1},
                "decorators": deco,
            },
            "-w /a\n-w /b\n",
        ),
        _ns("gone", {}),
        _ns("same", {"decorators": deco}),
    ]
    new = [
        _ns(
            "linux",
            {
                "schedule": {"a": {"query": "1b"}, "c": {"query": "3"}},
                "options": {"x": 2, "y": True},
                "decorators": deco,
                "packs": {"p": {"queries": {"q": {"query": "4"}}}},
            },
            "-w /a\n-w /c\n",
        ),
        _ns("fresh", {}),
        _ns("same", {"decorators": {"load": ["SELECT 'b' AS config_version;"]}}),
    ]
    diffs = diff_builds(old, new)
    assert [d.namespace for d in diffs] == ["fresh", "gone", "linux"]
    linux = diffs[2].as_dict()
    assert linux["queries"] == {"added": ["c", "pack:p:q"], "removed": ["b"], "changed": ["a"]}
    assert linux["options"] == {"x": {"old": 1, "new": 2}, "y": {"old": None, "new": True}}
    assert linux["audit_rules"] == {"added": ["-w /c"], "removed": ["-w /b"]}
    text = render_text(diffs)
    assert "linux (changed)\n  + query c\n  + query pack:p:q\n  - query b\n  ~ query a\n" in text
    assert "  ~ option x: 1 -> 2\n" in text
    assert "  + rule -w /c\n  - rule -w /b\n" in text
    assert "fresh (added)\n  ~ other settings" in text
    assert render_text([]) == "no changes\n"


def test_diff_command_between_commits_and_against(
    repo: PolicyRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = repo.commit("one")
    text = (repo.policies / "linux/policy.yaml").read_text()
    repo.write(
        "linux/policy.yaml",
        text.replace("utc: true", "utc: false").replace(
            "-w /etc/passwd -p wa -k identity", "-w /etc/shadow -p wa -k identity"
        ),
    )
    repo.write("linux/web/policy.yaml", "tags: {project: w}\n")
    second = repo.commit("two")
    monkeypatch.chdir(repo.root)
    runner = CliRunner()
    result = runner.invoke(cli, ["diff", first, second, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    by_ns = {d["namespace"]: d for d in doc["namespaces"]}
    assert by_ns["linux/web"]["status"] == "added"
    assert by_ns["linux"]["options"] == {"utc": {"old": True, "new": False}}
    assert by_ns["linux"]["audit_rules"] == {
        "added": ["-w /etc/shadow -p wa -k identity"],
        "removed": ["-w /etc/passwd -p wa -k identity"],
    }
    # working tree vs HEAD: no changes; vs the first commit: the same as above
    assert runner.invoke(cli, ["diff", "--against", second]).output == "no changes\n"
    against = runner.invoke(cli, ["diff", "--against", first])
    assert "linux/web (added)" in against.output
    assert runner.invoke(cli, ["diff", first]).exit_code == 2
    assert runner.invoke(cli, ["diff", first, second, "--against", first]).exit_code == 2
    bad_ref = runner.invoke(cli, ["diff", "--against", "no-such-ref"])
    assert "does not exist" in str(bad_ref.exception)


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
    real_mkstemp = tempfile.mkstemp
    calls: list[object] = []

    def failing_mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        calls.append(kwargs)
        if len(calls) == 3:  # the disk fills up while staging the third file
            raise OSError(28, "No space left on device", str(kwargs.get("dir")))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", failing_mkstemp)
    with pytest.raises(TransportError, match="No space left on device"):
        write_outputs(out, {"a": {"osquery.conf": b"new", "x.rules": b"r"}, "b": {"f": b"x"}})
    assert not list(out.rglob("*.tmp"))
    assert (out / "a/osquery.conf").read_text() == "old"  # nothing was moved into place
    assert not (out / "a/x.rules").exists()
