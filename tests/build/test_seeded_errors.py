"""A repository seeded with one instance of each error: each is reported at its file:line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.build.conftest import PolicyRepo, run_trails
from trails.cli import cli

OK_HEAD = """\
platform: linux
tags: {org: o, owner: w, owner_group: g, project: p}
"""


def _ns(repo: PolicyRepo, ns: str, body: str, head: str = OK_HEAD) -> None:
    repo.write(f"{ns}/policy.yaml", head + body)


def seed(repo: PolicyRepo) -> None:
    _ns(repo, "yaml", "osquery:\n  options: {a: [1\n")  # line 3: unclosed flow
    _ns(repo, "schema", "osquery:\n  schedul: {}\n")  # line 4: unknown key
    _ns(repo, "undef", "osquery:\n  options:\n    x: '{{ nope }}'\n")  # line 5
    _ns(repo, "sandbox", "osquery:\n  options:\n    x: \"{{ ''.__class__.__mro__ }}\"\n")
    _ns(repo, "syntax", "osquery:\n  schedule:\n    q:\n      query: SELEC 1\n      interval: 60\n")
    _ns(
        repo,
        "table",
        "osquery:\n  schedule:\n    q:\n      query: SELECT * FROM nope\n      interval: 60\n",
    )
    _ns(
        repo,
        "column",
        "osquery:\n  schedule:\n    q:\n      query: SELECT nope FROM users\n      interval: 60\n",
    )
    _ns(
        repo,
        "required",
        "osquery:\n  schedule:\n    q:\n      query: SELECT * FROM file\n      interval: 60\n",
    )
    _ns(
        repo,
        "platform",
        "osquery:\n  schedule:\n    q:\n      query: SELECT * FROM registry\n      interval: 60\n",
    )
    _ns(
        repo,
        "interval",
        "osquery:\n  schedule:\n    q:\n      query: SELECT 1\n      interval: 700000\n",
    )
    _ns(
        repo,
        "shard",
        "osquery:\n  schedule:\n    q:\n      query: SELECT 1\n      interval: 60\n"
        "      shard: 101\n",
    )
    _ns(
        repo,
        "auditbad",
        "audit:\n  rules:\n    - -w /etc/passwd -p wa -k ok\n"
        "    - -a always,exit -S not_a_syscall -k x\n",
    )  # line 6
    _ns(
        repo,
        "dup",
        "osquery:\n  schedule:\n    q:\n      query: SELECT 1\n      interval: 60\n"
        "audit:\n  rules:\n    - -w /etc/hosts -p wa -k h\n",
    )
    _ns(
        repo,
        "dup/child",
        "osquery:\n  schedule:\n    q:\n      query: SELECT 2\n      interval: 60\n"
        "audit:\n  rules:\n    - -w /etc/hosts -p r -k h\n",
        head="",
    )
    _ns(repo, "a/b/c/d/e/f/g/h/i", "")  # 9 levels
    _ns(repo, "Bad_Name", "")
    _ns(repo, "notags", "", head="platform: linux\n")
    (repo.policies / "big").mkdir()
    with (repo.policies / "big/policy.yaml").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # a 50 MB file (sparse)
    (repo.policies / "junk").mkdir()
    (repo.policies / "junk/policy.yaml").write_bytes(b"osquery:\n  \x00\x01\xfe\xff binary")
    (repo.policies / "latin1").mkdir()
    (repo.policies / "latin1/policy.yaml").write_bytes(b"# ok\ndescription: caf\xe9\n")
    _ns(repo, "pack", "include:\n  - pack: no_such_pack\n")


EXPECTED = {
    ("policies/yaml/policy.yaml", 4, "policy.parse"),
    ("policies/schema/policy.yaml", 4, "policy.schema"),
    ("policies/undef/policy.yaml", 5, "policy.template"),
    ("policies/sandbox/policy.yaml", 5, "policy.template"),
    ("policies/syntax/policy.yaml", 6, "sql.syntax"),
    ("policies/table/policy.yaml", 6, "sql.unknown-table"),
    ("policies/column/policy.yaml", 6, "sql.unknown-column"),
    ("policies/required/policy.yaml", 6, "sql.required-column"),
    ("policies/platform/policy.yaml", 6, "sql.platform"),
    ("policies/interval/policy.yaml", 6, "query.interval"),
    ("policies/shard/policy.yaml", 6, "query.shard"),
    ("policies/auditbad/policy.yaml", 6, "audit.syscall"),
    ("policies/dup/child/policy.yaml", 4, "merge.redefined"),
    ("policies/dup/child/policy.yaml", 8, "merge.redefined"),
    ("policies/a/b/c/d/e/f/g/h/i/policy.yaml", 1, "policy.namespace"),
    ("policies/Bad_Name/policy.yaml", 1, "policy.namespace"),
    ("policies/notags/policy.yaml", 1, "policy.tags"),
    ("policies/big/policy.yaml", 1, "policy.parse"),
    ("policies/junk/policy.yaml", 2, "policy.parse"),
    ("policies/latin1/policy.yaml", 2, "policy.parse"),
    ("policies/pack/policy.yaml", 4, "include.pack"),
}


def test_each_seeded_error_is_reported_at_its_file_and_line(repo: PolicyRepo) -> None:
    seed(repo)
    repo.commit()
    result = CliRunner().invoke(cli, ["lint", "--policies", str(repo.policies), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    errors = {
        (d["path"], d["line"], d["code"]) for d in report["diagnostics"] if d["severity"] == "error"
    }
    missing = EXPECTED - errors
    assert not missing, f"not reported: {sorted(missing)}\ngot: {sorted(errors)}"
    # every error is one of the seeded ones (nothing spurious), and the good namespace built
    assert {(p, c) for p, _, c in errors} == {(p, c) for p, _, c in EXPECTED}
    assert "linux" in report["namespaces"]
    messages = {d["code"]: d["message"] for d in report["diagnostics"]}
    redefined = " ".join(
        d["message"] for d in report["diagnostics"] if d["code"] == "merge.redefined"
    )
    # both files and lines: the child's line is the diagnostic's, the parent's in the message
    assert "query q redefines the one inherited from policies/dup/policy.yaml:6" in redefined
    assert "audit rule redefines the one inherited from policies/dup/policy.yaml:10" in redefined
    assert (
        "'nope' is undefined" in messages["policy.template"]
        or "unsafe" in messages["policy.template"]
    )
    assert "larger than" in next(
        d["message"] for d in report["diagnostics"] if d["path"] == "policies/big/policy.yaml"
    )


def test_build_with_errors_writes_nothing_and_names_file_and_line(
    repo: PolicyRepo, tmp_path: Path
) -> None:
    _ns(
        repo,
        "linux/bad",
        "osquery:\n  schedule:\n    q:\n      query: SELECT * FROM nope\n      interval: 60\n",
        head="",
    )
    repo.commit()
    out = tmp_path / "dist"
    result = run_trails("build", "--policies", str(repo.policies), "--out", str(out))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "trails: error: policies/linux/bad/policy.yaml:4: query q: unknown osquery table: "
        "nope; nothing was written"
    )
    assert not out.exists() or not any(out.rglob("*.conf"))
