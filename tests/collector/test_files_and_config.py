"""file, augeas, system_controls, os_version and deb_packages over a root directory, and
the virtual tables' constraint pushdown (osquery's QueryContext)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from trails.collector.database import open_host_db, query
from trails.collector.hoststate import materialise
from trails.collector.interface import Host, Query
from trails.collector.tables import deb_packages, os_version, system_controls

UBUNTU_RELEASE = (
    'NAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\n'
    "ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n"
)


def _host(tmp: Path, state: dict[str, Any]) -> Host:
    return materialise(state, tmp / "host")


def _q(host: Host, sql: str) -> list[dict[str, Any]]:
    return query(open_host_db(host), sql)


def test_file_needs_a_path_and_globs_like_osquery(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        {
            "files": {
                "/etc/ssh/sshd_config": {"content": "x\n", "mode": "0600"},
                "/etc/ssh/sshd_config.d/50-cloud.conf": "PasswordAuthentication yes\n",
                "/etc/ssh/sshd_config.d/README": "",
                "/etc/motd": {"link": "/etc/ssh/sshd_config"},
            }
        },
    )
    assert _q(host, "SELECT path FROM file") == []  # osquery: file requires a path
    rows = _q(
        host, "SELECT path, directory, filename, mode, type FROM file WHERE path LIKE '/etc/ssh/%'"
    )
    assert rows == [
        {
            "path": "/etc/ssh/sshd_config",
            "directory": "/etc/ssh",
            "filename": "sshd_config",
            "mode": "0600",
            "type": "regular",
        },
        {  # a matched directory keeps the glob's "/": boost makes it its own parent
            "path": "/etc/ssh/sshd_config.d/",
            "directory": "/etc/ssh/sshd_config.d",
            "filename": ".",
            "mode": "0755",
            "type": "directory",
        },
    ]
    recursive = _q(host, "SELECT path FROM file WHERE path LIKE '/etc/ssh/%%'")
    assert [r["path"] for r in recursive] == [
        "/etc/ssh/sshd_config",
        "/etc/ssh/sshd_config.d/",
        "/etc/ssh/sshd_config.d/50-cloud.conf",
        "/etc/ssh/sshd_config.d/README",
    ]
    (link,) = _q(
        host, "SELECT symlink, symlink_target_path, mode FROM file WHERE path = '/etc/motd'"
    )
    assert link == {"symlink": 1, "symlink_target_path": "/etc/ssh/sshd_config", "mode": "0600"}
    listed = _q(host, "SELECT filename FROM file WHERE directory = '/etc/ssh/sshd_config.d'")
    assert [r["filename"] for r in listed] == ["50-cloud.conf", "README"]
    assert _q(host, "SELECT path FROM file WHERE path = '/../../etc/passwd'") == []


def test_augeas_uses_only_osquery_lenses_and_its_path_patterns(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        {
            "files": {
                "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nMaxAuthTries 4\n",
                "/etc/ssh/sshd_config.d/10-x.conf": "MaxAuthTries 6\n",
                "/etc/modprobe.d/cramfs.conf": "install cramfs /bin/false\nblacklist cramfs\n",
            }
        },
    )
    sshd = _q(host, "SELECT label, value FROM augeas WHERE path = '/etc/ssh/sshd_config'")
    assert {"label": "MaxAuthTries", "value": "4"} in sshd
    # the 1.12.0 sshd lens osquery 5.23.1 ships does not include drop-ins
    assert _q(host, "SELECT * FROM augeas WHERE path = '/etc/ssh/sshd_config.d/10-x.conf'") == []
    modprobe = _q(
        host,
        "SELECT node, label, value FROM augeas WHERE path IN "
        "(SELECT path FROM file WHERE path LIKE '/etc/modprobe.d/%.conf') AND label <> ''",
    )
    node = "/files/etc/modprobe.d/cramfs.conf"
    assert {"node": f"{node}/install", "label": "install", "value": "cramfs"} in modprobe
    assert {
        "node": f"{node}/install/command",
        "label": "command",
        "value": "/bin/false",
    } in modprobe
    # LIKE with a trailing wildcard: osquery matches the file nodes only, not their children
    top = _q(host, "SELECT node FROM augeas WHERE path LIKE '/etc/modprobe.d/%'")
    assert top == [{"node": node}]


def test_system_controls_runtime_and_persisted_values_in_osquery_order(tmp_path: Path) -> None:
    state = {
        "files": {
            "/etc/sysctl.conf": "kernel.randomize_va_space=1\n",
            "/etc/sysctl.d/60-cis.conf": "# comment\nkernel.randomize_va_space = 2\nbad = a = b\n",
            "/usr/lib/sysctl.d/50-default.conf": "net.ipv4.ip_forward = 0\n",
        },
        "runtime": {"sysctl": {"kernel.randomize_va_space": "2", "net.ipv4.ip_forward": "1"}},
    }
    host = _host(tmp_path, state)
    rows = _q(
        host,
        "SELECT name, subsystem, current_value, config_value FROM system_controls "
        "WHERE name IN ('kernel.randomize_va_space', 'net.ipv4.ip_forward') ORDER BY name",
    )
    assert rows == [
        {
            "name": "kernel.randomize_va_space",
            "subsystem": "kernel",
            "current_value": "2",
            "config_value": "2",
        },
        {
            "name": "net.ipv4.ip_forward",
            "subsystem": "net",
            "current_value": "1",
            "config_value": "0",
        },
    ]
    assert system_controls.config_values(host).get("bad") is None
    no_runtime = Host(host.root)
    assert _q(no_runtime, "SELECT * FROM system_controls WHERE name = 'kernel.ostype'") == []


def test_os_version_of_ubuntu_rhel_and_an_unknown_root(tmp_path: Path) -> None:
    ubuntu = _host(tmp_path / "u", {"files": {"/etc/os-release": UBUNTU_RELEASE}})
    (row,) = _q(ubuntu, "SELECT name, version, major, minor, platform, codename FROM os_version")
    assert row == {
        "name": "Ubuntu",
        "version": "22.04.4 LTS (Jammy Jellyfish)",
        "major": 22,
        "minor": 4,
        "platform": "ubuntu",
        "codename": "jammy",
    }
    rhel = _host(
        tmp_path / "r",
        {
            "files": {
                "/etc/os-release": 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.4"\n',
                "/etc/redhat-release": "Rocky Linux release 9.4 (Blue Onyx)\n",
            }
        },
    )
    (row,) = _q(rhel, "SELECT name, version, major, minor, platform FROM os_version")
    assert row == {
        "name": "Rocky Linux",
        "version": "Rocky Linux release 9.4 (Blue Onyx)",
        "major": 9,
        "minor": 4,
        "platform": "rhel",
    }
    empty = _host(tmp_path / "e", {})
    (row,) = _q(empty, "SELECT name, platform, major FROM os_version")
    assert row == {"name": "Unknown", "platform": "posix", "major": 0}


def test_deb_packages_keep_config_files_and_drop_not_installed(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        {
            "packages": [
                "openssh-server=1:8.9p1-3ubuntu0.6",
                {"name": "telnet", "status": "deinstall ok config-files"},
                {"name": "rsh-client", "status": "purge ok not-installed"},
            ]
        },
    )
    rows = _q(host, "SELECT name, version, revision, status, admindir FROM deb_packages")
    assert rows == [
        {
            "name": "openssh-server",
            "version": "1:8.9p1-3ubuntu0.6",
            "revision": "3ubuntu0.6",
            "status": "install ok installed",
            "admindir": "/var/lib/dpkg",
        },
        {
            "name": "telnet",
            "version": "1.0-1",
            "revision": "1",
            "status": "deinstall ok config-files",
            "admindir": "/var/lib/dpkg",
        },
    ]


def test_this_machine_is_read_as_it_is() -> None:
    from trails.collector.interface import LIVE

    host = Host(Path("/"), LIVE)
    (aslr,) = _q(
        host, "SELECT current_value FROM system_controls WHERE name = 'kernel.randomize_va_space'"
    )
    with open("/proc/sys/kernel/randomize_va_space") as handle:
        assert aslr["current_value"] == handle.read().strip()
    (passwd,) = _q(host, "SELECT mode, uid FROM file WHERE path = '/etc/passwd'")
    assert passwd == {"mode": f"{os.stat('/etc/passwd').st_mode & 0o7777:04o}", "uid": 0}


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parsers_take_any_text(text: str) -> None:
    for fields in deb_packages.stanzas(text):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())


@settings(max_examples=50, deadline=None)
@given(os_release=st.text(), sysctl=st.text(), status=st.text())
def test_tables_never_crash_on_junk_files(os_release: str, sysctl: str, status: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        clean = {
            k: v.replace("\x00", "") for k, v in (("o", os_release), ("s", sysctl), ("d", status))
        }
        host = materialise(
            {
                "files": {
                    "/etc/os-release": clean["o"],
                    "/etc/sysctl.conf": clean["s"],
                    "/var/lib/dpkg/status": clean["d"],
                },
                "runtime": {},
            },
            Path(tmp),
        )
        assert len(list(os_version.generate(host, Query()))) == 1
        assert all(r["name"] for r in deb_packages.generate(host, Query()))
        assert isinstance(system_controls.config_values(host), dict)


def test_symlinks_resolve_inside_the_root(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        {
            "files": {
                "/usr/lib/os-release": UBUNTU_RELEASE,
                "/etc/os-release": {"link": "/usr/lib/os-release"},
                "/etc/escape": {"link": "../../../../../../etc/hostname"},
            }
        },
    )
    (row,) = _q(host, "SELECT platform FROM os_version")
    assert row == {"platform": "ubuntu"}
    assert host.path("/etc/escape") == host.root / "etc" / "hostname"
    assert host.path("/etc/os-release", follow=False) == host.root / "etc" / "os-release"


def test_augeas_never_reads_this_machines_file_for_the_root(tmp_path: Path) -> None:
    """authselect links /etc/pam.d/system-auth -> /etc/authselect/system-auth: libaugeas
    would follow the absolute target on the machine running the collector."""
    host = _host(
        tmp_path,
        {
            "files": {
                "/etc/authselect/system-auth": "auth required pam_env.so\n",
                "/etc/pam.d/system-auth": {"link": "/etc/authselect/system-auth"},
                "/etc/pam.d/other": "auth required pam_deny.so\n",
            }
        },
    )
    rows = _q(host, "SELECT DISTINCT path FROM augeas WHERE path LIKE '/etc/pam.d/%'")
    assert rows == [{"path": "/etc/pam.d/other"}]
