"""users, groups, user_groups, shadow over a root directory (glibc's files backend)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from trails.collector.database import open_host_db, query
from trails.collector.interface import Constraint, Host, Query, Table
from trails.collector.tables import groups, shadow, user_groups, users
from trails.osquery.schema import load_schema

PASSWD = """\
root:x:0:0:root:/root:/bin/bash
# a comment:x:5:5::/:
  daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alice:x:1000:1000:Alice A,,,:/home/alice:/bin/bash
broken:x:notanumber:1::/:/bin/sh

nobody:x:-1:65534:nobody:/nonexistent:/usr/sbin/nologin
short:x:7:7
alice2:x:1000:1001:second alice:/home/a2:/bin/sh
+
"""
GROUP = """\
root:x:0:
wheel:x:10:alice, bob ,
users:x:100:alice,carol
#old:x:20:alice
dup:x:10:carol
alicegrp:x:1000:alice
"""
SHADOW = """\
root:$6$salt$hash:19000:0:99999:7:::
locked:!$y$j9T$abc:19001:0:99999:7:30:20000:
notset:!!:19002::::::
star:*:19003:0:99999:7:::
empty::19004:0:99999:7:::
xlock:x:19005:0:99999:7:::
old:$1$a$b:1:2:3
bcrypt:$2b$10$abcdef:1:2:3:4:5:6:7
rejected:pw:1:2:3:4
neg:pw:-1:4294967295:2147483648:1:2:3:
"""


def _root(tmp: Path, files: dict[str, str | bytes]) -> Host:
    for name, content in files.items():
        path = tmp / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return Host(tmp)


def _q(host: Host, sql: str) -> list[dict[str, Any]]:
    return query(open_host_db(host), sql)


def _host(tmp_path: Path) -> Host:
    return _root(tmp_path, {"etc/passwd": PASSWD, "etc/group": GROUP, "etc/shadow": SHADOW})


def test_users_reads_passwd_like_fgetpwent(tmp_path: Path) -> None:
    rows = _q(_host(tmp_path), "SELECT * FROM users")
    assert [r["username"] for r in rows] == [
        "root",
        "daemon",
        "alice",
        "nobody",
        "short",
        "alice2",
        "+",
    ]
    alice = rows[2]
    assert alice == {
        "uid": 1000,
        "gid": 1000,
        "uid_signed": 1000,
        "gid_signed": 1000,
        "username": "alice",
        "description": "Alice A,,,",
        "directory": "/home/alice",
        "shell": "/bin/bash",
        "uuid": None,
    }
    nobody = rows[3]
    assert (nobody["uid"], nobody["uid_signed"]) == (4294967295, -1)
    assert (rows[4]["description"], rows[4]["directory"], rows[4]["shell"]) == ("", "", "")
    plus = rows[6]
    assert (plus["uid"], plus["description"], plus["shell"]) == (0, None, None)


def test_users_hidden_columns_and_constraints(tmp_path: Path) -> None:
    host = _host(tmp_path)
    rows = _q(
        host, "SELECT username, include_remote, pid_with_namespace FROM users WHERE uid = 1000"
    )
    assert rows == [
        {"username": "alice", "include_remote": 0, "pid_with_namespace": 0},
        {"username": "alice2", "include_remote": 0, "pid_with_namespace": 0},
    ]
    # NSS lookups: first entry per uid only
    remote = _q(
        host, "SELECT username, include_remote FROM users WHERE uid = 1000 AND include_remote = 1"
    )
    assert remote == [{"username": "alice", "include_remote": 1}]
    assert _q(host, "SELECT username FROM users WHERE include_remote = 1 AND username = '+'") == []
    assert len(_q(host, "SELECT * FROM users WHERE include_remote = 1")) == 7
    assert _q(host, "SELECT username FROM users WHERE username = 'daemon'") == [
        {"username": "daemon"}
    ]


def test_users_stop_at_a_line_longer_than_the_passwd_buffer(tmp_path: Path) -> None:
    long_gecos = "g" * 1100
    host = _root(
        tmp_path,
        {
            "etc/passwd": (
                f"root:x:0:0::/root:/bin/sh\nlong:x:1:1:{long_gecos}:/:/bin/sh\nafter:x:2:2::/:\n"
            )
        },
    )
    assert [r["username"] for r in _q(host, "SELECT username FROM users")] == ["root"]
    fits = "a:x:3:3::/:" + "s" * (1021 - len("a:x:3:3::/:"))  # 1021 bytes + newline = 1022
    host = _root(tmp_path, {"etc/passwd": fits + "\nb:x:4:4::/:\n"})
    assert [r["username"] for r in _q(host, "SELECT username FROM users")] == ["a", "b"]
    host = _root(tmp_path, {"etc/passwd": fits + "s\nb:x:4:4::/:\n"})
    assert _q(host, "SELECT username FROM users") == []


def test_users_missing_passwd(tmp_path: Path) -> None:
    assert _q(Host(tmp_path), "SELECT * FROM users") == []


def test_groups_first_group_per_gid(tmp_path: Path) -> None:
    host = _host(tmp_path)
    rows = _q(host, "SELECT groupname, gid, gid_signed FROM groups")
    assert rows == [
        {"groupname": "root", "gid": 0, "gid_signed": 0},
        {"groupname": "wheel", "gid": 10, "gid_signed": 10},
        {"groupname": "users", "gid": 100, "gid_signed": 100},
        {"groupname": "alicegrp", "gid": 1000, "gid_signed": 1000},
    ]
    assert _q(host, "SELECT groupname FROM groups WHERE gid = 10") == [{"groupname": "wheel"}]
    assert _q(host, "SELECT groupname FROM groups WHERE gid = 20") == []


def test_user_groups_primary_then_memberships(tmp_path: Path) -> None:
    host = _host(tmp_path)
    rows = _q(host, "SELECT uid, gid FROM user_groups WHERE uid = 1000")
    # alice: primary 1000, wheel (10), users (100), the commented-out "#old" (20);
    # alicegrp (1000) is her primary group and not repeated; alice2 shares uid 1000 but
    # getpwuid finds alice first
    assert [(r["uid"], r["gid"]) for r in rows] == [
        (1000, 1000),
        (1000, 10),
        (1000, 100),
        (1000, 20),
    ]
    everyone = _q(host, "SELECT uid, gid FROM user_groups")
    assert [(r["uid"], r["gid"]) for r in everyone if r["uid"] == 0] == [(0, 0)]
    assert [r["gid"] for r in everyone if r["uid"] == 1000] == [1000, 10, 100, 20]
    assert [r["gid"] for r in everyone if r["uid"] == 4294967295] == [65534]


def test_user_groups_trailing_space_member_is_another_name(tmp_path: Path) -> None:
    host = _root(
        tmp_path, {"etc/passwd": "bob:x:5:5::/:\n", "etc/group": "wheel:x:10:alice, bob ,\n"}
    )
    assert _q(host, "SELECT gid FROM user_groups") == [{"gid": 5}]


def test_shadow_password_status_and_hash(tmp_path: Path) -> None:
    rows = {r["username"]: r for r in _q(_host(tmp_path), "SELECT * FROM shadow")}
    status = {name: (r["password_status"], r["hash_alg"]) for name, r in rows.items()}
    assert status == {
        "root": ("active", "6"),
        "locked": ("locked", None),
        "notset": ("not_set", None),
        "star": ("locked", None),
        "empty": ("empty", None),
        "xlock": ("locked", None),
        "old": ("active", "1"),
        "bcrypt": ("active", "2b"),
        "neg": ("active", None),
    }
    root = rows["root"]
    assert [
        root[c] for c in ("last_change", "min", "max", "warning", "inactive", "expire", "flag")
    ] == [
        19000,
        0,
        99999,
        7,
        -1,
        -1,
        None,
    ]
    notset = rows["notset"]
    assert [notset[c] for c in ("last_change", "min", "max", "warning", "inactive", "expire")] == [
        19002,
        -1,
        -1,
        -1,
        -1,
        -1,
    ]
    assert [rows["old"][c] for c in ("max", "warning", "flag")] == [3, -1, None]
    assert rows["bcrypt"]["flag"] == 7
    assert [rows["locked"][c] for c in ("inactive", "expire")] == [30, 20000]
    assert [rows["neg"][c] for c in ("last_change", "min", "max")] == [-1, -1, -2147483648]


def test_shadow_username_lookup_first_match(tmp_path: Path) -> None:
    host = _root(tmp_path, {"etc/shadow": "a:!:1:0:0:0:::\na:$6$x$y:2:0:0:0:::\n"})
    assert len(_q(host, "SELECT * FROM shadow")) == 2
    rows = _q(host, "SELECT password_status, last_change FROM shadow WHERE username = 'a'")
    assert rows == [{"password_status": "locked", "last_change": 1}]


def _columns(name: str) -> set[str]:
    return {c.name for c in load_schema().tables[name].columns if c.available_on("linux")}


_TEXT = st.text(alphabet=st.sampled_from(list("ab:!*$x0129-+# ,\t\n\r\v\x00é")), max_size=300)


@given(passwd=_TEXT, group=_TEXT, shadow_text=_TEXT, uid=st.integers(-5, 5))
def test_account_parsers_never_crash(passwd: str, group: str, shadow_text: str, uid: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        host = _root(
            Path(tmp),
            {
                "etc/passwd": passwd.encode(),
                "etc/group": group.encode(),
                "etc/shadow": shadow_text.encode(),
            },
        )
        cases: list[tuple[Table, Query]] = [
            (users.TABLE, Query()),
            (
                users.TABLE,
                Query((Constraint("uid", "=", uid), Constraint("include_remote", "=", 1))),
            ),
            (groups.TABLE, Query()),
            (groups.TABLE, Query((Constraint("gid", "=", uid),))),
            (user_groups.TABLE, Query()),
            (user_groups.TABLE, Query((Constraint("uid", "=", str(uid)),))),
            (shadow.TABLE, Query()),
        ]
        for table, q in cases:
            for row in table.generate(host, q):
                assert set(row) <= _columns(table.name)
        rows = query(open_host_db(host), "SELECT * FROM users")
        assert all(isinstance(r["uid"], int) for r in rows)
