from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trails.osquery.schema import load_schema
from trails.osquery.sqlcheck import MAX_QUERY_CHARS, SqlChecker, check_query

SCHEMA = load_schema()


def codes(sql: str, platform: str = "linux") -> list[str]:
    return [p.code for p in check_query(sql, SCHEMA, platform=platform)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM processes",
        "SELECT path, mode FROM file WHERE path LIKE '/etc/%'",
        "SELECT path FROM file WHERE directory = '/etc'",
        "SELECT * FROM file WHERE path = '/a' OR directory = '/b'",
        "SELECT * FROM hash WHERE path IN (SELECT path FROM processes)",
        "SELECT u.username, f.mode FROM users u JOIN file f ON f.path = '/home/' || u.username",
        "SELECT * FROM users JOIN file ON file.directory = users.directory",
        "SELECT * FROM curl WHERE url = 'http://127.0.0.1/'",
        "WITH p AS (SELECT pid FROM processes) SELECT count(*) FROM p",
        "SELECT regex_match(name, '(a)', 1), split(cmdline, ' ', 0), sha256(name), "
        "concat_ws('-', name, pid), version_compare('1', '2', 'DPKG') FROM processes",
        "SELECT name FROM deb_packages WHERE version > '1.0' COLLATE version_dpkg",
        "SELECT * FROM trails_status JOIN trails_audit_rules",
        "SELECT pid_with_namespace FROM apt_sources",
    ],
)
def test_valid_queries_pass(sql: str) -> None:
    assert check_query(sql, SCHEMA, platform="linux") == []


@pytest.mark.parametrize(
    ("sql", "code", "needle"),
    [
        ("SELEC 1", "sql.syntax", "syntax error"),
        ("SELECT * FROM no_such_table", "sql.unknown-table", "no_such_table"),
        ("SELECT nope FROM processes", "sql.unknown-column", "nope"),
        ("SELECT chemistry FROM battery", "sql.unknown-column", "not available on linux"),
        ("SELECT not_a_function(1)", "sql.unknown-function", "not_a_function"),
        ("SELECT * FROM file", "sql.required-column", "path or directory"),
        ("SELECT count(*) FROM file", "sql.required-column", "path or directory"),
        ("SELECT * FROM hash WHERE md5 = 'x'", "sql.required-column", "hash"),
        ("SELECT * FROM curl", "sql.required-column", "url"),
        ("SELECT * FROM file WHERE path = '/a' OR mode = 'b'", "sql.required-column", "file"),
        ("SELECT * FROM registry", "sql.platform", "only windows"),
        ("DELETE FROM processes", "sql.not-select", "read-only"),
        ("PRAGMA table_info(file)", "sql.not-select", "read-only"),
        ("ATTACH DATABASE '/tmp/x' AS x", "sql.not-select", "read-only"),
        ("SELECT 1; SELECT 2", "sql.syntax", "one SELECT"),
        ("   ", "sql.empty", "empty"),
    ],
)
def test_bad_queries_are_reported(sql: str, code: str, needle: str) -> None:
    problems = check_query(sql, SCHEMA, platform="linux")
    assert [p.code for p in problems] == [code]
    assert needle in str(problems[0])


def test_platform_is_per_namespace() -> None:
    assert codes("SELECT * FROM registry", "windows") == []
    assert codes("SELECT * FROM apt_sources", "windows") == ["sql.platform"]


def test_too_long_query() -> None:
    assert codes("SELECT 1" + " " * MAX_QUERY_CHARS) == ["sql.too-long"]


def test_views_are_usable_and_checked() -> None:
    views = {"etc_files": "SELECT path, mode FROM file WHERE directory = '/etc'"}
    assert check_query("SELECT * FROM etc_files", SCHEMA, platform="linux", views=views) == []
    assert codes("SELECT * FROM etc_files") == ["sql.unknown-table"]
    bad = {"v": "SELECT * FROM file"}
    problems = check_query("SELECT 1", SCHEMA, platform="linux", views=bad)
    assert [p.code for p in problems] == ["sql.required-column"]
    checker = SqlChecker(SCHEMA, "linux")
    assert [p.code for p in checker.add_view("processes", "SELECT 1")] == ["sql.view-name"]


def test_checker_is_reusable_after_errors() -> None:
    checker = SqlChecker(SCHEMA, "linux")
    assert checker.check("DELETE FROM users")
    assert checker.check("SELECT * FROM users") == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_problems_not_exceptions(sql: str) -> None:
    problems = check_query(sql, SCHEMA, platform="linux")
    assert all(p.code.startswith("sql.") and p.message for p in problems)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["SELECT ", "SELECT * FROM ", "WITH x AS (", "SELECT 1 FROM file WHERE "]),
    st.text(alphabet="abc()'*,;= %", max_size=30),
)
def test_sql_like_fragments_never_raise(head: str, tail: str) -> None:
    problems = check_query(head + tail, SCHEMA, platform="linux")
    assert all(p.code.startswith("sql.") and "\n" not in p.message for p in problems)
