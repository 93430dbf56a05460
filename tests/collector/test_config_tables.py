"""sudoers, crontab, yum_sources, suid_bin over a root directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from trails.collector.database import open_host_db, query
from trails.collector.interface import Host, Query
from trails.collector.tables import crontab, sudoers, yum_sources
from trails.osquery.schema import load_schema


def _root(tmp: Path, files: dict[str, str]) -> Host:
    for name, content in files.items():
        path = tmp / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return Host(tmp)


def _q(host: Host, sql: str) -> list[dict[str, Any]]:
    return query(open_host_db(host), sql)


def _columns(name: str) -> set[str]:
    return {c.name for c in load_schema().tables[name].columns if c.available_on("linux")}


def test_sudoers_rules_comments_and_includes(tmp_path: Path) -> None:
    host = _root(
        tmp_path,
        {
            "etc/sudoers": (
                "# comment\n"
                "Defaults\tenv_reset\n"
                "Defaults use_pty\n"
                "root ALL=(ALL:ALL) ALL\n"
                "%sudo ALL=(ALL) \\\n"
                "   NOPASSWD: ALL\n"
                "#include\n"
                "@includedir /etc/sudoers.d\n"
                "#include sudoers.local\n"
            ),
            "etc/sudoers.d/README": "# nothing\n",
            "etc/sudoers.d/10-admin": "admin ALL=(ALL) ALL\nDefaults:admin !requiretty\n",
            "etc/sudoers.d/skip.conf": "skipped ALL=(ALL) ALL\n",
            "etc/sudoers.d/backup~": "skipped ALL=(ALL) ALL\n",
            "etc/sudoers.local": "Defaults logfile=/var/log/sudo.log\n",
        },
    )
    rows = [
        (r["source"], r["header"], r["rule_details"]) for r in _q(host, "SELECT * FROM sudoers")
    ]
    assert rows == [
        ("/etc/sudoers", "Defaults", "env_reset"),
        ("/etc/sudoers", "Defaults", "use_pty"),
        ("/etc/sudoers", "root", "ALL=(ALL:ALL) ALL"),
        ("/etc/sudoers", "%sudo", "ALL=(ALL) NOPASSWD: ALL"),
        ("/etc/sudoers", "@includedir", "/etc/sudoers.d"),
        ("/etc/sudoers.d/10-admin", "admin", "ALL=(ALL) ALL"),
        ("/etc/sudoers.d/10-admin", "Defaults:admin", "!requiretty"),
        ("/etc/sudoers", "#include", "sudoers.local"),
        ("/etc/sudoers.local", "Defaults", "logfile=/var/log/sudo.log"),
    ]


def test_sudoers_continuation_of_a_bare_header(tmp_path: Path) -> None:
    host = _root(tmp_path, {"etc/sudoers": "Cmnd_Alias\\\nX = /bin/ls\n"})
    rows = _q(host, "SELECT header, rule_details FROM sudoers")
    assert rows == [{"header": "Cmnd_Alias", "rule_details": "X = /bin/ls"}]


def test_sudoers_self_include_stops_at_the_nesting_limit(tmp_path: Path) -> None:
    host = _root(tmp_path, {"etc/sudoers": "#include /etc/sudoers\n"})
    assert len(_q(host, "SELECT * FROM sudoers")) == 128
    twice = _root(tmp_path, {"etc/sudoers": "#include /etc/sudoers\n#include /etc/sudoers\n"})
    rows = list(sudoers.TABLE.generate(twice, Query()))
    assert 0 < len(rows) <= 2 * sudoers.MAX_FILES


def test_sudoers_missing(tmp_path: Path) -> None:
    assert _q(Host(tmp_path), "SELECT * FROM sudoers") == []


def test_crontab_lines(tmp_path: Path) -> None:
    host = _root(
        tmp_path,
        {
            "etc/crontab": (
                "SHELL=/bin/sh\n"
                "# m h dom mon dow user command\n"
                "17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n"
                "   @reboot root /usr/bin/start\n"
                "@daily\n"
                "1 2 3 4 5\n"
            ),
            "etc/cron.d/e2scrub": "30 3 * * 0 root test -e /run/systemd/system || x\n",
            "etc/cron.d/.placeholder": "1 1 1 1 1 hidden\n",
            "var/spool/cron/crontabs/alice": "*/5 * * * * /home/alice/job.sh\n",
            "var/spool/cron/root": "0 0 * * * /root/rhel.sh\n",
        },
    )
    rows = _q(host, "SELECT * FROM crontab")
    assert rows == [
        {
            "event": None,
            "minute": "17",
            "hour": "*",
            "day_of_month": "*",
            "month": "*",
            "day_of_week": "*",
            "command": "root cd / && run-parts --report /etc/cron.hourly",
            "path": "/etc/crontab",
        },
        {
            "event": "@reboot",
            "minute": None,
            "hour": None,
            "day_of_month": None,
            "month": None,
            "day_of_week": None,
            "command": "root /usr/bin/start",
            "path": "/etc/crontab",
        },
        {
            "event": None,
            "minute": "30",
            "hour": "3",
            "day_of_month": "*",
            "month": "*",
            "day_of_week": "0",
            "command": "root test -e /run/systemd/system || x",
            "path": "/etc/cron.d/e2scrub",
        },
        {
            "event": None,
            "minute": "0",
            "hour": "0",
            "day_of_month": "*",
            "month": "*",
            "day_of_week": "*",
            "command": "/root/rhel.sh",
            "path": "/var/spool/cron/root",
        },
        {
            "event": None,
            "minute": "*/5",
            "hour": "*",
            "day_of_month": "*",
            "month": "*",
            "day_of_week": "*",
            "command": "/home/alice/job.sh",
            "path": "/var/spool/cron/crontabs/alice",
        },
    ]


YUM_CONF = """\
[main]
gpgcheck=1
reposdir=/etc/custom.repos.d
"""
REPO = """\
# comment
[baseos]
name = BaseOS $releasever
baseurl=https://example.com/baseos
enabled=1
gpgcheck=0
gpgkey=file:///etc/pki/key
repo_gpgcheck=1

