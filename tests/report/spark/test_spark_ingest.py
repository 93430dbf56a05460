"""The Spark engine's ``rows`` equal DuckDB's: same columns, types and values, row for
row (as multisets), and the same ingest statistics, for a simulated fleet and for the
hostile lines the DuckDB tests use."""

from __future__ import annotations

import gzip
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.report.osquery_lines import T0, control, decorations, integrity, line, stats
from trails.report import ingest as duck
from trails.report.engine import spark_ingest
from trails.report.engine.spark_ingest import COLUMNS, VIEW
from trails.report.simulate import SimOptions, simulate, synthetic

pytestmark = pytest.mark.spark

_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "BOOLEAN": "boolean",
}


def _both(spark: SparkSession, patterns: list[str], work: Path) -> None:
    """Ingest with both engines and assert the same rows, types and statistics."""
    (work / "duck").mkdir(parents=True)
    (work / "spark").mkdir()
    d = duck.ingest(patterns, work / "duck")
    s = spark_ingest.ingest(spark, patterns, work / "spark")
    try:
        names = ", ".join(COLUMNS)  # our constants: the SQL below holds no input
        duck_types = [
            (n, _TYPES[t]) for n, t, *_ in d.engine.con.execute("DESCRIBE rows").fetchall()
        ]
        assert duck_types == spark.table(f"`{VIEW}`").dtypes
        duck_sql = f"SELECT {names} FROM rows"  # noqa: S608
        spark_sql = f"SELECT {names} FROM `{VIEW}`"  # noqa: S608
        duck_rows = Counter(d.engine.con.execute(duck_sql).fetchall())
        spark_rows = Counter(tuple(r) for r in spark.sql(spark_sql).collect())
        assert duck_rows - spark_rows == Counter()
        assert spark_rows - duck_rows == Counter()
        assert d.stats == s.stats
        assert d.simulated == s.simulated
    finally:
        d.engine.con.close()
        s.close()


def test_a_simulated_fleet_partitioned_by_day(spark: SparkSession, tmp_path: Path) -> None:
    """Every format osquery writes (snapshot, event, batch; nested and top-level
    decorations; string times), plain and gzip, in hive-style day directories."""
    until = datetime(2026, 12, 3, 12, tzinfo=UTC)
    namespaces = synthetic(12, until)
    for day, compress in ((1, False), (2, True)):
        opts = SimOptions(hosts=40, days=1, until=until, seed=day, shards=2, compress=compress)
        simulate(namespaces, opts, tmp_path / "logs" / f"dt=2026-12-0{day}")
    _both(spark, [str(tmp_path / "logs" / "dt=*" / "*")], tmp_path / "work")


