"""``listening_ports``: osquery/tables/networking/listening_ports.cpp (``genListeningPorts``).

Every row of ``process_open_sockets`` (read in full: osquery pushes no constraint
down) except anonymous UNIX sockets and IPv4/IPv6 sockets with a remote port (a
connection); the TCP state is not looked at. A UNIX socket has port 0, socket 0, its
path and no address; an IPv4/IPv6 socket its local address and port, its inode and no
path. AF_PACKET sockets (family 17, port 0, address ``""``) and raw sockets (protocol
255, the port is the raw protocol number) are listed as well, as osquery lists them.
"""

from __future__ import annotations

from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables import process_open_sockets
from trails.collector.tables.process_open_sockets import AF_INET, AF_INET6, AF_UNIX


def listening(sockets: Iterator[Row]) -> Iterator[Row]:
    """The listening-port rows of ``process_open_sockets`` rows."""
    for sock in sockets:
        family = sock["family"]
        if family == AF_UNIX and not sock["path"]:
            continue
        if family in (AF_INET, AF_INET6) and sock["remote_port"] != 0:
            continue
        row: Row = {"pid": sock["pid"]}
        if family == AF_UNIX:
            row.update(port=0, path=sock["path"], socket=0)
        else:
            row.update(
                address=sock["local_address"], port=sock["local_port"], socket=sock["socket"]
            )
        row.update(
            protocol=sock["protocol"],
            family=family,
            fd=sock["fd"],
            net_namespace=sock["net_namespace"],
        )
        yield row


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    yield from listening(iter(process_open_sockets.generate(host, Query())))


TABLE = Table("listening_ports", generate, runtime=True)