[empty]
[appstream]
mirrorlist=https://mirrors/appstream
metalink=https://metalink
"""


def test_yum_sources(tmp_path: Path) -> None:
    host = _root(
        tmp_path,
        {
            "etc/yum.conf": YUM_CONF,
            "etc/custom.repos.d/a.repo": REPO,
            "etc/custom.repos.d/bad.repo": "[x]\nname=1\nname=2\n",
            "etc/custom.repos.d/other.txt": "[x]\nname=1\n",
            "etc/yum.repos.d/ignored.repo": "[x]\nname=ignored\n",
        },
    )
    rows = _q(host, "SELECT * FROM yum_sources")
    assert rows == [
        {
            "name": "BaseOS $releasever",
            "source": "/etc/custom.repos.d/a.repo",
            "baseurl": "https://example.com/baseos",
            "mirrorlist": None,
            "metalink": None,
            "enabled": "1",
            "gpgcheck": "0",
            "gpgkey": "file:///etc/pki/key",
        },
        {
            "name": None,
            "source": "/etc/custom.repos.d/a.repo",
            "baseurl": None,
            "mirrorlist": "https://mirrors/appstream",
            "metalink": "https://metalink",
            "enabled": None,
            "gpgcheck": None,
            "gpgkey": None,
        },
    ]


def test_yum_default_reposdir_and_top_level_keys(tmp_path: Path) -> None:
    host = _root(tmp_path, {"etc/yum.repos.d/r.repo": "stray=1\n[r]\nenabled=0\n"})
    rows = _q(host, "SELECT source, enabled FROM yum_sources")
    assert rows == [
        {"source": "/etc/yum.repos.d/r.repo", "enabled": None},
        {"source": "/etc/yum.repos.d/r.repo", "enabled": "0"},
    ]


def test_suid_bin(tmp_path: Path) -> None:
    host = _root(
        tmp_path,
        {
            "etc/passwd": "root:x:0:0::/root:/bin/sh\n",
            "etc/group": "root:x:0:\n",
            "usr/bin/su": "",
            "usr/bin/wall": "",
            "usr/bin/both": "",
            "usr/bin/plain": "",
            "usr/bin/sub/deep": "",
        },
    )
    os.symlink("usr/bin", tmp_path / "bin")
    os.symlink("/usr/bin/su", tmp_path / "usr/bin/su-link")
    os.chmod(tmp_path / "usr/bin/su", 0o4755)  # noqa: S103 (setuid bits under tmp_path)
    os.chmod(tmp_path / "usr/bin/wall", 0o2755)  # noqa: S103 (setuid bits under tmp_path)
    os.chmod(tmp_path / "usr/bin/both", 0o6755)  # noqa: S103 (setuid bits under tmp_path)
    os.chmod(tmp_path / "usr/bin/sub/deep", 0o4711)  # noqa: S103 (setuid bits under tmp_path)
    uid, gid = os.getuid(), os.getgid()
    user = "root" if uid == 0 else str(uid)
    group = "root" if gid == 0 else str(gid)
    rows = _q(host, "SELECT * FROM suid_bin")
    expected = [
        (prefix + name, perms)
        for prefix in ("/bin/", "/usr/bin/")
        for name, perms in (
            ("both", "SG"),
            ("su", "S"),
            ("su-link", "S"),
            ("sub/deep", "S"),
            ("wall", "G"),
        )
    ]
    assert [(r["path"], r["permissions"]) for r in rows] == expected
    assert {(r["username"], r["groupname"]) for r in rows} == {(user, group)}


_TEXT = st.text(alphabet=st.sampled_from(list("ab#@=[]; \t\n\r\v\\/*.%x\x00é")), max_size=300)


@given(text=_TEXT)
def test_config_parsers_never_crash(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        host = _root(
            Path(tmp),
            {
                "etc/sudoers": text,
                "etc/crontab": text,
                "etc/yum.conf": text,
                "etc/yum.repos.d/a.repo": text,
            },
        )
        for table in (sudoers.TABLE, crontab.TABLE, yum_sources.TABLE):
            for row in table.generate(host, Query()):
                assert set(row) <= _columns(table.name)
                assert all(isinstance(v, str) for v in row.values())


@given(text=_TEXT)
def test_read_ini_is_all_or_nothing(text: str) -> None:
    try:
        tree = yum_sources.read_ini(text)
    except yum_sources.IniError:
        return
    names = [name for name, _ in tree]
    assert len(names) == len(set(names))
