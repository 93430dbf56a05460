"""``process_open_sockets``: osquery/tables/networking/linux/process_open_sockets.cpp
(``genOpenSockets``) with the parsers of osquery/filesystem/linux/proc.cpp.

The pids are the ``pid =`` values (unless one is ``-1``) or every directory of
``/proc`` whose name ``atoll`` reads as positive, in *string* order (a
``std::set<std::string>``: ``10`` before ``9``). Per pid, ``/proc/<pid>/fd/*`` links
``socket:[inode]`` map an inode to (pid, fd); a later pid (and a later fd) overwrites
an earlier one. The socket lists are read through ``/proc/<pid>/net/`` of the first pid
of each network namespace (``/proc/<pid>/ns/net`` = ``net:[inode]``; unreadable: one
namespace 0): ``icmp, icmp6, tcp, tcp6, udp, udp6, udplite, udplite6, raw, raw6``
(protocol 1, 6, 17, 136, 255, the *file's* protocol: a raw socket is 255 whatever its
own), then ``unix`` and ``packet``. No process, no socket at all. A socket no fd maps
has pid and fd ``-1`` (dropped when filtering by pid).

Addresses decode as osquery's ``sscanf("%X")`` into the host's (little-endian) memory
and ``inet_ntop`` (glibc's, via Python: ``::ffff:127.0.0.1``); an address field not 8
(IPv4) or 32 (IPv6) characters long is ``""``, a port not 4 characters is 0. A field
``sscanf`` cannot read leaves osquery's buffer uninitialised: ``""`` here.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._runtime import WHITESPACE, read_text, split, sql_int, to_int

AF_UNIX, AF_INET, AF_INET6, AF_PACKET = 1, 2, 10, 17
IPPROTO_TCP = 6
# kLinuxProtocolNames, in std::map (key) order
PROTOCOL_FILES = ((1, "icmp"), (6, "tcp"), (17, "udp"), (136, "udplite"), (255, "raw"))
TCP_STATES = (
    *("UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2"),
    *("TIME_WAIT", "CLOSED", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"),
)
MAX_PROCESSES = 65_536
MAX_DESCRIPTORS = 1 << 20  # the kernel's nr_open ceiling
_PATH_MAX = 4096
_U32 = 1 << 32
# sscanf's %x: whitespace, a sign, an optional 0x, hex digits (the width counts all but
# the whitespace)
_SCAN_HEX = re.compile(rf"[{WHITESPACE}]*([+-]?)(0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]*)")
_NS = re.compile(rf"net:\[[{WHITESPACE}]*([+-]?)([0-9]+)\]")


@dataclass(frozen=True)
class SocketInfo:
    """osquery's ``SocketInfo``."""

    socket: str
    net_ns: int
    family: int
    protocol: int
    local_address: str = ""
    local_port: int = 0
    remote_address: str = ""
    remote_port: int = 0
    path: str = ""
    state: str = ""


def scan_hex(text: str, width: int | None = None) -> tuple[int, int] | None:
    """``sscanf(text, "%<width>x")``: (the value modulo 2**32, characters consumed), or
    None when nothing converts."""
    match = _SCAN_HEX.match(text)
    if match is None:
        return None
    lead = len(text) - len(text.lstrip(WHITESPACE))
    sign, prefix, digits = match.group(1), match.group(2) or "", match.group(3)
    if width is not None:
        room = width - len(sign)
        if len(prefix) > room:  # "0x" does not fit: the 0 is the number
            prefix, digits = "", "0" if room >= 1 and prefix else ""
        else:
            digits = digits[: room - len(prefix)]
    if not digits and not prefix:
        return None
    value = int(digits or "0", 16)
    if value >= 1 << 64:  # strtoul saturates, then the int is cut to 32 bits
        value = (1 << 64) - 1
    value = (-value if sign == "-" else value) % _U32
    return value, lead + len(sign) + len(prefix) + len(digits)