HOSTILE = [
    "not json {",
    "",
    "   ",
    " \t\r",
    "\x0c",
    '["an array"]',
    '[{"name": "trails.control.c2"}]',
    "5",
    "null",
    '"a string"',
    "{'name': 'trails.control.c3'}",
    '{"name": "trails.control.c12", "snapshot": [{"status":"fail"}]} {"name":"x"}',
    '{"name": "trails.control.c12", "snapshot": [{"status":"fail"}]} xyz',
    '{"name": "trails.control.c5\\n", "snapshot": [{"status":"fail"}], "unixTime": 1795435200.7}',
    '{"name": "pack_a\\rb_trails.control.c6", "snapshot": [{"status":"fail"}],'
    ' "unixTime": "1795435200.5"}',
    '{"name": "trails.control.c7", "snapshot": "notalist"}',
    '{"name": "trails.control.c8", "snapshot": [null, 5, "s", {"status": ["a", 1]}],'
    ' "unixTime": " 12 "}',
    '{"name": "trails.control.c9", "decorations": "str", "snapshot": []}',
    '{"name": 5, "snapshot": []}',
    '{"name": "trails.integrity", "snapshot": [{"a": "\\u00e9\\t\\u0001"}, {"b": 1.50}],'
    ' "calendarTime": "Mon Nov 23 12:00:00 2026 UTC"}',
    '{"name": "trails.control.c10", "snapshot": [{"status":"fail", "evidence_count": "1.5"}],'
    ' "calendarTime": "Tue Nov 23 12:00:00 2026 UTC"}',
    '{"name": "trails.control.c11", "snapshot": [{"status":"fail", "evidence_count": "2.5"}],'
    ' "calendarTime": "Mon Nov 2 12:00:00 2026 UTC"}',
    '{"name": "trails.control.c14", "snapshot": [{"status":"fail"}], "unixTime": NaN}',
    '{"NAME": "trails.control.c15", "snapshot": [{"status":"fail"}]}',
    '{"name": "trails.control.c16", "snapshot": [{"status":"bad \\ud800 esc"}]}',
    '{"name":"a\\udc00"}',
    '{"name":"a\\ud800\\udc00"}',
    '{"name":"a"} // c',
    '{"name":"a\x01"}',
    '{"name":"a", "x": 01}',
    '{"name":"a", "x": "\\q"}',
    '{"name": "trails.control.c17", "snapshot": [{"status":"fail", "evidence": "'
    + "y" * 100_000
    + '"}]}',
    '{"name": "trails.control.c18", "snapshot": [{"status":"x"}], "pad": '
    + "[" * 5000
    + "]" * 5000
    + "}",
    '{"name": ' + "[" * 200_000 + "]" * 200_000,
    "bad \udcff\udcfe bytes",
    control("c1", "pass", T0, decorations("h1")),
    control("c2", "fail", T0, decorations("h2", hostname="n" * 5000), [{"x": "\u202e<b>"}]),
    control("c3", "fail", T0, decorations("h" * 5000), [{"x": "y" * 100_000}]),
    stats({"c0": (0, 3), "c1": (1, 0), "c2": (0, 3), "c3": (0, 5, 0)}, T0, decorations("h1")),
    integrity(T0, decorations("h1"), last_result="signature"),
    line("trails.control.c4", [{"status": "fail", "control_id": "c4"}] * 3, T0, {}, "batch"),
    line(
        "trails.control.c5",
        [{"status": "fail", "control_id": "c5"}] * 2,
        T0,
        decorations("h3", trails_simulated="true"),
        "added",
        top_level=True,
        string_time=True,
    ),
    line("trails.control.c6", [{"status": "pass"}], T0, decorations("h3"), "removed"),
    line("pack_x_processes", [{"pid": "1"}], T0, decorations("h4")),
    line("pack_cis_trails.control.c9", [{"status": "pass"}], T0, decorations("h4")),
]


def test_hostile_lines_plain_gzip_and_crlf(spark: SparkSession, tmp_path: Path) -> None:
    data = ("\n".join(HOSTILE) + "\n").encode("utf-8", "surrogateescape")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_bytes(data)
    (logs / "b.log.gz").write_bytes(gzip.compress(data))
    (logs / "c.log").write_bytes(data.replace(b"\n", b"\r\n")[:-2])  # no final newline
    _both(spark, [str(logs / "*.log*")], tmp_path / "work")


@pytest.mark.slow
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_line_over_the_limit_is_malformed(
    spark: SparkSession, tmp_path: Path, compress: bool
) -> None:
    """The attack of test_hostile_input, a line of 129 MiB (Spark's reader
    skips it unread; the file is read again through the copy DuckDB's engine makes)."""
    good = control("c1", "pass", T0, decorations("h1")).encode()
    pad = b"a" * (129 * 1024 * 1024)
    data = good + b'\n{"name": "x", "pad": "' + pad + b'"}\n' + good + b"\n"
    path = tmp_path / ("big.log.gz" if compress else "big.log")
    path.write_bytes(gzip.compress(data, compresslevel=1) if compress else data)
    _both(spark, [str(path)], tmp_path / "work")
