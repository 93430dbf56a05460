#!/usr/bin/env python3
"""A stand-in for osqueryi where no osquery is installed (this CI has none): answers
``--version`` and ``--json SQL`` as osqueryi does, from trails' reference collector over
``/``, every value printed as text like osqueryi's JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trails.collector.database import open_host_db, query
from trails.collector.interface import LIVE, Host


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        print("osqueryi version 5.23.1 (trails test stub)")
        return 0
    if len(sys.argv) != 3 or sys.argv[1] != "--json":
        print("usage: osqueryi --json SQL", file=sys.stderr)
        return 1
    conn = open_host_db(Host(Path("/"), LIVE))
    try:
        rows = query(conn, sys.argv[2])
    except Exception as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps([{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
