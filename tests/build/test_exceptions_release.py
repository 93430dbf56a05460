"""Issue 15 item 3: exceptions.json in a namespace's release, and in `trails diff`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.build.conftest import PolicyRepo, run_trails
from tests.build.test_exceptions_lint import CONTROL, HEAD, INCLUDE, PACKS, entry, exceptions
from trails.build.diff import diff_builds, render_text
from trails.build.pipeline import CompiledNamespace
from trails.build.release import build_release
from trails.cli import cli
from trails.formats.exceptions import ControlException, exceptions_bytes, parse_exceptions
from trails.formats.manifest import parse_manifest, parse_time
from trails.osquery.schema import load_schema

_EXC = ControlException(
    id="EXC-1",
    control=CONTROL,
    justification="why",
    approved_by="Jane",
    expires=parse_time("2027-04-01T00:00:00Z"),
    source="policies/linux/policy.yaml:9",
)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _build(repo: PolicyRepo, out: Path) -> dict[str, bytes]:
    result = build_release(repo.policies, out, schema=load_schema(), packs_dir=PACKS)
    assert result.compiled.ok, result.compiled.diagnostics
    return _tree(out)


def test_release_lists_exceptions_json_only_where_one_applies(
    repo: PolicyRepo, tmp_path: Path
) -> None:
    repo.write("linux/policy.yaml", HEAD + INCLUDE)
    repo.write(
        "linux/pci/policy.yaml", exceptions(entry(), entry(id="OLD-1", expires="2020-01-31"))
    )
    repo.commit()
    files = _build(repo, tmp_path / "dist")
    assert "linux/exceptions.json" not in files
    assert json.loads(files["linux/manifest.json"])["files"].keys() == {
        "osquery.conf",
        "audit.rules",
    }
    data = files["linux/pci/exceptions.json"]
    manifest = parse_manifest(files["linux/pci/manifest.json"], require_expires=False)
    assert set(manifest.files) == {"osquery.conf", "audit.rules", "exceptions.json"}
    assert manifest.files["exceptions.json"].sha256 == hashlib.sha256(data).hexdigest()
    assert manifest.files["exceptions.json"].size == len(data)
    parsed = parse_exceptions(data, "linux/pci")
    # an expired exception is still shipped: a report for a past window needs it
    assert [(e.id, e.control) for e in parsed] == [("EXC-2026-001", CONTROL), ("OLD-1", CONTROL)]
    assert parsed[1].expires == parse_time("2020-02-01T00:00:00Z")
    assert parsed[0].source == "policies/linux/pci/policy.yaml:2"
    # what the build wrote is exactly the format's encoding of what the policy says
    assert data == exceptions_bytes(
        "linux/pci",
        [
            _EXC._replace(
                id="EXC-2026-001",
                justification="Legacy build agents need NOPASSWD until the March migration",
                approved_by="Jane Doe (CISO)",
                source="policies/linux/pci/policy.yaml:2",
            ),
            parsed[1],
        ],
    )


def test_releases_with_exceptions_are_byte_for_byte_reproducible(
    repo: PolicyRepo, tmp_path: Path
) -> None:
    repo.write("linux/policy.yaml", HEAD + INCLUDE + exceptions(entry(hosts="[b, a]")))
    repo.commit()
    first = _build(repo, tmp_path / "one")
    assert first == _build(repo, tmp_path / "two")
    assert "linux/exceptions.json" in first
    # hosts as declared, not reordered by the build
    assert parse_exceptions(first["linux/exceptions.json"], "linux")[0].hosts == ("b", "a")


def test_the_example_policies_ship_their_exception(
    example_repo: Callable[[], PolicyRepo], tmp_path: Path
) -> None:
    repo = example_repo()
    out = tmp_path / "dist"
    result = run_trails("build", "--policies", str(repo.policies), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warning: the example exception is scheduled and current
    files = _tree(out)
    assert [n for n in files if n.endswith("exceptions.json")] == ["linux/pci/exceptions.json"]
    [exc] = parse_exceptions(files["linux/pci/exceptions.json"], "linux/pci")
    assert exc.expires == parse_time("2027-10-01T00:00:00Z")
    conf = json.loads(files["linux/pci/osquery.conf"])
    assert f"trails.control.{exc.control}" in conf["schedule"]
    assert "exceptions.json" in json.loads(files["linux/pci/manifest.json"])["files"]


# -- trails diff ---------------------------------------------------------------------------


def _ns(name: str, *entries: ControlException) -> CompiledNamespace:
    data = exceptions_bytes(name, entries) if entries else b""
    return CompiledNamespace(name, "linux", {}, b"{}", b"", data)


def test_diff_shows_exceptions_added_removed_and_changed() -> None:
    later = _EXC._replace(expires=parse_time("2027-07-01T00:00:00Z"), hosts=("web-01",))
    added = _EXC._replace(id="EXC-2", owner="payments")
    diffs = diff_builds([_ns("linux", _EXC), _ns("gone", _EXC)], [_ns("linux", later, added)])
    by_ns = {d.namespace: d.as_dict() for d in diffs}
    assert by_ns["linux"]["exceptions"]["added"] == ["EXC-2"]
    assert by_ns["linux"]["exceptions"]["changed"] == ["EXC-1"]
    assert by_ns["gone"]["exceptions"]["removed"] == ["EXC-1"]
    text = render_text(diffs)
    assert (
        "linux (changed)\n"
        f"  + exception EXC-2: {CONTROL} until 2027-04-01T00:00:00Z, owner payments\n"
        "  ~ exception EXC-1\n"
        '      expires: "2027-04-01T00:00:00Z" -> "2027-07-01T00:00:00Z"\n'
        '      hosts: [] -> ["web-01"]\n'
    ) in text
    assert f"gone (removed)\n  - exception EXC-1: {CONTROL} until 2027-04-01T00:00:00Z\n" in text


def test_diff_ignores_an_exception_that_only_moved_in_the_file() -> None:
    moved = _EXC._replace(source="policies/linux/policy.yaml:30")
    assert diff_builds([_ns("linux", _EXC)], [_ns("linux", moved)]) == []
    assert diff_builds([_ns("linux", _EXC)], [_ns("linux")]) != []


def test_diff_command_between_commits(repo: PolicyRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("linux/policy.yaml", HEAD + INCLUDE + exceptions(entry()))
    first = repo.commit("one")
    repo.write("linux/policy.yaml", HEAD + INCLUDE + exceptions(entry(expires="2027-06-30")))
    second = repo.commit("two")
    monkeypatch.chdir(repo.root)
    runner = CliRunner()
    args = ["diff", first, second, "--packs", str(PACKS)]
    doc = json.loads(runner.invoke(cli, [*args, "--json"]).stdout)
    [linux] = doc["namespaces"]
    assert linux["exceptions"]["changed"] == ["EXC-2026-001"]
    change = linux["exceptions"]["text"]["EXC-2026-001"]
    assert (change["old"]["expires"], change["new"]["expires"]) == (
        "2027-04-01T00:00:00Z",
        "2027-07-01T00:00:00Z",
    )
    text = runner.invoke(cli, args).stdout
    assert '  ~ exception EXC-2026-001\n      expires: "2027-04-01T00:00:00Z"' in text
