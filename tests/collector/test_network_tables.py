"""listening_ports, process_open_sockets and interface_details over host states and
fake /proc and /sys trees; the /proc/net parsers against what the kernel prints."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from trails.collector.database import open_host_db, query
from trails.collector.hoststate import materialise, proc_net_address
from trails.collector.interface import Host, Query, Runtime
from trails.collector.tables import interfaces, process_open_sockets
from trails.collector.tables.process_open_sockets import (
    decode_address,
    decode_short,
    parse_inet,
    parse_packet,
    parse_unix,
)

ANY4 = "0.0.0.0"  # noqa: S104 - an address as osquery prints it
PASSWD = "root:x:0:0:root:/root:/bin/bash\n_chrony:x:118:126::/var/lib/chrony:/usr/sbin/nologin\n"
TCP = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
    "        0 23456 1 0000000000000000 100 0 0 10 0\n"
    "   1: 0F02000A:0016 0102000A:D431 01 00000000:00000000 02:0009A3F5 00000000     0"
    "        0 23457 4 0000000000000000 20 4 31 10 -1\n"
    "   2: short line\n"
)
TCP6 = (
    "  sl  local_address                         remote_address                        st\n"
    "   0: 0000000000000000FFFF00000100007F:01BB 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000   33        0 777 1 0000000000000000\n"
)
UNIX = (
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 15000 /run/systemd/private\n"
    "0000000000000000: 00000003 00000000 00000000 0001 03 15001\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 15002 @/tmp/.X11-unix/X0\n"
)
PACKET = (
    "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
    "0000000000000000 3      3    0003   2     1 0      0      16000\n"
)


def _host(tmp_path: Path, state: dict[str, Any]) -> Host:
    return materialise(state, tmp_path)


def _rows(host: Host, sql: str) -> list[dict[str, Any]]:
    return query(open_host_db(host), sql)


def test_listening_ports_from_a_host_state(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        {
            "files": {"/etc/passwd": PASSWD},
            "runtime": {
                "processes": [
                    {"pid": 900, "name": "master", "cmdline": "/usr/lib/postfix/sbin/master -w"},
                    {"pid": 700, "name": "chronyd", "user": "_chrony"},
                ],
                "sockets": [
                    {"protocol": "tcp", "address": "127.0.0.1", "port": 25, "pid": 900},
                    {"protocol": "tcp", "address": "::1", "port": 25, "pid": 900},
                    {"protocol": "udp", "address": "::", "port": 323, "pid": 700},
                    {"protocol": "tcp", "address": ANY4, "port": 587},
                ],
            },
        },
    )
    ns = "4026531840"
    assert _rows(host, "SELECT * FROM listening_ports") == [
        {"pid": 900, "port": 25, "protocol": 6, "family": 2, "address": "127.0.0.1",
         "fd": 3, "socket": 30000, "path": None, "net_namespace": ns},
        {"pid": -1, "port": 587, "protocol": 6, "family": 2, "address": ANY4,
         "fd": -1, "socket": 30003, "path": None, "net_namespace": ns},
        {"pid": 900, "port": 25, "protocol": 6, "family": 10, "address": "::1",
         "fd": 4, "socket": 30001, "path": None, "net_namespace": ns},
        {"pid": 700, "port": 323, "protocol": 17, "family": 10, "address": "::",
         "fd": 3, "socket": 30002, "path": None, "net_namespace": ns},
    ]  # fmt: skip
    assert _rows(host, "SELECT pid, name, uid, cmdline FROM processes") == [
        {"pid": 1, "name": "systemd", "uid": 0, "cmdline": "/sbin/init"},
        {"pid": 700, "name": "chronyd", "uid": 118, "cmdline": ""},
        {"pid": 900, "name": "master", "uid": 0, "cmdline": "/usr/lib/postfix/sbin/master -w"},
    ]
    # a pid filter drops the sockets nobody owns
    assert _rows(host, "SELECT socket, state FROM process_open_sockets WHERE pid = 900") == [
        {"socket": 30000, "state": "LISTEN"},
        {"socket": 30001, "state": "LISTEN"},
    ]
    # pid = -1 scans every process; SQLite then keeps the socket nobody owns
    assert _rows(host, "SELECT socket FROM process_open_sockets WHERE pid = -1") == [
        {"socket": 30003}
    ]


def test_no_runtime_and_no_process_mean_no_socket(tmp_path: Path) -> None:
    assert _rows(_host(tmp_path / "a", {}), "SELECT * FROM listening_ports") == []
    # osquery reads the socket lists only through /proc/<pid>/net
    runtime = tmp_path / "b" / "proc"
    (runtime / "net").mkdir(parents=True)
    (runtime / "net" / "tcp").write_text(TCP)
    host = Host(root=tmp_path, runtime=Runtime(proc=runtime, sys=tmp_path / "sys"))
    assert list(process_open_sockets.generate(host, Query())) == []


def _fake_proc(tmp_path: Path) -> Host:
    proc = tmp_path / "proc"
    for pid in ("10", "9"):
        (proc / pid / "fd").mkdir(parents=True)
    net = proc / "9" / "net"
    net.mkdir()
    for name, text in (("tcp", TCP), ("tcp6", TCP6), ("unix", UNIX), ("packet", PACKET)):
        (net / name).write_text(text)
    (net / "udp").write_text("garbage header\n   0: 0100007F:0035 00000000:0000 07 x x x 0 0 1\n")
    (proc / "9" / "fd" / "4").symlink_to("socket:[23456]")
    # shared: the later pid in string order ("9" after "10") wins
    (proc / "10" / "fd" / "7").symlink_to("socket:[23456]")
    (proc / "10" / "fd" / "8").symlink_to("socket:[15000]")
    (proc / "10" / "fd" / "0").symlink_to("/dev/null")
    (proc / "10" / "net").symlink_to("../9/net")  # no ns link: both in namespace 0
    return Host(root=tmp_path, runtime=Runtime(proc=proc, sys=tmp_path / "sys"))


def test_process_open_sockets_correlation_and_listening_filter(tmp_path: Path) -> None:
    host = _fake_proc(tmp_path)
    rows = _rows(host, "SELECT pid, fd, socket, family, protocol, local_address, local_port, "
                 "remote_address, remote_port, path, state FROM process_open_sockets")  # fmt: skip
    # "10" < "9": /proc/10/net (the same files) is read, namespace 0 once
    assert rows == [
        {"pid": 9, "fd": 4, "socket": 23456, "family": 2, "protocol": 6,
         "local_address": "127.0.0.1", "local_port": 25, "remote_address": ANY4,
         "remote_port": 0, "path": "", "state": "LISTEN"},
        {"pid": -1, "fd": -1, "socket": 23457, "family": 2, "protocol": 6,
         "local_address": "10.0.2.15", "local_port": 22, "remote_address": "10.0.2.1",
         "remote_port": 54321, "path": "", "state": "ESTABLISHED"},
        {"pid": -1, "fd": -1, "socket": 777, "family": 10, "protocol": 6,
         "local_address": "::ffff:127.0.0.1", "local_port": 443, "remote_address": "::",
         "remote_port": 0, "path": "", "state": "LISTEN"},
        {"pid": 10, "fd": 8, "socket": 15000, "family": 1, "protocol": 0,
         "local_address": "", "local_port": 0, "remote_address": "", "remote_port": 0,
         "path": "/run/systemd/private", "state": ""},
        {"pid": -1, "fd": -1, "socket": 15001, "family": 1, "protocol": 0,
         "local_address": "", "local_port": 0, "remote_address": "", "remote_port": 0,
         "path": "", "state": ""},
        {"pid": -1, "fd": -1, "socket": 15002, "family": 1, "protocol": 0,
         "local_address": "", "local_port": 0, "remote_address": "", "remote_port": 0,
         "path": "@/tmp/.X11-unix/X0", "state": ""},
        {"pid": -1, "fd": -1, "socket": 16000, "family": 17, "protocol": 3,
         "local_address": "", "local_port": 0, "remote_address": "", "remote_port": 0,
         "path": "", "state": "NONE"},
    ]  # fmt: skip
    listening = _rows(host, "SELECT pid, port, protocol, family, address, socket, path "
                      "FROM listening_ports")  # fmt: skip
    assert listening == [
        {"pid": 9, "port": 25, "protocol": 6, "family": 2, "address": "127.0.0.1",
         "socket": 23456, "path": None},
        {"pid": -1, "port": 443, "protocol": 6, "family": 10, "address": "::ffff:127.0.0.1",
         "socket": 777, "path": None},
        {"pid": 10, "port": 0, "protocol": 0, "family": 1, "address": None, "socket": 0,
         "path": "/run/systemd/private"},
        {"pid": -1, "port": 0, "protocol": 0, "family": 1, "address": None, "socket": 0,
         "path": "@/tmp/.X11-unix/X0"},
        {"pid": -1, "port": 0, "protocol": 3, "family": 17, "address": "", "socket": 16000,
         "path": None},
    ]  # fmt: skip


def test_interface_details_from_a_host_state(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        {
            "runtime": {
                "interfaces": {
                    "eth0": {"mac": "52:54:00:12:34:56", "driver": "e1000e",
                             "pci_slot": "0000:00:1f.6", "speed": 1000,
                             "statistics": {"rx_bytes": 2**32 + 5, "tx_packets": 7}},
                    "wlan0": {"wireless": True, "up": False},
                    "tun0": {"type": 65534, "mac": "", "flags": "0x1091", "mtu": 1400},
                }
            }
        },
    )  # fmt: skip
    rows = _rows(host, "SELECT interface, mac, type, mtu, metric, flags, ibytes, opackets, "
                 "link_speed, pci_slot, last_change FROM interface_details")  # fmt: skip
    assert rows == [
        {"interface": "lo", "mac": "00:00:00:00:00:00", "type": 4, "mtu": 65536, "metric": 0,
         "flags": 0x10049, "ibytes": 0, "opackets": 0, "link_speed": 0, "pci_slot": None,
         "last_change": -1},
        {"interface": "eth0", "mac": "52:54:00:12:34:56", "type": 1, "mtu": 1500, "metric": 0,
         "flags": 0x11043, "ibytes": 5, "opackets": 7, "link_speed": 1000,
         "pci_slot": "0000:00:1f.6", "last_change": -1},
        {"interface": "wlan0", "mac": rows[2]["mac"], "type": 1, "mtu": 1500, "metric": 0,
         "flags": 0x1002, "ibytes": 0, "opackets": 0, "link_speed": 0,
         "pci_slot": "0000:04:00.0", "last_change": -1},
        {"interface": "tun0", "mac": "00:00:00:00:00:00", "type": 254, "mtu": 1400,
         "metric": 0, "flags": 0x110D1, "ibytes": 0, "opackets": 0, "link_speed": 1000,
         "pci_slot": None, "last_change": -1},
    ]  # fmt: skip
    sys = tmp_path / "root" / "sys" / "class" / "net" / "wlan0"
    assert (sys / "wireless").is_dir()
    assert os.path.basename(os.path.realpath(sys / "device" / "driver" / "module")) == "iwlwifi"
    # the file table sees the running system's /sys
    assert _rows(host, "SELECT path FROM file WHERE path LIKE '/sys/class/net/%/wireless%'") == [
        {"path": "/sys/class/net/wlan0/wireless/"}
    ]
    assert _rows(_host(tmp_path / "none", {}), "SELECT * FROM interface_details") == []


def test_interface_flags() -> None:
    assert interfaces.sysfs_flags("0x1003\n") == 0x1003
    assert interfaces.sysfs_flags("4099\n") == 0
    assert interfaces.sysfs_flags("0x\n") == 0
    # promiscuous and down: only the sysfs half
    assert interfaces.osquery_flags(0x1102, "down", "", "") == 0x1102
    assert interfaces.osquery_flags(0x1003, "dormant", "1", "1") == 0x31003
    assert interfaces.mac_text("00:11:22:33:44:55:66:77\n") == "00:11:22:33:44:55"
    assert interfaces.mac_text("zz") == "00:00:00:00:00:00"


def test_address_decoding() -> None:
    assert decode_address("0100007F", 2) == "127.0.0.1"
    assert decode_address("00000000000000000000000001000000", 10) == "::1"
    assert decode_address("0000000000000000FFFF00000100007F", 10) == "::ffff:127.0.0.1"
    assert decode_address("100007F", 2) == ""  # not 8 characters
    assert decode_address("ZZZZZZZZ", 2) == ""
    assert decode_short("0019") == 25
    assert decode_short("19") == 0
    assert proc_net_address("10.0.2.15") == ("0F02000A", 2)


@given(st.integers(0, 2**32 - 1), st.integers(0, 65535))
def test_ipv4_lines_round_trip(address: int, port: int) -> None:
    text = str(ipaddress.IPv4Address(address))
    encoded, family = proc_net_address(text)
    line = f"   0: {encoded}:{port:04X} 00000000:0000 0A 0:0 0:0 0 0 0 4242 1 0 100 0 0 10 0"
    (info,) = parse_inet("  sl  local_address\n" + line + "\n", family, 6)
    assert (info.local_address, info.local_port, info.socket, info.state) == (
        text, port, "4242", "LISTEN")  # fmt: skip


@given(st.binary(min_size=16, max_size=16), st.integers(0, 65535))
def test_ipv6_lines_round_trip(raw: bytes, port: int) -> None:
    text = socket.inet_ntop(socket.AF_INET6, raw)
    encoded, family = proc_net_address(text)
    assert family == 10
    line = f"0: {encoded}:{port:04X} {'0' * 32}:0000 07 0:0 0:0 0 0 0 99"
    (info,) = parse_inet("sl\n" + line, family, 17)
    assert ipaddress.IPv6Address(info.local_address).packed == raw
    assert (info.local_port, info.remote_address, info.state) == (port, "::", "")


@given(st.text(max_size=300))
def test_parsers_take_any_text(text: str) -> None:
    for content in (text, "sl\n" + text, "Num\n" + text, "sk\n" + text):
        for family in (2, 10):
            for info in parse_inet(content, family, 6):
                assert 0 <= info.local_port < 65536
                assert info.state in process_open_sockets.TCP_STATES
        assert all(i.family == 1 for i in parse_unix(content))
        assert all(i.state == "NONE" for i in parse_packet(content))


@given(st.text(alphabet="0123456789abcdefABCDEFxX+- \t", max_size=40))
def test_address_decoding_never_raises(text: str) -> None:
    for family in (2, 10):
        decoded = decode_address(text, family)
        assert decoded == "" or ipaddress.ip_address(decoded).version in (4, 6)
    assert 0 <= decode_short(text) < 65536
