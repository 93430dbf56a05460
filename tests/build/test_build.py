from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.build.conftest import PolicyRepo, run_trails
from trails.build.release import build_release
from trails.errors import UsageError
from trails.formats.manifest import parse_manifest
from trails.osquery.schema import load_schema
from trails.osquery.sqlcheck import check_query

SCHEMA = load_schema()


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_example_policies_build_reproducibly(
    example_repo: Callable[[], PolicyRepo], tmp_path: Path
) -> None:
    repo = example_repo()
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        result = run_trails("build", "--policies", str(repo.policies), "--out", str(out))
        assert result.returncode == 0, result.stderr
    a, b = _files(first), _files(second)
    assert a == b  # byte-identical for the same commit
    for ns in ("linux", "linux/pci", "linux/web"):
        assert {f"{ns}/osquery.conf", f"{ns}/audit.rules", f"{ns}/manifest.json"} <= set(a)
    # building again into the same directory changes nothing either
    assert (
        run_trails("build", "--policies", str(repo.policies), "--out", str(first)).returncode == 0
    )
    assert _files(first) == a


def test_manifest_versions_and_hashes(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.write("linux/web/policy.yaml", "tags: {project: web}\n")
    sha = repo.commit(when="2026-03-04T05:06:07")
    result = build_release(repo.policies, tmp_path / "dist", schema=SCHEMA, packs_dir=repo.packs)
    assert result.compiled.ok
    out = tmp_path / "dist/linux/web"
    manifest = parse_manifest((out / "manifest.json").read_bytes(), require_expires=False)
    assert manifest.version == 20260304050607
    assert manifest.config_version == f"20260304050607-{sha[:7]}"
    assert manifest.source_commit == sha
    assert manifest.created.isoformat() == "2026-03-04T05:06:07+00:00"
    assert manifest.tags == {
        "org": "Example",
        "owner": "secops",
        "owner_group": "sec",
        "project": "web",
    }
    for name in ("osquery.conf", "audit.rules"):
        data = (out / name).read_bytes()
        assert manifest.files[name].sha256 == hashlib.sha256(data).hexdigest()
        assert manifest.files[name].size == len(data)
        assert (out / name).stat().st_mode & 0o777 == 0o644  # a file server must read it
    conf = json.loads((out / "osquery.conf").read_text())
    assert conf["schedule"]["procs"]["interval"] == 3600  # rendered from a Jinja variable
    load = conf["decorators"]["load"]
    assert "SELECT uuid AS host_uuid FROM system_info;" in load
    assert f"'20260304050607-{sha[:7]}' AS config_version" in load[2]
    assert "'linux/web' AS namespace" in load[2]
    assert set(conf["auto_table_construction"]) == {"trails_status", "trails_audit_rules"}
    assert {"trails.schedule_stats", "trails.integrity"} <= set(conf["schedule"])
    for name in ("trails.schedule_stats", "trails.integrity"):
        assert check_query(conf["schedule"][name]["query"], SCHEMA, platform="linux") == []
        assert conf["schedule"][name]["snapshot"] is True
    assert (out / "audit.rules").read_text() == "-w /etc/passwd -p wa -k identity\n"


def test_tag_values_are_sql_quoted(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.write("linux/x/policy.yaml", 'tags: {owner: "o\'brien; DROP TABLE users; --"}\n')
    repo.commit()
    result = build_release(repo.policies, tmp_path / "d", schema=SCHEMA, packs_dir=repo.packs)
    conf = json.loads((tmp_path / "d/linux/x/osquery.conf").read_text())
    tag_sql = conf["decorators"]["load"][2]
    assert "'o''brien; DROP TABLE users; --' AS owner" in tag_sql
    assert check_query(tag_sql, SCHEMA, platform="linux") == []
    assert result.compiled.ok


def test_dirty_tree_is_refused_unless_allowed(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.commit()
    repo.write("linux/policy.yaml", (repo.policies / "linux/policy.yaml").read_text() + "\n# x\n")
    out = tmp_path / "dist"
    refused = run_trails("build", "--policies", str(repo.policies), "--out", str(out))
    assert refused.returncode == 2
    assert "uncommitted changes" in refused.stderr
    assert not out.exists()
    allowed = run_trails(
        "build", "--policies", str(repo.policies), "--out", str(out), "--allow-dirty"
    )
    assert allowed.returncode == 0, allowed.stderr
    assert "dirty tree" in allowed.stderr
    assert (out / "linux/osquery.conf").exists()


def test_untracked_policy_file_makes_the_tree_dirty(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.commit()
    repo.write("linux/new/policy.yaml", "tags: {project: n}\n")
    with pytest.raises(UsageError, match="uncommitted"):
        build_release(repo.policies, tmp_path / "d", schema=SCHEMA, packs_dir=repo.packs)


def test_policies_outside_git_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "p/linux").mkdir(parents=True)
    result = run_trails("build", "--policies", str(tmp_path / "p"), "--out", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr
    missing = run_trails("build", "--policies", str(tmp_path / "nope"))
    assert missing.returncode == 2


def test_namespace_subset_and_unknown_namespace(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.write("linux/web/policy.yaml", "tags: {project: web}\n")
    repo.write("linux/db/policy.yaml", "tags: {project: db}\n")
    repo.commit()
    out = tmp_path / "dist"
    ok = run_trails(
        "build", "--policies", str(repo.policies), "--out", str(out), "--namespace", "linux/web"
    )
    assert ok.returncode == 0, ok.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.conf")) == [
        "linux/web/osquery.conf"
    ]
    bad = run_trails("build", "--policies", str(repo.policies), "--namespace", "linux/nope")
    assert bad.returncode == 2
    assert "no namespace 'linux/nope'" in bad.stderr


def test_failed_build_keeps_the_previous_output(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.commit()
    out = tmp_path / "dist"
    assert run_trails("build", "--policies", str(repo.policies), "--out", str(out)).returncode == 0
    before = _files(out)
    repo.write(
        "linux/policy.yaml",
        (repo.policies / "linux/policy.yaml")
        .read_text()
        .replace("FROM processes", "FROM processez"),
    )
    repo.commit("break it")
    failed = run_trails("build", "--policies", str(repo.policies), "--out", str(out))
    assert failed.returncode == 1
    assert _files(out) == before
    assert not list(out.rglob(".trails-tmp-*"))


def test_progress_bar_for_many_namespaces(repo: PolicyRepo, tmp_path: Path) -> None:
    for i in range(25):
        repo.write(f"linux/n{i:02d}/policy.yaml", f"tags: {{project: p{i}}}\n")
    repo.commit()
    result = run_trails(
        "build", "--policies", str(repo.policies), "--out", str(tmp_path / "d"), "--json"
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert len(summary["namespaces"]) == 26
    assert "building namespaces" in result.stderr


def test_other_osquery_schema_file(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.commit()
    tiny = tmp_path / "schema.json"
    tiny.write_text(
        json.dumps(
            [
                {
                    "name": "processes",
                    "platforms": ["linux"],
                    "columns": [{"name": "pid", "type": "bigint"}],
                }
            ]
        )
    )
    result = run_trails("lint", "--policies", str(repo.policies), "--osquery-schema", str(tiny))
    assert result.returncode == 1
    assert "unknown column: name" in result.stdout
