"""Issue 15 item 8: one pass, "did you mean", osquery options, inline silencing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.build.conftest import ROOT, PolicyRepo
from trails.build.ignore import KNOWN_CODES
from trails.cli import cli
from trails.osquery.flags import load_flags

HEAD = """\
platform: linux
tags: {org: o, owner: w, owner_group: g, project: p}
"""


def lint(repo: PolicyRepo) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(cli, ["lint", "--policies", str(repo.policies), "--format", "json"])
    report = json.loads(result.output)
    return result.exit_code, report["diagnostics"]


def only(diags: list[dict[str, object]], code: str) -> list[dict[str, object]]:
    return [d for d in diags if d["code"] == code]


# -- osquery options against osquery 5.23.1's flags ---------------------------------------


def test_flags_data_has_known_flags_and_types() -> None:
    flags = load_flags()
    assert flags.version == "5.23.1"
    assert flags.flags["schedule_splay_percent"].type == "uint64"
    assert flags.flags["host_identifier"].type == "string"
    assert flags.flags["disable_events"].type == "bool"
    assert flags.flags["config_refresh"].cli  # CLI_FLAG
    assert flags.flags["config_tls_refresh"].alias_of == "config_refresh"
    assert "schedule_splay_precent" not in flags.flags


def test_option_typo_is_an_error_with_did_you_mean(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + "osquery:\n  options:\n    schedule_splay_precent: 10\n")
    code, diags = lint(repo)
    assert code == 1
    [d] = only(diags, "option.unknown")
    assert d["severity"] == "error"
    assert d["line"] == 5
    assert "schedule_splay_precent" in str(d["message"])
    assert "did you mean schedule_splay_percent" in str(d["message"])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("schedule_splay_percent", "'ten'"),
        ("schedule_splay_percent", "true"),
        ("schedule_splay_percent", "-1"),
        ("disable_events", "'maybe'"),
        ("disable_events", "3"),
        ("host_identifier", "true"),
    ],
)
def test_option_wrong_type_is_an_error(repo: PolicyRepo, name: str, value: str) -> None:
    repo.write("linux/policy.yaml", HEAD + f"osquery:\n  options:\n    {name}: {value}\n")
    code, diags = lint(repo)
    assert code == 1
    [d] = only(diags, "option.type")
    assert d["line"] == 5
    assert name in str(d["message"])


def test_good_options_pass(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml",
        HEAD
        + "osquery:\n  options:\n    schedule_splay_percent: '10'\n    disable_events: 'false'\n"
        "    host_identifier: uuid\n    custom_anything: x\n    config_tls_refresh: 60\n"
        "    minloglevel: 1\n",
    )
    code, diags = lint(repo)
    assert code == 0, diags


def test_cli_only_flag_in_options_is_a_warning(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + "osquery:\n  options:\n    config_refresh: 60\n")
    code, diags = lint(repo)
    assert code == 0
    [d] = only(diags, "option.cli-only")
    assert d["severity"] == "warning"


# -- did you mean -------------------------------------------------------------------------


def _query(sql: str) -> str:
    return HEAD + f"osquery:\n  schedule:\n    q:\n      query: {sql}\n      interval: 60\n"


def test_unknown_table_did_you_mean(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", _query("SELECT pid FROM proceses;"))
    _, diags = lint(repo)
    [d] = only(diags, "sql.unknown-table")
    assert "did you mean processes" in str(d["message"])


def test_unknown_column_did_you_mean(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", _query("SELECT pid, nmae FROM processes;"))
    _, diags = lint(repo)
    [d] = only(diags, "sql.unknown-column")
    assert "did you mean name" in str(d["message"])


def test_unknown_policy_key_did_you_mean(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + "osquery:\n  schedul: {}\n")
    _, diags = lint(repo)
    [d] = only(diags, "policy.schema")
    assert "did you mean schedule" in str(d["message"])
    repo.write("linux/policy.yaml", HEAD + "osqeury: {}\n")
    _, diags = lint(repo)
    [d] = only(diags, "policy.schema")
    assert "did you mean osquery" in str(d["message"])


def test_no_suggestion_when_nothing_is_close(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", _query("SELECT pid FROM zzzzqqq;"))
    _, diags = lint(repo)
    [d] = only(diags, "sql.unknown-table")
    assert "did you mean" not in str(d["message"])


# -- one pass -----------------------------------------------------------------------------


def test_every_stage_reports_in_one_run(repo: PolicyRepo) -> None:
    """A merge error, an SQL error, an option error and an audit rule error in one
    namespace, and an error in a second namespace: all reported by one lint."""
    repo.write(
        "linux/policy.yaml",
        HEAD  # noqa: S608
        + "osquery:\n  options:\n    schedule_splay_precent: 10\n  schedule:\n"
        "    q:\n      query: SELECT pid FROM proceses;\n      interval: 60\n"
        "    trails.x:\n      query: SELECT 1;\n      interval: 60\n"
        "audit:\n  rules:\n    - -w /etc/passwd -p xyz -k identity\n",
    )
    repo.write("other/policy.yaml", _query("SELECT nmae FROM processes;"))
    code, diags = lint(repo)
    assert code == 1
    codes = {str(d["code"]) for d in diags}
    assert {"option.unknown", "sql.unknown-table", "query.reserved", "sql.unknown-column"} <= codes
    assert any(c.startswith("audit.") for c in codes), codes


def test_missing_platform_does_not_cascade(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml",
        "tags: {org: o, owner: w, owner_group: g, project: p}\n"
        "osquery:\n  schedule:\n    q:\n      query: SELECT pid FROM processes;\n"
        "      interval: 60\n",
    )
    _, diags = lint(repo)
    assert [d["code"] for d in diags if d["severity"] == "error"] == ["policy.platform"]
    assert "not checked" in str(diags[0]["message"])


# -- inline silencing ---------------------------------------------------------------------

_WARN = HEAD + (  # noqa: S608
    "osquery:\n  schedule:\n    q:{comment}\n      query: SELECT pid FROM processes;\n"
    "      interval: 60\n      platform: darwin\n"
)


def test_ignore_with_reason_silences_the_warning(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", _WARN.replace("{comment}", ""))
    _, diags = lint(repo)
    assert only(diags, "query.platform")
    repo.write(
        "linux/policy.yaml",
        _WARN.replace("{comment}", "  # trails: ignore[query.platform] kept for the macOS rollout"),
    )
    code, diags = lint(repo)
    assert code == 0
    assert diags == []


def test_ignore_without_reason_is_a_warning_and_silences_nothing(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml", _WARN.replace("{comment}", "  # trails: ignore[query.platform]")
    )
    _, diags = lint(repo)
    assert only(diags, "query.platform")
    [d] = only(diags, "ignore.reason")
    assert d["line"] == 5
    assert d["severity"] == "warning"


def test_ignore_of_an_unknown_code_is_a_warning(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml",
        _WARN.replace("{comment}", "  # trails: ignore[query.platfrom] macOS later"),
    )
    _, diags = lint(repo)
    assert only(diags, "query.platform")
    [d] = only(diags, "ignore.unknown-code")
    assert "did you mean query.platform" in str(d["message"])


def test_ignore_cannot_silence_an_error(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml",
        HEAD + "osquery:\n  options:\n"
        "    schedule_splay_precent: 10  # trails: ignore[option.unknown] just because\n",
    )
    code, diags = lint(repo)
    assert code == 1
    assert only(diags, "option.unknown")
    [d] = only(diags, "ignore.error")
    assert d["severity"] == "warning"


def test_unused_ignore_is_a_warning(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml",
        HEAD + "osquery:\n  options:\n    utc: true  # trails: ignore[query.platform] stale\n",
    )
    code, diags = lint(repo)
    assert code == 0
    assert [d["code"] for d in diags] == ["ignore.unused"]


def test_every_emitted_code_is_known() -> None:
    import re

    found: set[str] = set()
    for path in (ROOT / "trails").rglob("*.py"):
        if "report" in path.parts:
            continue
        found |= set(
            re.findall(
                r'"((?:sql|policy|query|merge|include|audit|pack|repo|option|ignore|exception)\.[a-z-]+)"',
                path.read_text(),
            )
        )
    assert found - KNOWN_CODES == set()


def test_a_file_with_schema_errors_still_gets_options_sql_and_ignores_checked(
    repo: PolicyRepo,
) -> None:
    repo.write(
        "linux/policy.yaml",
        HEAD  # noqa: S608
        + "osquery:\n  options:\n    schedule_splay_precent: 10\n  schedule:\n"
        "    q:\n      query: SELECT pid FROM proceses;\n      intervl: 60\n"
        "    r:  # trails: ignore[query.platfrom] later\n"
        "      query: SELECT '{{ x }}' FROM nope;\n      interval: 60\n",
    )
    code, diags = lint(repo)
    assert code == 1
    codes = sorted(str(d["code"]) for d in diags)
    # the schema errors, plus what can be checked without merging: options, plain SQL
    assert "policy.schema" in codes
    assert "option.unknown" in codes
    assert codes.count("sql.unknown-table") == 1  # a templated query is not checked
    assert "ignore.unknown-code" in codes
