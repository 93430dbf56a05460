"""Inheritance and merge rules (docs/design.md §3), through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.build.conftest import PolicyRepo
from trails.build.pipeline import CompileResult, compile_repository
from trails.errors import SourceLoc
from trails.models.fragment import AuditRuleSource, Fragment, ScheduledQuery
from trails.osquery.schema import load_schema

SCHEMA = load_schema()


def compile_(repo: PolicyRepo, **kw: Any) -> CompileResult:
    return compile_repository(
        repo.policies, schema=SCHEMA, packs_dir=repo.packs, display_base=repo.root, **kw
    )


def conf(result: CompileResult, ns: str) -> dict[str, Any]:
    found = {c.namespace: c for c in result.namespaces}
    conf: dict[str, Any] = json.loads(found[ns].osquery_conf)
    return conf


def errors(result: CompileResult) -> list[str]:
    return [str(d) for d in result.diagnostics if d.severity == "error"]


def test_leaf_wins_for_scalars_options_and_variables(repo: PolicyRepo) -> None:
    repo.write(
        "linux/pci/policy.yaml",
        """\
        tags: {owner: pci-team}
        variables: {hourly: 900}
        osquery:
          options: {utc: false, logger_plugin: tls}
        """,
    )
    result = compile_(repo)
    assert errors(result) == []
    pci, linux = conf(result, "linux/pci"), conf(result, "linux")
    assert pci["options"] == {"utc": False, "logger_plugin": "tls"}
    assert linux["options"] == {"utc": True}
    # the ancestor's query is rendered with the leaf's variables
    assert pci["schedule"]["procs"]["interval"] == 900
    assert linux["schedule"]["procs"]["interval"] == 3600
    assert "'pci-team' AS owner" in pci["decorators"]["load"][2]


def test_redefining_a_query_needs_override(repo: PolicyRepo) -> None:
    repo.write(
        "linux/a/policy.yaml",
        """\
        osquery:
          schedule:
            procs:
              query: SELECT pid FROM processes;
              interval: 60
        """,
    )
    repo.write(
        "linux/b/policy.yaml",
        """\
        osquery:
          schedule:
            procs:
              override: true
              query: SELECT pid FROM processes;
              interval: 60
            fresh:
              override: true
              query: SELECT 1;
              interval: 60
        """,
    )
    result = compile_(repo)
    assert errors(result) == [
        "policies/linux/a/policy.yaml:4: error: query procs redefines the one inherited from "
        "policies/linux/policy.yaml:10; add `override: true` to replace it or rename it"
    ]
    b = conf(result, "linux/b")
    assert b["schedule"]["procs"] == {"query": "SELECT pid FROM processes;", "interval": 60}
    warnings = [str(d) for d in result.diagnostics if d.severity == "warning"]
    assert any("fresh has override: true but overrides nothing" in w for w in warnings)


def test_audit_rule_override_replaces_inherited_rule(repo: PolicyRepo) -> None:
    repo.write(
        "linux/a/policy.yaml",
        """\
        audit:
          rules:
            - {rule: "-w /etc/passwd -p rwa -k identity", override: true}
            - -w /etc/group -p wa -k identity
        """,
    )
    result = compile_(repo)
    assert errors(result) == []
    rules = {c.namespace: c.audit_rules.decode() for c in result.namespaces}
    assert (
        rules["linux/a"] == "-w /etc/passwd -p rwa -k identity\n-w /etc/group -p wa -k identity\n"
    )


def test_audit_rule_repeated_in_one_file(repo: PolicyRepo) -> None:
    repo.write(
        "linux/a/policy.yaml",
        """\
        audit:
          rules:
            - -w /etc/group -p wa -k g
            - -w /etc/group -p r -k g
        """,
    )
    assert errors(compile_(repo)) == [
        "policies/linux/a/policy.yaml:4: error: audit rule repeats the one on line 3"
    ]


def test_rule_files_relative_and_confined(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.write("linux/a/rules/x.rules", "# comment\n\n-w /etc/hosts -p wa -k hosts\n")
    repo.write("linux/a/policy.yaml", "audit:\n  files: [rules/x.rules]\n")
    repo.write("linux/b/policy.yaml", "audit:\n  files: [../../../outside.rules]\n")
    repo.write("linux/c/policy.yaml", "audit:\n  files: [missing.rules]\n")
    (repo.root / "outside.rules").write_text("-w /etc -p wa\n")
    result = compile_(repo)
    rules = {c.namespace: c.audit_rules.decode() for c in result.namespaces}
    assert rules["linux/a"].endswith("-w /etc/hosts -p wa -k hosts\n")
    assert errors(result) == [
        "policies/linux/b/policy.yaml:2: error: audit rule file ../../../outside.rules is outside "
        "the policies directory",
        "policies/linux/c/policy.yaml:2: error: audit rule file missing.rules: cannot read: "
        "No such file or directory",
    ]


def test_bad_audit_rule_in_rule_file_names_its_line(repo: PolicyRepo) -> None:
    repo.write("linux/a/x.rules", "-w /etc/hosts -p wa -k hosts\n-a never,nope\n")
    repo.write("linux/a/policy.yaml", "audit:\n  files: [x.rules]\n")
    found = [d for d in compile_(repo).diagnostics if d.severity == "error"]
    assert [(d.loc.path, d.loc.line) for d in found] == [("policies/linux/a/x.rules", 2)]


def test_inline_packs_decorators_and_views(repo: PolicyRepo) -> None:
    repo.write(
        "linux/a/policy.yaml",
        """\
        osquery:
          packs:
            ir:
              platform: linux
              shard: 50
              discovery: [SELECT 1 FROM processes WHERE name = 'sshd';]
              queries:
                users: {query: SELECT * FROM users;, interval: 60}
          decorators:
            load: [SELECT 1 AS one;]
            always: [SELECT 2 AS two;]
            interval:
              "3600": [SELECT 3 AS three;]
          views:
            my_users: SELECT uid, username FROM users;
          file_paths: {etc: [/etc/%%]}
          exclude_paths: {etc: [/etc/x]}
          file_accesses: [etc, etc]
          events: {disable_subscribers: [user_events]}
          auto_table_construction:
            extra: {query: SELECT 1;, path: /tmp/x.db, columns: [a]}
          schedule:
            from_view: {query: SELECT username FROM my_users;, interval: 60}
        """,
    )
    result = compile_(repo)
    assert errors(result) == []
    a = conf(result, "linux/a")
    assert a["packs"]["ir"]["queries"]["users"] == {"query": "SELECT * FROM users;", "interval": 60}
    assert a["packs"]["ir"]["shard"] == 50
    assert a["decorators"]["load"][-1] == "SELECT 1 AS one;"
    assert a["decorators"]["always"] == ["SELECT 2 AS two;"]
    assert a["decorators"]["interval"] == {"3600": ["SELECT 3 AS three;"]}
    assert a["views"] == {"my_users": "SELECT uid, username FROM users;"}
    assert a["file_accesses"] == ["etc"]
    assert set(a["auto_table_construction"]) == {"extra", "trails_status", "trails_audit_rules"}
    assert a["events"] == {"disable_subscribers": ["user_events"]}


def test_sql_in_every_place_is_checked(repo: PolicyRepo) -> None:
    repo.write(
        "linux/a/policy.yaml",
        """\
        osquery:
          packs:
            ir:
              shard: 0
              discovery: [SELECT * FROM nope1;]
              queries:
                q: {query: SELECT * FROM nope2;, interval: 0}
          decorators:
            load: [SELECT * FROM nope3;]
          views:
            v: SELECT * FROM nope4;
          auto_table_construction:
            trails_status: {query: SELECT 1;, path: /tmp/x.db, columns: [a]}
        """,
    )
    found = errors(compile_(repo))
    assert len(found) == 7, found
    text = "\n".join(found)
    for needle in (
        "nope1",
        "nope2",
        "nope3",
        "nope4",
        "interval 0",
        "shard must be",
        "trails_status is reserved",
    ):
        assert needle in text


def test_reserved_names_and_bad_numbers(repo: PolicyRepo) -> None:
    repo.write(
        "linux/a/policy.yaml",
        """\
        osquery:
          schedule:
            trails.mine: {query: SELECT 1;, interval: 60}
            audit_helper_trails.control.cis-1.1: {query: SELECT 1;, interval: 60}
            text_interval: {query: SELECT 1;, interval: soon}
            text_shard: {query: SELECT 1;, interval: 60, shard: half}
          packs:
            mine_trails.control.x: {queries: {q: {query: SELECT 1;, interval: 60}}}
        """,
    )
    found = errors(compile_(repo))
    assert any("reserved for compiled controls: trails.mine" in e for e in found)
    # a look-alike would be read by the report as that control's result (issue 12 item 8)
    assert any("compiled controls: audit_helper_trails.control.cis-1.1" in e for e in found)
    assert any("pack names containing 'trails.' are reserved" in e for e in found)
    assert any("interval must be an integer" in e for e in found)
    assert any("shard must be an integer" in e for e in found)


def test_platform_comes_from_ancestor_and_is_required(repo: PolicyRepo) -> None:
    repo.write("darwin/policy.yaml", "tags: {org: o, owner: o, owner_group: g, project: p}\n")
    found = errors(compile_(repo))
    assert found == [
        "policies/darwin/policy.yaml:1: error: namespace darwin has no platform; set "
        "`platform: linux` here or in an ancestor (its queries and rules are not checked "
        "until it has one)"
    ]


def test_broken_ancestor_is_named_by_descendants(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", "platform: [linux\n")
    repo.write("linux/a/policy.yaml", "tags: {project: a}\n")
    found = errors(compile_(repo))
    assert (
        "policies/linux/a/policy.yaml:1: error: inherits from linux, whose policy file "
        "has errors" in found
    )
    assert any(e.startswith("policies/linux/policy.yaml:1: error: malformed YAML") for e in found)


def test_root_policy_file_is_an_error(repo: PolicyRepo) -> None:
    repo.write("policy.yaml", "platform: linux\n")
    assert any("belongs in a namespace directory" in e for e in errors(compile_(repo)))


def test_empty_policy_file_inherits_everything(repo: PolicyRepo) -> None:
    repo.write("linux/empty/policy.yaml", "")
    result = compile_(repo)
    assert errors(result) == []
    assert conf(result, "linux/empty")["schedule"]["procs"]["interval"] == 3600


def _fake_include(calls: list[tuple[str, dict[str, Any], str]]) -> Any:
    def include(ref: str, params: Any, packs_dir: Path, *, platform: str) -> Fragment:
        calls.append((ref, dict(params), platform))
        loc = packs_dir / ref / "controls.yaml"
        return Fragment(
            origin=f"pack {ref}",
            queries=(
                ScheduledQuery(
                    name=f"trails.control.{ref}-1",
                    query="SELECT 1;",
                    interval=3600,
                    loc=_loc(loc, 3),
                    snapshot=True,
                ),
            ),
            audit_rules=(
                AuditRuleSource("-w /etc/passwd -p wa -k identity", _loc(loc, 9)),
                AuditRuleSource("-w /etc/shadow -p wa -k identity", _loc(loc, 10)),
            ),
        )

    return include


def _loc(path: Path, line: int) -> SourceLoc:
    return SourceLoc(str(path), line)


def test_pack_includes_are_merged_and_cached(
    repo: PolicyRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any], str]] = []
    monkeypatch.setattr("trails.packs.include", _fake_include(calls))
    repo.write(
        "linux/policy.yaml",
        (repo.policies / "linux/policy.yaml").read_text()
        + "include:\n  - {pack: tiny, level: 1}\n",
    )
    repo.write("linux/a/policy.yaml", "include:\n  - {pack: tiny, level: 2}\n")
    repo.write("linux/b/policy.yaml", "include:\n  - {pack: tiny, level: 2, override: true}\n")
    repo.write("linux/c/policy.yaml", "tags: {project: c}\n")
    result = compile_(repo)
    assert errors(result) == [
        "policies/linux/a/policy.yaml:2: error: include of pack tiny redefines the one "
        "inherited from policies/linux/policy.yaml:16; add `override: true` to replace it or "
        "rename it"
    ]
    b = conf(result, "linux/b")
    assert "trails.control.tiny-1" in b["schedule"]
    rules = {c.namespace: c.audit_rules.decode() for c in result.namespaces}
    # the pack's copy of a rule the policy already has is not added twice
    assert rules["linux/c"].count("/etc/passwd") == 1
    assert "-w /etc/shadow" in rules["linux/c"]
    # linux and linux/c share one include: compiled once; linux/b has its own parameters
    assert sorted(calls, key=str) == [
        ("tiny", {"arch": "x86_64", "level": 1}, "linux"),
        ("tiny", {"arch": "x86_64", "level": 2}, "linux"),
    ]


def test_two_includes_defining_the_same_query_clash(
    repo: PolicyRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def include(ref: str, params: Any, packs_dir: Path, *, platform: str) -> Fragment:
        q = ScheduledQuery(
            name="trails.control.shared",
            query="SELECT 1;",
            interval=60,
            loc=SourceLoc(f"packs/{ref}.yaml", 7),
        )
        return Fragment(origin=ref, queries=(q,))

    monkeypatch.setattr("trails.packs.include", include)
    repo.write(
        "linux/policy.yaml",
        (repo.policies / "linux/policy.yaml").read_text()
        + "include:\n  - {pack: one}\n  - {pack: two}\n",
    )
    assert errors(compile_(repo)) == [
        "policies/linux/policy.yaml:17: error: include two: query trails.control.shared "
        "(packs/two.yaml:7) clashes with packs/one.yaml:7"
    ]


def test_real_pack_errors_name_the_include(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml",
        (repo.policies / "linux/policy.yaml").read_text() + "include:\n  - {pack: missing_pack}\n",
    )
    found = errors(compile_(repo))
    assert len(found) == 1
    assert found[0].startswith("policies/linux/policy.yaml:16: error: include missing_pack:")


def test_symlinked_directories_are_not_followed(repo: PolicyRepo) -> None:
    (repo.policies / "linux/loop").symlink_to(repo.policies / "linux", target_is_directory=True)
    (repo.policies / "linux/alias").symlink_to(repo.policies / "linux", target_is_directory=True)
    result = compile_(repo)
    assert errors(result) == []
    assert [c.namespace for c in result.namespaces] == ["linux"]


def test_only_chosen_namespaces_are_compiled(repo: PolicyRepo) -> None:
    repo.write("linux/a/policy.yaml", "tags: {project: a}\n")
    repo.write("linux/b/policy.yaml", "tags: {project: b}\n")
    result = compile_(repo, namespaces=["linux/b", "linux/b"])
    assert [c.namespace for c in result.namespaces] == ["linux/b"]


def test_query_platform_filter(repo: PolicyRepo) -> None:
    repo.write(
        "linux/a/policy.yaml",
        """\
        osquery:
          schedule:
            mac_only: {query: SELECT * FROM nope;, interval: 60, platform: darwin}
            posix: {query: SELECT * FROM registry;, interval: 60, platform: "posix"}
            listed: {query: SELECT pid FROM processes;, interval: 60, platform: "darwin,linux"}
        """,
    )
    result = compile_(repo)
    assert errors(result) == [
        "policies/linux/a/policy.yaml:4: error: query posix: table registry is not available "
        "on linux (only windows)"
    ]
    warnings = [str(d) for d in result.diagnostics if d.severity == "warning"]
    assert warnings == [
        "policies/linux/a/policy.yaml:3: warning: query mac_only: platform 'darwin' never runs "
        "on this namespace's linux hosts"
    ]
