"""The least report DuckDB itself can write: what a user would run instead of trails.

Plain DuckDB SQL producing the two large outputs of ``trails report --format json,csv``
(one row per host and control, sorted: a CSV and JSON lines), under the report's memory
limit, and nothing else: a typed read of only the fields those rows show, the newest row
per (host, control), and two sorted ``COPY``s, uncompressed (the cheapest form). No
checks of the input, no schedule statistics, integrity rows, exceptions, catalog,
rollups, trend, summary, fingerprint or signature. Whatever a report does beyond this is
trails' own cost; this much any report built on DuckDB's JSON reader pays.

    python bench/least_report.py OUT_DIR LOG...

Its scratch database and spill go in the working directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

MEMORY_LIMIT = "1GB"  # trails report's default (--memory-limit)

# osquery's three result formats (snapshot, event, batch) and its two decoration
# layouts (nested, --decorations_top_level), as the simulated fleets mix them.
DECORATIONS = ("host_uuid", "hostname", "namespace", "owner", "config_version")
READ = f"""
CREATE TABLE r AS
SELECT {", ".join(f'coalesce(decorations."{d}", "{d}") AS {d}' for d in DECORATIONS)},
  name AS control, "unixTime" AS t,
  json_extract_string(
    unnest(coalesce(snapshot, CASE WHEN action IN ('added', 'snapshot') THEN ["columns"] END,
                    "diffResults".added)),
    ['$.status', '$.evidence_count', '$.evidence']) AS c
FROM read_json($files, format='newline_delimited', columns={{
  name: 'VARCHAR', "unixTime": 'BIGINT', action: 'VARCHAR', snapshot: 'JSON[]',
  "columns": 'JSON', "diffResults": 'STRUCT(added JSON[])',
  decorations: 'STRUCT({", ".join(f"{d} VARCHAR" for d in DECORATIONS)})',
  {", ".join(f"{d}: 'VARCHAR'" for d in DECORATIONS)}}})
WHERE name LIKE 'trails.control.%'
"""  # noqa: S608 (the names are the constants above)
# A window, not arg_max: on the 10,000-host fleet the window took 1.2-1.4 s, arg_max
# 3.7-4.1 s (and 5.1-5.3 s fused with the read).
NEWEST = """
CREATE TABLE n AS SELECT * FROM r
QUALIFY row_number() OVER (PARTITION BY host_uuid, control ORDER BY t DESC) = 1
"""
ROWS = """
SELECT host_uuid, hostname, namespace, owner, control, c[1] AS status,
  make_timestamp(t * 1000000) AS collected, config_version, c[2] AS evidence_count,
  c[3] AS evidence
FROM n ORDER BY host_uuid, control
"""


def main() -> int:
    out, files = Path(sys.argv[1]), sys.argv[2:]
    con = duckdb.connect("least.duckdb")  # on disk, as trails' scratch database
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET temp_directory = 'spill'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(READ, {"files": files})
    con.execute(NEWEST)
    con.execute(f"COPY ({ROWS}) TO '{out / 'results.csv'}' (HEADER)")
    con.execute(f"COPY ({ROWS}) TO '{out / 'results.jsonl'}' (FORMAT json)")
    print(con.execute("SELECT count(*) FROM n").fetchone()[0])  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main())
