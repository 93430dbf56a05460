"""osquery's SQL functions, checked against the examples in osquery's documentation."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.osquery import versions
from trails.osquery.functions import register, strings


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    register(conn)
    yield conn
    conn.close()


def one(db: sqlite3.Connection, sql: str, *args: object) -> object:
    return db.execute(sql, args).fetchone()[0]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT split('192.168.0.1', '.', 1)", "168"),
        ("SELECT split('192.168.0.1', '.0', 0)", "192"),
        ("SELECT split(1001, 1, 0)", "00"),
        ("SELECT split(' a , b ', ',', 1)", "b"),
        ("SELECT split('a', ',', 5)", None),
        ("SELECT split(NULL, ',', 0)", None),
        ("SELECT regex_split('192.168.0.1', '\\.', 1)", "168"),
        ("SELECT regex_split('192.168.0.1', '\\.0', 0)", "192.168"),
        ("SELECT regex_match('hello world. Goodbye', '(\\w+) \\w+', 0)", "hello world"),
        ("SELECT regex_match('hello world. Goodbye', '(\\w+) \\w+', 1)", "hello"),
        ("SELECT regex_match('hello', 'x', 0)", None),
        ("SELECT regex_match('hello', '(h)', 2)", None),
        ("SELECT regex_match('hello', '(x)?h', 1)", ""),
        ("SELECT concat('hello', NULL, ' ', 'world')", "hello world"),
        ("SELECT concat()", None),
        ("SELECT concat_ws(' ', 'hello', NULL, 'world')", "hello world"),
        ("SELECT concat_ws('-', 'a', 'b', NULL)", "a-b-"),  # osquery's quirk, kept
        ("SELECT concat_ws(NULL, 'a', 'b')", "ab"),
        ("SELECT concat_ws('-')", None),
        ("SELECT inet_aton('1.0.1.5')", 16777477),
        ("SELECT inet_aton('::1')", None),
        ("SELECT inet_aton('nope')", None),
        ("SELECT to_base64('CPU0')", "Q1BVMA=="),
        ("SELECT from_base64('Q1BVMA==')", "CPU0"),
        ("SELECT from_base64('Q1BVMA')", "CPU0"),
        ("SELECT from_base64('!!!')", ""),
        ("SELECT conditional_to_base64('CPU0')", "CPU0"),
        ("SELECT conditional_to_base64('CPU0' || char(183))", "Q1BVMMK3"),
        ("SELECT in_cidr_block('10.0.0.0/26', '10.0.0.24')", 1),
        ("SELECT in_cidr_block('10.0.0.0/26', '10.0.0.99')", 0),
        ("SELECT in_cidr_range('10.0.0.0/24', '10.0.0.0')", 0),
        ("SELECT in_cidr_range('10.0.0.7/32', '10.0.0.7')", 1),
        ("SELECT in_cidr_block('2001:db8::/48', '2001:db8:0:ffff:ffff:ffff:ffff:ffff')", 1),
        (
            "SELECT community_id_v1('66.35.250.204', '128.232.110.120', 80, 34855, 6)",
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        ),
        (
            "SELECT community_id_v1('66.35.250.204', '2001:0:3238:DFE1:63::FEFB', 80, 2347, 6)",
            "1:rxU6O+b2d9kbSWjRmVDoBbowx6g=",
        ),
        (
            "SELECT community_id_v1('66.35.250.204', '2001:0:3238:DFE1:63::FEFB', 80, 2347, 6, 37)",
            "1:jmJ2ORP31di4mtsQPIKzyoEb3yo=",
        ),
        ("SELECT community_id_v1('nope', '1.1.1.1', 1, 2, 6)", None),
        ("SELECT sha1('Guest')", "face83ee3014bdc8f98203cc94e2e89222452e90"),
        ("SELECT version_compare('1.0', '1.0')", 0),
        ("SELECT version_compare('4:1.1.0', '4:1.1.0-3', 'ARCH')", 0),
        ("SELECT version_compare('50.4.1b', '50.4.1c')", -1),
        ("SELECT version_compare('1.0.0~rc2^2021', '1.0.0', 'RHEL')", -1),
        ("SELECT version_compare('1:1.2.13-2', '4.2.1', 'ARCH')", 1),
        ("SELECT version_compare('1:2.0', '2.0', 'DPKG')", 1),
        ("SELECT version_compare(NULL, '2.0')", None),
        ("SELECT '1.0' = '1.0' COLLATE VERSION", 1),
        ("SELECT '50.4.1b' < '50.4.1c' COLLATE VERSION", 1),
        ("SELECT '20.10a' > '20.102' COLLATE VERSION", 1),
        ("SELECT '4:2' = '4:2-1' COLLATE VERSION_ARCH", 1),
        ("SELECT '2-2pre' < '2-2rc' COLLATE VERSION_ARCH", 1),
        ("SELECT '42.2-1' > '42.1-2' COLLATE VERSION_ARCH", 1),
        ("SELECT '22.07.5-2ubuntu1.3' < '22.07.5-2ubuntu1.4' COLLATE VERSION_DPKG", 1),
        ("SELECT '2:8.2.3995-1ubuntu2.9' > '2:8.2.3995-1ubuntu2.3' COLLATE VERSION_DPKG", 1),
        ("SELECT '0.5.0~rc1^202' = '0.5.0~rc1^202' COLLATE VERSION_RHEL", 1),
        ("SELECT '1.1.0~BETA2' < '1.1.0~CR1' COLLATE VERSION_RHEL", 1),
        ("SELECT '1.0.0' > '1.0.0~rc2' COLLATE VERSION_RHEL", 1),
        ("SELECT ceil(1.2)", 2),
        ("SELECT floor(-1.5)", -2),
        ("SELECT ceil(7)", 7),
        ("SELECT floor('2.5')", 2),
        ("SELECT power(2, 10)", 1024.0),
        ("SELECT degrees(pi())", 180.0),
        ("SELECT round(log(exp(2)), 9)", 2.0),  # natural log, as in osquery
        ("SELECT log10(1000)", 3.0),
        ("SELECT parent_directory('a\\b\\c')", "a\\b"),  # osquery splits on '\' on POSIX
        ("SELECT parent_directory('abc')", None),
        ("SELECT carve('/etc/passwd')", "Carve Failed:"),
        ("SELECT sleep(0)", 0),
        ("SELECT sleep(-3)", 0),
    ],
)
def test_documented_behaviour(db: sqlite3.Connection, sql: str, expected: object) -> None:
    assert one(db, sql) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT split('a', '', 0)",
        "SELECT regex_match('a', '(', 0)",
        "SELECT regex_split('a', '" + "a" * 300 + "', 0)",
        "SELECT concat_ws()",
        "SELECT in_cidr_block(1, '10.0.0.1')",
        "SELECT in_cidr_block('10.0.0.0/8', 1)",
        "SELECT in_cidr_block('10.0.0.0/8', 'nope')",
        "SELECT in_cidr_block('2001:db8::/48', '10.0.0.1')",
        "SELECT community_id_v1_strict('1.1.1.1', '2.2.2.2', 1, 2, 300)",
        "SELECT community_id_v1_strict('1.1.1.1', '2.2.2.2', 1, 70000, 6)",
        "SELECT community_id_v1_strict('1.1.1.1', '2.2.2.2', 'a', 2, 6)",
        "SELECT community_id_v1_strict('1.1.1.1', '2.2.2.2', 1, 2, 'x')",
        "SELECT community_id_v1_strict(1, '2.2.2.2', 1, 2, 6)",
        "SELECT community_id_v1_strict('1.1.1.1', 'x', 1, 2, 6)",
        "SELECT community_id_v1_strict('1.1.1.1', '2.2.2.2', 1, 2, 6, 'x')",
        "SELECT community_id_v1_strict('1.1.1.1', '2.2.2.2', 1, 2, 6, 99999)",
        "SELECT sqrt(-1)",
        "SELECT log(0)",
        "SELECT power(10, 1000)",
        "SELECT parent_directory(1)",
        "SELECT ssdeep_compare('a', 'b')",
        "SELECT find_file_path_in_cmd(NULL)",
        "SELECT is_path_deterministic(NULL)",
    ],
)
def test_osquery_errors_fail_the_query(db: sqlite3.Connection, sql: str) -> None:
    with pytest.raises(sqlite3.OperationalError):
        db.execute(sql).fetchall()


def test_path_functions_use_the_filesystem(db: sqlite3.Connection, tmp_path: Path) -> None:
    prog = tmp_path / "my prog"
    prog.write_text("#!/bin/sh\n")
    cmd = f"{prog} --flag"
    assert one(db, "SELECT find_file_path_in_cmd(?)", cmd) == str(prog)
    assert one(db, "SELECT is_path_deterministic(?)", str(prog)) == 1
    quoted = f'"{prog}" -x'
    assert one(db, "SELECT find_file_path_in_cmd(?, 1)", quoted) == str(prog)
    escaped = str(prog).replace(" ", "\\ ") + " -x"
    assert one(db, "SELECT find_file_path_in_cmd(?, 0, '\\')", escaped) == str(prog)
    assert one(db, "SELECT find_file_path_in_cmd('/no/such/thing')") == ""
    with pytest.raises(sqlite3.OperationalError):
        db.execute("SELECT find_file_path_in_cmd('x', 0, 'ab')").fetchall()
    short = tmp_path / "my"
    short.write_text("")
    assert one(db, "SELECT is_path_deterministic(?)", f"{prog} x") == 0


def test_hashes_and_text_coercion(db: sqlite3.Connection) -> None:
    assert one(db, "SELECT sha256('Guest')") == hashlib.sha256(b"Guest").hexdigest()
    assert one(db, "SELECT md5(42)") == hashlib.md5(b"42", usedforsecurity=False).hexdigest()
    assert one(db, "SELECT md5(NULL)") is None
    assert one(db, "SELECT to_base64(1.5)") == base64.b64encode(b"1.5").decode()
    assert one(db, "SELECT from_base64(?)", base64.b64encode(b"\xff\x00").decode()) == b"\xff\x00"
    assert one(db, "SELECT split(x'612c62', ',', 1)") == "b"


@given(st.text(max_size=40), st.text(alphabet=",;: ", min_size=1, max_size=3))
def test_split_matches_osquery_definition(text: str, tokens: str) -> None:
    pieces = strings._token_split(text, tokens)
    assert all(p == p.strip(" \t\n\v\f\r") for p in pieces)
    assert all(not set(tokens) & set(p) for p in pieces)
    assert len(pieces) <= text.count(tokens[0]) + sum(text.count(t) for t in tokens[1:]) + 1


@given(st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=5))
def test_concat_ignores_nulls(values: list[str | None]) -> None:
    # osquery reads each argument as a C string, so text stops at a NUL
    expected = "".join(v.split("\x00")[0] for v in values if v is not None) if values else None
    assert strings.concat(*values) == expected


@given(
    st.text(alphabet="0123456789.~-^:ab", max_size=8),
    st.text(alphabet="0123456789.~-^:ab", max_size=8),
)
def test_version_compare_is_antisymmetric(left: str, right: str) -> None:
    for compare in (versions.compare_generic, versions.compare_dpkg):
        a, b = compare(left, right), compare(right, left)
        assert (a > 0) == (b < 0)
    assert versions.compare_rhel(left, left) == 0
