"""Network functions (osquery/sql/sqlite_network.cpp)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from trails.osquery.functions.values import OsqueryFunctionError


def in_cidr_range(cidr: Any, address: Any) -> int:
    if not isinstance(cidr, str):
        raise OsqueryFunctionError("CIDR must be a string")
    if not isinstance(address, str):
        raise OsqueryFunctionError("IP addresss must be a string")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise OsqueryFunctionError("IP address cannot be parsed") from None
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        net = None
    if net is None or net.version != ip.version:
        raise OsqueryFunctionError(f"CIDR for IP address v{ip.version} cannot be parsed")
    if ip not in net:
        return 0
    # boost's network hosts() leaves out the network and broadcast addresses.
    if net.num_addresses <= 2:
        return 1
    excluded = (
        {net.network_address, net.broadcast_address} if ip.version == 4 else {net.network_address}
    )
    return int(ip not in excluded)


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "in_cidr_range": (2, in_cidr_range),
    "in_cidr_block": (2, in_cidr_range),  # the name osquery's documentation uses
}