def decode_address(encoded: str, family: int) -> str:
    """osquery's ``procDecodeAddressFromHex``."""
    if family == AF_INET and len(encoded) == 8:
        scanned = scan_hex(encoded)
        if scanned is None:
            return ""
        return socket.inet_ntop(socket.AF_INET, scanned[0].to_bytes(4, "little"))
    if family == AF_INET6 and len(encoded) == 32:
        raw = b""
        rest = encoded
        for _ in range(4):
            scanned = scan_hex(rest, 8)
            if scanned is None:
                return ""
            raw += scanned[0].to_bytes(4, "little")
            rest = rest[scanned[1] :]
        return socket.inet_ntop(socket.AF_INET6, raw)
    return ""


def decode_short(encoded: str) -> int:
    """osquery's ``procDecodeUnsignedShortFromHex`` (``%hX`` of a 4-character field)."""
    if len(encoded) != 4:
        return 0
    scanned = scan_hex(encoded)
    return 0 if scanned is None else scanned[0] % (1 << 16)


def _tcp_state(field: str) -> str:
    """``strtoull(field, &end, 16)``: a state only when the whole field is read."""
    match = re.fullmatch(rf"[{WHITESPACE}]*([+-]?)(?:0[xX])?([0-9a-fA-F]+)", field)
    if match is None:
        return "UNKNOWN"
    value = int(match.group(2), 16)
    if match.group(1) == "-" and value:
        return "UNKNOWN"  # wraps to a huge value
    return TCP_STATES[value] if 0 < value < len(TCP_STATES) else "UNKNOWN"


def _has_header(lines: list[str], *starts: str) -> bool:
    return bool(lines) and lines[0].startswith(starts)


def parse_inet(content: str, family: int, protocol: int, net_ns: int = 0) -> list[SocketInfo]:
    """osquery's ``procGetSocketListInet``: the sockets of a ``/proc/net/{tcp,udp,...}[6]``."""
    lines = split(content, "\n")
    if not _has_header(lines, "sl", "sk"):
        return []
    found = []
    for line in lines[1:]:
        fields = split(line, " ")
        if len(fields) < 10:
            continue
        local, remote = split(fields[1], ":"), split(fields[2], ":")
        if len(local) != 2 or len(remote) != 2:
            continue
        found.append(
            SocketInfo(
                socket=fields[9],
                net_ns=net_ns,
                family=family,
                protocol=protocol,
                local_address=decode_address(local[0], family),
                local_port=decode_short(local[1]),
                remote_address=decode_address(remote[0], family),
                remote_port=decode_short(remote[1]),
                state=_tcp_state(fields[3]) if protocol == IPPROTO_TCP else "",
            )
        )
    return found


def parse_unix(content: str, net_ns: int = 0) -> list[SocketInfo]:
    """osquery's ``procGetSocketListUnix``: a path with spaces keeps its first word."""
    lines = split(content, "\n")
    if not _has_header(lines, "Num"):
        return []
    found = []
    for line in lines[1:]:
        fields = split(line, " ")
        if len(fields) < 7:
            continue
        found.append(
            SocketInfo(
                socket=fields[6],
                net_ns=net_ns,
                family=AF_UNIX,
                protocol=to_int(fields[2], unsigned=False) or 0,
                path=fields[7] if len(fields) >= 8 else "",
            )
        )
    return found


def parse_packet(content: str, net_ns: int = 0) -> list[SocketInfo]:
    """osquery's ``procGetSocketListPacket`` (every protocol)."""
    lines = split(content, "\n")
    if not _has_header(lines, "sl", "sk"):
        return []
    found = []
    for line in lines[1:]:
        fields = split(line, " ")
        if len(fields) < 9:
            continue
        found.append(
            SocketInfo(
                socket=fields[8],
                net_ns=net_ns,
                family=AF_PACKET,
                protocol=decode_short(fields[3]),
                state="NONE",
            )
        )
    return found


def _readlink(path: Path) -> str | None:
    try:
        target = os.readlink(os.fsencode(path))
    except (OSError, ValueError):
        return None
    return target[: _PATH_MAX - 1].decode("utf-8", errors="replace")


