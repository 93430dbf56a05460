"""Host-side glob expansion under a sandbox root, bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from trails.audit_rules import AuditRule, GlobExpansionError, expand_globs, parse, render
from trails.errors import CheckFailed


@pytest.fixture
def root(tmp_path: Path) -> Path:
    keys = tmp_path / "etc" / "ssl" / "private"
    keys.mkdir(parents=True)
    for name in ("b.key", "a.key", "c.pem"):
        (keys / name).write_text("x")
    (tmp_path / "etc" / "conf.d" / "one").mkdir(parents=True)
    (tmp_path / "etc" / "conf.d" / "two").mkdir()
    (tmp_path / "etc" / "conf.d" / "file").write_text("x")
    return tmp_path


def test_watch_glob_becomes_one_rule_per_match_in_sorted_order(root: Path) -> None:
    rules = parse("-D\n-w /etc/ssl/private/*.key -p rwa -k keys\n-w /etc/hosts -p wa -k h\n").rules
    out = expand_globs(rules, root=root)
    assert render(out) == (
        f"-D\n-w {root}/etc/ssl/private/a.key -p rwa -k keys\n"
        f"-w {root}/etc/ssl/private/b.key -p rwa -k keys\n-w /etc/hosts -p wa -k h\n"
    )
    assert out[1].loc == rules[1].loc  # errors later still point at the policy line


def test_field_globs_and_dirs_only_for_dir(root: Path) -> None:
    rules = parse(
        "-a always,exit -F dir=/etc/conf.d/* -F perm=wa -k d\n"
        "-a always,exit -F path=/etc/ssl/private/?.pem -F perm=r -k p\n"
    ).rules
    out = expand_globs(rules, root=root)
    assert [
        r.field_values("dir") or r.field_values("path") for r in out if isinstance(r, AuditRule)
    ] == [
        (f"{root}/etc/conf.d/one",),
        (f"{root}/etc/conf.d/two",),
        (f"{root}/etc/ssl/private/c.pem",),
    ]


def test_no_match_yields_no_rule_and_plain_rules_pass_through(root: Path) -> None:
    rules = parse("-w /etc/nothing/*.x -p wa -k n\n-a always,exit -F arch=b64 -S open -k o\n").rules
    assert expand_globs(rules, root=root) == rules[1:]


def test_default_root_is_the_host(tmp_path: Path) -> None:
    (tmp_path / "f1").write_text("x")
    (rule,) = parse(f"-w {tmp_path}/f* -p wa -k k").rules
    (out,) = expand_globs([rule])
    assert isinstance(out, AuditRule)
    assert out.watch == f"{tmp_path}/f1"


def test_past_the_bound_is_a_one_line_check_failure(root: Path) -> None:
    big = root / "many"
    big.mkdir()
    for i in range(30):
        (big / f"f{i}").write_text("x")
    rules = parse("-w /many/* -p wa -k m", "policy.rules").rules
    with pytest.raises(GlobExpansionError) as exc:
        expand_globs(rules, root=root, max_rules=25)
    assert isinstance(exc.value, CheckFailed)
    assert str(exc.value) == (
        "policy.rules:1: audit rule globs expand to more than 25 rules; "
        "narrow the pattern or raise the limit"
    )
    assert "\n" not in str(exc.value)
    assert len(expand_globs(rules, root=root, max_rules=30)) == 30


def test_root_with_glob_characters_is_taken_literally(tmp_path: Path) -> None:
    odd = tmp_path / "r[1]"
    (odd / "etc").mkdir(parents=True)
    (odd / "etc" / "x.conf").write_text("x")
    (rule,) = parse("-w /etc/*.conf -p wa -k c").rules
    (out,) = expand_globs([rule], root=odd)
    assert isinstance(out, AuditRule)
    assert out.watch == f"{odd}/etc/x.conf"


def test_a_file_name_that_would_inject_options_is_refused(root: Path) -> None:
    (root / "etc" / "ssl" / "private" / "x -p r -k evil.key").write_text("x")
    rules = parse("-w /etc/ssl/private/*.key -p rwa -k keys", "p.rules").rules
    with pytest.raises(GlobExpansionError, match=r"p.rules:1: glob .* cannot hold"):
        expand_globs(rules, root=root)
