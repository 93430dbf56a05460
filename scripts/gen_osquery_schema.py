#!/usr/bin/env python3
"""Generate trails' compact osquery schema from osquery's official published schema.

The official file (``osquery/osquery`` release artefact, e.g. ``5.23.1.json``) is a list
of tables with descriptions, notes and examples. trails only needs the facts that SQL
validation uses, so this keeps table and column names, column types, platforms and the
required / hidden / index flags, and drops every description.

    python scripts/gen_osquery_schema.py /work/shared/osquery-schema/5.23.1.json \
        trails/osquery/data/osquery-5.23.1.json

The transformation itself lives in ``trails.osquery.schema.compact_from_official`` so that
``--osquery-schema`` can read the official format directly and both paths agree.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from trails.osquery.schema import compact_from_official


def dump_compact(compact: dict[str, Any]) -> bytes:
    """Sorted, one table per line: small, deterministic, and readable in a diff."""
    lines = [
        f"{json.dumps(name)}: {json.dumps(table, sort_keys=True, separators=(',', ':'))}"
        for name, table in sorted(compact["tables"].items())
    ]
    head = (
        f'{{"format": {json.dumps(compact["format"])}, '
        f'"osquery_version": {json.dumps(compact["osquery_version"])}, "tables": {{\n'
    )
    return (head + ",\n".join(lines) + "\n}}\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("official", type=Path, help="osquery's official schema JSON")
    parser.add_argument("output", type=Path, help="where to write the compact schema")
    parser.add_argument("--version", help="osquery version (default: from the file name)")
    args = parser.parse_args(argv)
    version = args.version or args.official.stem
    official = json.loads(args.official.read_text(encoding="utf-8"))
    compact = compact_from_official(official, version)
    args.output.write_bytes(dump_compact(compact))
    print(f"wrote {args.output}: {len(compact['tables'])} tables, osquery {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