def _atoll_positive(name: str) -> bool:
    return (to_int(name, unsigned=False) or 0) > 0


def process_ids(proc: Path) -> list[str]:
    """osquery's ``procProcesses``: directories ``atoll`` reads as positive, as a
    ``std::set<std::string>``."""
    pids: set[str] = set()
    try:
        with os.scandir(proc) as entries:
            for entry in entries:
                if _atoll_positive(entry.name) and entry.is_dir():
                    pids.add(entry.name)
                    if len(pids) >= MAX_PROCESSES:
                        break
    except OSError:
        return []
    return sorted(pids)


def _fd_order(name: str) -> tuple[int, str]:
    # procfs lists a process's descriptors in numeric order
    return (int(name) if name.isdigit() else 1 << 62, name)


def socket_owners(proc: Path, pid: str, owners: dict[str, tuple[str, str]]) -> None:
    """osquery's ``procGetSocketInodeToProcessInfoMap``: inode -> (pid, fd), in place."""
    try:
        with os.scandir(proc / pid / "fd") as entries:
            names = [e.name for _, e in zip(range(MAX_DESCRIPTORS), entries, strict=False)]
    except OSError:
        return
    for fd in sorted(names, key=_fd_order):
        link = _readlink(proc / pid / "fd" / fd)
        if link is not None and link.startswith("socket:["):
            owners[link[8:-1]] = (pid, fd)


def net_namespace(proc: Path, pid: str) -> int:
    """osquery's ``procGetNamespaceInode`` for ``net``: 0 when it cannot be read."""
    link = _readlink(proc / pid / "ns" / "net")
    match = _NS.match(link or "")
    if match is None:
        return 0
    value = min(int(match.group(2)), (1 << 64) - 1)
    return (-value if match.group(1) == "-" else value) % (1 << 64)


def socket_list(proc: Path, pid: str, net_ns: int) -> list[SocketInfo]:
    """Step 3 of ``genOpenSockets``: every socket of the pid's network namespace."""
    base = proc / pid / "net"
    found: list[SocketInfo] = []
    for protocol, name in PROTOCOL_FILES:
        for family, suffix in ((AF_INET, ""), (AF_INET6, "6")):
            content = read_text(base / f"{name}{suffix}")
            if content is not None:
                found += parse_inet(content, family, protocol, net_ns)
    content = read_text(base / "unix")
    if content is not None:
        found += parse_unix(content, net_ns)
    content = read_text(base / "packet")
    if content is not None:
        found += parse_packet(content, net_ns)
    return found


def _safe_pid(pid: str) -> bool:
    # osquery puts the value in a path as it is; here it may not leave /proc/<name>
    return bool(pid) and "/" not in pid and pid not in (".", "..") and "\0" not in pid


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    proc = host.runtime.proc
    wanted = set(query.texts("pid"))
    pid_filter = bool(wanted) and "-1" not in wanted
    pids = sorted(p for p in wanted if _safe_pid(p)) if pid_filter else process_ids(proc)
    owners: dict[str, tuple[str, str]] = {}
    namespaces: set[int] = set()
    sockets: list[SocketInfo] = []
    for pid in pids:
        socket_owners(proc, pid, owners)
        ns = net_namespace(proc, pid)
        if ns not in namespaces:
            namespaces.add(ns)
            sockets += socket_list(proc, pid, ns)
    for info in sockets:
        owner = owners.get(info.socket)
        if owner is None and pid_filter:
            continue
        pid, fd = owner if owner is not None else ("-1", "-1")
        yield {
            "pid": sql_int(pid, integer=True),
            "fd": sql_int(fd),
            "socket": sql_int(info.socket),
            "family": info.family,
            "protocol": info.protocol,
            "local_address": info.local_address,
            "local_port": info.local_port,
            "remote_address": info.remote_address,
            "remote_port": info.remote_port,
            "path": info.path,
            "state": info.state,
            "net_namespace": str(info.net_ns),
        }


TABLE = Table("process_open_sockets", generate, runtime=True, constrained=("pid",))
