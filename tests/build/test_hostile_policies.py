"""Attack tests for hostile policy sources (issue 12, items 9 and 10).

Each renders or lints a hostile template or a symlink leading out of the repository and
expects one located diagnostic: never a crash, a hang, a huge allocation or a leak.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.build.conftest import PolicyRepo
from trails.build import templating
from trails.build.templating import TemplateLimitError, render_string, render_tree
from trails.cli import cli
from trails.errors import SourceError, SourceLoc
from trails.models.yaml_source import parse_yaml

LOC = SourceLoc("policies/evil/policy.yaml", 7)

# Each passed the bounds before (an 819 MB string, runs that never end); sizes here are
# kept small enough that the old code finished, and it then accepted them.
AMPLIFIERS = {
    "concat": "{% set a = 'x' * 200000 %}{{ (a ~ a ~ a ~ a ~ a ~ a)|length }}",
    "concat_chain": "{{ 'a' ~ 'b' * 10**8 }}",
    "percent_width": "{{ ('%05000000d' % 1)|length }}",
    "percent_mapping": "{% set s = 'x' * 200000 %}{{ ('%(a)s' * 8 % {'a': s})|length }}",
    "format_filter": "{{ ('%5000000s'|format('x'))|length }}",
    "center_filter": "{{ ('x'|center(5000000))|length }}",
    "center_method": "{{ 'x'.center(5000000)|length }}",
    "zfill_method": "{{ 'x'.zfill(5000000)|length }}",
    "str_format_width": "{{ '{:>5000000}'.format(1)|length }}",
    "str_format_repeat": "{% set s = 'x' * 200000 %}{{ '{0}{0}{0}{0}{0}{0}'.format(s)|length }}",
    "replace_filter": "{{ ('x' * 1000)|replace('x', 'y' * 5000)|length }}",
    "replace_method": "{{ ('x' * 1000).replace('x', 'y' * 5000)|length }}",
    "join_method": "{{ ('y' * 5000).join('x' * 1000)|length }}",
    "join_filter": "{{ ('x' * 1000)|join('y' * 5000)|length }}",
    "expandtabs": "{{ ('\\t' * 1000).expandtabs(5000)|length }}",
    "indent": "{{ ('\\n' * 1000)|indent('y' * 5000, true)|length }}",
    "list_repr": "{% set l = ['x' * 200000] * 100 %}{{ l|string|length }}",
    "output_volume": "{% for i in range(10) %}{{ 'x' * 200000 }}{% endfor %}",
    "list_doubling": "{% set ns = namespace(l=[1]) %}{% for i in range(22) %}"
    "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}",
    "big_int_power": "{{ ((9 ** 1000) ** 100) > 0 }}",
    "big_int_product": "{% set ns = namespace(x=9 ** 1000) %}{% for i in range(12) %}"
    "{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x > 0 }}",
    "lipsum": "{{ lipsum(n=20000)|length }}",
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("template", AMPLIFIERS.values(), ids=AMPLIFIERS.keys())
def test_amplifying_templates_are_refused_at_file_and_line(template: str) -> None:
    with pytest.raises(SourceError) as info:
        render_string(template, {}, LOC)
    assert info.value.loc == LOC
    assert "\n" not in info.value.message


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(25) }}",
        "{% for i in [1] recursive %}{{ loop(range(100000)) }}{% endfor %}",
    ],
    ids=["nested_loops", "nested_loops_output", "macro_fanout", "recursive_loop"],
)
def test_runs_that_never_end_are_refused(template: str) -> None:
    with pytest.raises(TemplateLimitError, match=r"loop iterations|render time|nest") as info:
        render_string(template, {}, LOC)
    assert info.value.loc == LOC


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "template",
    [
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "{% macro f(n) %}{{ caller() }}{% endmacro %}"
        "{% macro g() %}{% call f(1) %}{{ g() }}{% endcall %}{% endmacro %}{{ g() }}",
        "{% for i in [1] recursive %}{{ loop([1]) }}{% endfor %}",
    ],
    ids=["macro", "caller", "recursive_loop"],
)
def test_recursion_is_refused_not_a_crash(template: str) -> None:
    with pytest.raises(TemplateLimitError, match="nest"):
        render_string(template, {}, LOC)


@pytest.mark.timeout(20)
def test_loop_budget_is_per_file_not_per_string() -> None:
    loop = "{% for i in range(60000) %}{% endfor %}"
    doc = parse_yaml(f"a: '{loop}'\nb: '{loop}'\n", "policies/evil/policy.yaml")
    with pytest.raises(TemplateLimitError, match="loop iterations") as info:
        render_tree(doc, {}, "policies/evil/policy.yaml", 1)
    assert info.value.loc == SourceLoc("policies/evil/policy.yaml", 2)
    assert render_string(loop, {}, LOC) == ""  # alone, each string is within bounds


@pytest.mark.timeout(20)
def test_render_time_is_bounded_without_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templating, "MAX_RENDER_SECONDS", 0.0)
    with pytest.raises(TemplateLimitError, match="render time"):
        render_string("{% for i in range(10) %}{{ i }}{% endfor %}", {}, LOC)


def test_sized_templates_within_bounds_still_render() -> None:
    variables = {"hourly": 3600, "names": ["a", "b"], "root": "/srv/www"}
    assert render_string("{{ hourly * 24 }}", variables, LOC) == "86400"
    assert render_string("{{ names|join(', ') }}", variables, LOC) == "a, b"
    assert render_string("{{ '%s/%%' % root }}", variables, LOC) == "/srv/www/%"
    assert render_string("{{ '{}-{}'.format(1, 2) }}", variables, LOC) == "1-2"
    assert render_string("{{ ('x' * 1000)|length }}", variables, LOC) == "1000"
    assert render_string("{{ 2 ** 64 }}", variables, LOC) == str(2**64)
    assert render_string("{{ names|map('upper')|list }}", variables, LOC) == "['A', 'B']"
    big = render_string("{{ 'x' * (1024 * 1024) }}", variables, LOC)
    assert len(big) == templating.MAX_STRING_CHARS


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "{{ s ~ s }}",
                "{{ s * 3 }}",
                "{{ s|center(n) }}",
                "{{ s.ljust(n) }}",
                "{{ '%*s' % (n, s) }}",
                "{{ ('%0' ~ n ~ 'd') % 1 }}",
                "{{ s|replace('x', s) }}",
                "{{ s.join(s) }}",
                "{{ s|indent(n) }}",
                "{% for i in range(n) %}{{ s }}{% endfor %}",
                "{% set s = s ~ s ~ s %}",
                "{{ [s] * n }}",
                "{{ '{:>' ~ n ~ '}'.format(s) }}",
                "{{ s|list|join(s) }}",
                "{% macro m(k) %}{{ s }}{{ m(k) }}{% endmacro %}{{ m(1) }}",
            ]
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=3000),
)
def test_any_composition_renders_bounded_or_is_a_located_error(
    parts: list[str], n: int, size: int
) -> None:
    out, error = "", None
    try:
        out = render_string("".join(parts), {"n": n, "s": "x" * size}, LOC)
    except SourceError as exc:
        error = exc
    assert len(out) <= templating.MAX_STRING_CHARS
    assert error is None or (error.loc.path, error.loc.line) == (LOC.path, LOC.line)
    assert error is None or "\n" not in error.message


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}%#~*|()'.x0123456789 forendiset=a")), max_size=80))
def test_any_template_text_renders_or_gives_a_located_error(text: str) -> None:
    out, error = "", None
    try:
        out = render_string(text, {"a": "x"}, LOC)
    except SourceError as exc:
        error = exc
    assert len(out) <= templating.MAX_STRING_CHARS
    assert error is None or (error.loc.path == LOC.path and "\n" not in error.message)


# --- symlinks leading outside the repository (item 9) ---

SECRET_LINES = ["root:$6$saltsalt$SECRETHASH:19000:0:99999:7:::", "token: s3cr3t-value-xyz"]


def _secret_file(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    path = outside / "secret.yaml"
    path.write_text("\n".join(SECRET_LINES) + "\n")
    return path


def _lint(repo: PolicyRepo, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["lint", "--policies", str(repo.policies), "--format", "json", *extra]
    )
    return result.exit_code, result.output


def _assert_no_leak(output: str, target: Path) -> None:
    for line in target.read_text().splitlines():
        for piece in (line, *line.split(":")):
            if len(piece) >= 6:
                assert piece not in output, f"content of {target} leaked: {piece!r}"


@pytest.mark.parametrize("target", ["crafted", "/etc/shadow"])
def test_policy_file_symlinked_outside_is_refused_without_leaking(
    repo: PolicyRepo, tmp_path: Path, target: str
) -> None:
    secret = _secret_file(tmp_path) if target == "crafted" else Path(target)
    if not os.access(secret, os.R_OK):
        pytest.skip(f"{secret} is not readable here")
    (repo.policies / "linux" / "evil").mkdir()
    (repo.policies / "linux" / "evil" / "policy.yaml").symlink_to(secret)
    code, output = _lint(repo)
    assert code == 1
    assert '"code": "policy.symlink"' in output
    assert "policies/linux/evil/policy.yaml" in output
    _assert_no_leak(output, secret)


def test_policy_symlink_inside_the_policies_directory_is_followed(repo: PolicyRepo) -> None:
    (repo.policies / "other").mkdir()
    (repo.policies / "other" / "policy.yaml").symlink_to("../linux/policy.yaml")
    code, output = _lint(repo)
    assert code == 0, output


def _include(repo: PolicyRepo, pack: str) -> None:
    text = (repo.policies / "linux" / "policy.yaml").read_text()
    (repo.policies / "linux" / "policy.yaml").write_text(text + f"include:\n  - pack: {pack}\n")


def test_pack_directory_symlinked_outside_is_refused_without_leaking(
    repo: PolicyRepo, tmp_path: Path
) -> None:
    secret = _secret_file(tmp_path)
    evil = tmp_path / "outside" / "evil"
    (evil / "controls").mkdir(parents=True)
    (evil / "pack.yaml").symlink_to(secret)
    (evil / "controls" / "a.yaml").symlink_to(secret)
    (repo.packs / "evil").symlink_to(evil)
    _include(repo, "evil")
    code, output = _lint(repo)
    assert code == 1
    assert '"code": "include.symlink"' in output
    _assert_no_leak(output, secret)


@pytest.mark.parametrize("target", ["crafted", "/etc/shadow"])
def test_pack_file_symlinked_outside_is_refused_without_leaking(
    repo: PolicyRepo, tmp_path: Path, target: str
) -> None:
    secret = _secret_file(tmp_path) if target == "crafted" else Path(target)
    if not os.access(secret, os.R_OK):
        pytest.skip(f"{secret} is not readable here")
    pack = repo.packs / "mine"
    (pack / "controls").mkdir(parents=True)
    (pack / "pack.yaml").symlink_to(secret)
    _include(repo, "mine")
    code, output = _lint(repo)
    assert code == 1
    assert '"code": "include.symlink"' in output
    assert "pack.yaml" in output
    _assert_no_leak(output, secret)


def test_audit_rule_group_symlinked_outside_is_refused(repo: PolicyRepo, tmp_path: Path) -> None:
    secret = _secret_file(tmp_path)
    (repo.packs / "audit" / "x86_64").mkdir(parents=True)
    (repo.packs / "audit" / "x86_64" / "identity.rules").symlink_to(secret)
    (repo.packs / "mine").mkdir()
    _include(repo, "mine")
    code, output = _lint(repo)
    assert code == 1
    assert '"code": "include.symlink"' in output
    _assert_no_leak(output, secret)
