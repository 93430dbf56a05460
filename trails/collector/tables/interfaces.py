"""``interface_details``: osquery/tables/networking/posix/interfaces.cpp
(``genInterfaceDetails``, Linux) read from ``/sys/class/net/<if>/`` only.

osquery takes one row per link from ``getifaddrs`` (netlink, ifindex order) and asks
ioctls for the rest; every value comes here from the sysfs file the kernel fills from
the same field:

- ``flags``: osquery keeps the netlink flags (``dev_get_flags``) outside ``sysfsFlags``
  and takes those inside from ``flags``. The netlink-only bits are rebuilt as the
  kernel builds them: ``IFF_RUNNING`` (0x40) when up and ``operstate`` is ``up`` or
  ``unknown``, ``IFF_LOWER_UP`` (0x10000) when up with ``carrier`` 1, ``IFF_DORMANT``
  (0x20000) with ``dormant`` 1: an Ethernet link up is 69699 (0x11043), not the 4163 of
  ``ifconfig``; ``lo`` is 65609.
- ``type``: ``SIOCGIFHWADDR``'s ``sa_family`` cast to an unsigned char by osquery: ``lo``
  (ARPHRD_LOOPBACK, 772) is 4, ARPHRD_NONE (65534) 254.
- counters: ``statistics/*``, cut to 32 bits (``struct rtnl_link_stats``).
- ``mac``: the first 6 bytes of ``address`` (zeros when shorter or unreadable);
  ``mtu``: ``mtu``; ``metric`` 0 (Linux's ``SIOCGIFMETRIC``); ``last_change`` -1.
- ``link_speed``: ``speed`` (Mb/s); 0 when unknown (-1) or unreadable (the kernel
  refuses it for a link that is down; osquery's ethtool ioctl may still see the
  driver's setting there).
- ``pci_slot``: the name of the ``device`` the link hangs on (ethtool's ``bus_info``
  for PCI and virtio drivers); NULL without one (osquery: ``-1``, or a virtual
  driver's own text).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._runtime import WHITESPACE, read_text, to_int

IFF_UP, IFF_RUNNING, IFF_LOWER_UP, IFF_DORMANT = 0x1, 0x40, 0x10000, 0x20000
IFF_PROMISC, IFF_ALLMULTI = 0x100, 0x200
# osquery's sysfsFlags: UP DEBUG NOTRAILERS NOARP PROMISC ALLMULTI MULTICAST PORTSEL
# AUTOMEDIA DYNAMIC
SYSFS_FLAGS = 0x1 | 0x4 | 0x20 | 0x80 | 0x100 | 0x200 | 0x1000 | 0x2000 | 0x4000 | 0x8000
MAX_INTERFACES = 4096
_SMALL = 4096
_U32 = 1 << 32
_HEX = re.compile(rf"[{WHITESPACE}]*(?:0[xX])?([0-9a-fA-F]+)")
COUNTERS = (
    ("ipackets", "rx_packets"),
    ("opackets", "tx_packets"),
    ("ibytes", "rx_bytes"),
    ("obytes", "tx_bytes"),
    ("ierrors", "rx_errors"),
    ("oerrors", "tx_errors"),
    ("idrops", "rx_dropped"),
    ("odrops", "tx_dropped"),
    ("collisions", "collisions"),
)


def _read(path: Path) -> str | None:
    return read_text(path, _SMALL)


def _number(path: Path) -> int | None:
    text = _read(path)
    return None if text is None else to_int(text, unsigned=False)


def sysfs_flags(content: str | None) -> int:
    """osquery's ``flagsFromSysfs`` reading of ``flags`` (``0xVALUE\\n``): the flags
    (0 when the file does not have that form)."""
    if content is None or len(content) <= 3 or not content.startswith("0x"):
        return 0
    match = _HEX.match(content[2:-1])
    return int(match.group(1), 16) % (1 << 64) if match else 0


def netlink_flags(device_flags: int, operstate: str, carrier: str, dormant: str) -> int:
    """The kernel's ``dev_get_flags`` from sysfs: the device flags with the operational
    bits set from ``operstate``, ``carrier`` and ``dormant``."""
    flags = device_flags & ~(IFF_PROMISC | IFF_ALLMULTI | IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT)
    flags |= device_flags & (IFF_PROMISC | IFF_ALLMULTI)
    if device_flags & IFF_UP:
        if operstate in ("up", "unknown"):
            flags |= IFF_RUNNING
        if carrier == "1":
            flags |= IFF_LOWER_UP
        if dormant == "1":
            flags |= IFF_DORMANT
    return flags


def osquery_flags(device_flags: int, operstate: str, carrier: str, dormant: str) -> int:
    """``flags`` as osquery reports it: netlink's outside ``sysfsFlags``, sysfs' inside."""
    netlink = netlink_flags(device_flags, operstate, carrier, dormant)
    return (netlink & ~SYSFS_FLAGS) | (device_flags & SYSFS_FLAGS)


def mac_text(address: str | None) -> str:
    """``SIOCGIFHWADDR``'s first 6 bytes as osquery prints them."""
    raw: list[int] = []
    for part in (address or "").strip(WHITESPACE).split(":"):
        if re.fullmatch(r"[0-9a-fA-F]{1,2}", part) is None:
            break
        raw.append(int(part, 16))
    raw = (raw + [0] * 6)[:6]
    return ":".join(f"{b:02x}" for b in raw)


def _interfaces(net: Path) -> list[str]:
    found: list[tuple[int, str]] = []
    try:
        with os.scandir(net) as entries:
            for entry in entries:
                if entry.is_dir():  # bonding_masters is a file
                    index = _number(Path(entry.path) / "ifindex")
                    found.append((index if index is not None else 1 << 62, entry.name))
                    if len(found) >= MAX_INTERFACES:
                        break
    except OSError:
        return []
    return [name for _, name in sorted(found)]


def _word(path: Path) -> str:
    return (_read(path) or "").strip(WHITESPACE)


def interface(base: Path, name: str) -> Row:
    """The row of ``/sys/class/net/<name>``."""
    operstate, carrier, dormant = (_word(base / f) for f in ("operstate", "carrier", "dormant"))
    kind = _number(base / "type")
    speed = _number(base / "speed")
    row: Row = {
        "interface": name,
        "mac": mac_text(_read(base / "address")),
        "type": None if kind is None else kind % 256,
        "mtu": _number(base / "mtu"),
        "metric": 0,
        "flags": osquery_flags(sysfs_flags(_read(base / "flags")), operstate, carrier, dormant),
        "last_change": -1,
        "link_speed": speed % _U32 if speed is not None and speed % _U32 != _U32 - 1 else 0,
        "pci_slot": os.path.basename(os.path.realpath(base / "device"))
        if (base / "device").exists()
        else None,
    }
    for column, counter in COUNTERS:
        value = _number(base / "statistics" / counter)
        row[column] = None if value is None else value % _U32
    return row


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    net = host.runtime.sys / "class" / "net"
    for name in _interfaces(net):
        yield interface(net / name, name)


TABLE = Table("interface_details", generate, runtime=True)
