"""The Spark engine's ``rows`` equal DuckDB's: same columns, types and values, row for
row (as multisets), and the same ingest statistics, for a simulated fleet and for the
hostile lines the DuckDB tests use."""

from __future__ import annotations

import gzip
import os
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.report.osquery_lines import (
    T0,
    TIME_TEXTS,
    control,
    decorations,
    integrity,
    line,
    stats,
)
from tests.report.pseudo_files import SHORT, SIZE_ZERO, UNREADABLE
from trails.errors import TransportError, UsageError
from trails.report import ingest as duck
from trails.report.engine import spark_ingest
from trails.report.engine.duck import DuckEngine
from trails.report.engine.spark_files import SparkFiles
from trails.report.engine.spark_ingest import COLUMNS, VIEW
from trails.report.simulate import SimOptions, simulate, synthetic

pytestmark = pytest.mark.spark

_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "BOOLEAN": "boolean",
}


def _as_local(name: str | None) -> str | None:
    # Hadoop names a local file file:/path
    return None if name is None else name.removeprefix("file:")


def _both(
    spark: SparkSession, patterns: list[str], work: Path, urls: list[str] | None = None
) -> None:
    """Ingest with both engines and assert the same rows, types and statistics; Spark
    reads ``urls`` when given (the same files as ``patterns``, as file:// URLs)."""
    (work / "duck").mkdir(parents=True)
    (work / "spark").mkdir()
    d = duck.ingest(patterns, work / "duck")
    assert isinstance(d.engine, DuckEngine)
    con = d.engine.con
    s = spark_ingest.ingest(spark, urls or patterns, work / "spark")
    stats = s.stats
    if urls:
        assert all(f.startswith("file:/") for f in stats.files)
        stats = replace(
            stats,
            files=tuple(str(_as_local(f)) for f in stats.files),
            malformed_samples=tuple(
                replace(m, file=str(_as_local(m.file))) for m in stats.malformed_samples
            ),
        )
    try:
        names = ", ".join(COLUMNS)  # our constants: the SQL below holds no input
        duck_types = [(n, _TYPES[t]) for n, t, *_ in con.execute("DESCRIBE rows").fetchall()]
        assert duck_types == spark.table(f"`{VIEW}`").dtypes
        duck_sql = f"SELECT {names} FROM rows"  # noqa: S608
        spark_sql = f"SELECT {names} FROM `{VIEW}`"  # noqa: S608
        duck_rows = Counter(con.execute(duck_sql).fetchall())
        spark_rows = Counter((_as_local(r[0]), *r[1:]) for r in spark.sql(spark_sql).collect())
        assert duck_rows - spark_rows == Counter()
        assert spark_rows - duck_rows == Counter()
        assert d.stats == stats
        assert d.simulated == s.simulated
    finally:
        con.close()
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
    # no time a report can print: malformed (the last one is osquery's own format)
    '{"name": "trails.control.c10", "unixTime": 1e300, "snapshot": [{"status": "fail"}]}',
    '{"name": "trails.control.c10", "unixTime": "253402300800", "snapshot": []}',
    '{"name": "trails.schedule_stats", "unixTime": -1, "snapshot": []}',
    '{"name": "trails.integrity", "unixTime": true, "snapshot": []}',
    '{"name": "trails.control.c10", "calendarTime": "Mon Nov 23 12:00:00 2026 UTC"}',
    '{"name": "trails.control.c11", "unixTime": 253402300799.4, "snapshot": [7, {"x": 1}]}',
    '{"name": "trails.scheduleXstats", "snapshot": []}',  # LIKE's _ is any character
    *(
        f'{{"name": "trails.control.t{n}", "hostIdentifier": "h5", {time},'
        ' "snapshot": [{"status": "fail"}]}'
        for n, (time, _) in enumerate(TIME_TEXTS)
    ),
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


def test_urls_are_read_through_hadoop(spark: SparkSession, tmp_path: Path) -> None:
    """A URL (here file://, through the same Hadoop FileSystem API s3a:// and hdfs://
    use) is listed, sized and read again by trails through the session: a day-partitioned
    directory with markers, odd names, a gzip of two members (sized by reading it whole)."""
    data = ("\n".join(HOSTILE) + "\n").encode("utf-8", "surrogateescape")
    day = tmp_path / "logs" / "dt=2026-12-01"
    (day / "_temporary").mkdir(parents=True)
    (day / "a b%20[c].log").write_bytes(data)
    half = len(data) // 2
    (day / "two.log.gz").write_bytes(gzip.compress(data[:half]) + gzip.compress(data[half:]))
    for marker in ("_SUCCESS", ".two.log.gz.crc", "_temporary/part-0.log"):
        (day / marker).write_bytes(b"not results\n")
    _both(
        spark,
        [str(tmp_path / "logs")],
        tmp_path / "work",
        urls=[(tmp_path / "logs").as_uri()],
    )


@pytest.mark.slow
def test_an_overlong_line_behind_a_url_is_copied_through_hadoop(
    spark: SparkSession, tmp_path: Path
) -> None:
    good = control("c1", "pass", T0, decorations("h1")).encode()
    pad = b"a" * (129 * 1024 * 1024)
    data = good + b'\n{"name": "x", "pad": "' + pad + b'"}\n' + good + b"\n"
    path = tmp_path / "big.log.gz"
    path.write_bytes(gzip.compress(data, compresslevel=1))
    _both(spark, [str(path)], tmp_path / "work", urls=[path.as_uri()])


@pytest.mark.parametrize(
    ("url", "error", "says"),
    [
        ("nosuchscheme://bucket/logs/", TransportError, "No FileSystem for scheme"),
        ("file:///nonexistent/trails/*.log", UsageError, "no results file there"),
        ("file:///nonexistent/trails/a.log", UsageError, "no results file there"),
    ],
)
def test_a_url_that_cannot_be_read_is_refused(
    spark: SparkSession, tmp_path: Path, url: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        spark_ingest.ingest(spark, [url], tmp_path)


def test_the_duckdb_engine_refuses_a_url_and_names_the_spark_engine(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--engine spark"):
        duck.ingest(["s3a://bucket/logs/"], tmp_path)


def test_spark_defaults_conf_is_read_where_spark_submit_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "spark-defaults.conf").write_text(
        "# cluster settings\n"
        "spark.executor.memory          8g\n"
        "spark.sql.shuffle.partitions=400\n"
        "  spark.driver.memory: 12g\n"
        "! a comment too\n"
        "\n"
    )
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    assert spark_ingest.spark_defaults() == {
        "spark.executor.memory": "8g",
        "spark.sql.shuffle.partitions": "400",
        "spark.driver.memory": "12g",
    }
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path / "none"))
    assert spark_ingest.spark_defaults() == {}


def test_the_users_spark_defaults_win_over_ours_but_not_over_what_the_sql_needs() -> None:
    user = {
        "spark.driver.memory": "12g",
        "spark.sql.shuffle.partitions": "400",
        "spark.sql.session.timeZone": "America/New_York",
        "spark.sql.ansi.enabled": "false",
    }
    ours = spark_ingest.settings("local[*]", Path("/scratch"), None, {})
    assert ours["spark.driver.memory"] == spark_ingest.LOCAL_DRIVER_MEMORY
    assert ours["spark.local.dir"] == "/scratch/spark-local"
    theirs = spark_ingest.settings("local[*]", Path("/scratch"), None, user)
    assert "spark.driver.memory" not in theirs
    assert "spark.sql.shuffle.partitions" not in theirs
    assert theirs["spark.sql.session.timeZone"] == "UTC"
    assert theirs["spark.sql.ansi.enabled"] == "true"
    assert spark_ingest.settings("local[2]", None, 2, user)["spark.sql.shuffle.partitions"] == "2"
    assert "spark.driver.memory" not in spark_ingest.settings("spark://head:7077", None, None, {})


def _the_same_usage_error(spark: SparkSession, results: Path, work: Path, match: str) -> None:
    """Both engines (scratch under ``work``) refuse ``results`` with the same usage error,
    which ``match``es."""
    said = []
    for read in (
        lambda: duck.ingest([str(results)], work),
        lambda: spark_ingest.ingest(spark, [str(results)], work),
    ):
        with pytest.raises(UsageError, match=match) as e:
            read()
        said.append(str(e.value))
    assert said[0] == said[1]


def test_a_file_this_user_cannot_read_is_the_same_usage_error_on_both_engines(
    spark: SparkSession, tmp_path: Path
) -> None:
    """Regression: Spark's error for it was an internal error (Python's open, after Spark
    named the file) where DuckDB's was a usage error naming the file."""
    assert UNREADABLE.is_file(), f"{UNREADABLE} is missing: pick another file root cannot read"
    (tmp_path / "a.log").write_text(control("a", "pass", T0, decorations("h1")) + "\n")
    (tmp_path / "denied.log").symlink_to(UNREADABLE)
    _the_same_usage_error(spark, tmp_path, tmp_path, r"denied\.log: Permission denied; check")


@pytest.mark.parametrize("when", ["before the read is planned", "before a task opens it"])
@pytest.mark.parametrize("name", ["b.log", "b. c.log", "b%41.log", "b[1].log"])
def test_a_file_rotated_away_after_listing_says_to_run_again_naming_it(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, name: str
) -> None:
    """Regression: a log rotated away between the listing and the read was an internal
    error (Spark's PATH_NOT_FOUND) or a transport error that named no file
    (FAILED_READ_FILE); names Spark's message spells otherwise (escaped for Hadoop's
    globs, or not URL-encoded) too. Exit 4: it is gone because it changed, run again."""
    for each in ("a.log", name):
        (tmp_path / each).write_text(control("a", "pass", T0, decorations("h1")) + "\n")
    rotated = tmp_path / name
    if when == "before the read is planned":
        listed = SparkFiles.expand

        def expand(self: SparkFiles, patterns: list[str]) -> tuple[str, ...]:
            names = listed(self, patterns)
            rotated.unlink()
            return names

        monkeypatch.setattr(SparkFiles, "expand", expand)
    else:
        planned = spark_ingest._read

        def read(session: SparkSession, files: list[str]) -> object:
            frame = planned(session, files)
            rotated.unlink()
            return frame

        monkeypatch.setattr(spark_ingest, "_read", read)
    said = f"cannot read results: {rotated} changed while it was read (rotated?); run the"
    with pytest.raises(TransportError) as e:
        spark_ingest.ingest(spark, [str(tmp_path / "*.log")], tmp_path)
    assert str(e.value) == said + " report again"


@pytest.mark.parametrize("name", ["b.log.gz", "b.log"])
def test_a_file_cut_after_listing_says_to_run_again_as_on_duckdb(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Regression (left by the last session, and review): a .gz file cut after the listing
    was read as a broken gzip stream (its lost lines counted malformed, exit 0), a plain
    one read short without a word, where DuckDB says to run again (test_ingest). A local
    file smaller than when it was listed was cut."""
    line = control("a", "pass", T0, decorations("h1")) + "\n"
    (tmp_path / "a.log").write_text(line)
    cut = tmp_path / name
    data = line.encode() * 20_000
    cut.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    planned = spark_ingest._read

    def read(session: SparkSession, files: list[str]) -> object:
        with cut.open("r+b") as f:
            f.truncate(f.seek(0, 2) // 2)
        return planned(session, files)

    monkeypatch.setattr(spark_ingest, "_read", read)
    with pytest.raises(TransportError, match=rf"{re.escape(name)} changed while it was read"):
        spark_ingest.ingest(spark, [str(tmp_path / "*.log*")], tmp_path)


def test_a_file_rotated_away_and_back_while_spark_plans_the_read_says_to_run_again(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = control("a", "pass", T0, decorations("h1")) + "\n"
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text(text)
    rotated = tmp_path / "b.log"
    planned = spark_ingest._read

    def read(session: SparkSession, files: list[str]) -> object:
        rotated.unlink()  # after the listing and its sizes
        try:
            return planned(session, files)
        finally:
            rotated.write_text(text)  # the logger opens a new one

    monkeypatch.setattr(spark_ingest, "_read", read)
    with pytest.raises(TransportError, match="a file changed while it was read; run the report"):
        spark_ingest.ingest(spark, [str(tmp_path / "*.log")], tmp_path)


@pytest.mark.parametrize(
    ("name", "target"),
    [
        # size 0, content behind it (/proc/kmsg too, which blocks a read): Spark reads
        # nothing of it, named .gz or not
        ("version.gz", SIZE_ZERO),
        ("version.log", SIZE_ZERO),
        # size 4096, 23 bytes behind it: DuckDB stopped at it (exit 2), Spark read them
        ("thp.log", SHORT),
    ],
)
def test_a_pseudo_file_whose_size_is_not_its_content_reads_the_same_on_both_engines(
    spark: SparkSession, tmp_path: Path, name: str, target: Path
) -> None:
    """Regression: Spark read a size-0 .gz pseudo-file in Python after the read (an
    internal error; /proc/kmsg would block); DuckDB stopped at a sysfs file."""
    assert target.is_file(), f"{target} is missing: pick another pseudo-file"
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text(control("a", "pass", T0, decorations("h1")) + "\n")
    (logs / name).symlink_to(target)
    _both(spark, [str(logs)], tmp_path / "work")


def test_a_file_cut_to_nothing_after_spark_read_it_says_to_run_again(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (review): a file of size 0 is read as empty, so one cut to nothing
    (copytruncate) just after Spark read its lines was taken as it was then, where the
    DuckDB engine reading it a moment later saw nothing: say it changed instead."""
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text(control("a", "pass", T0, decorations("h1")) + "\n")
    rotated = tmp_path / "b.log"
    sized = SparkFiles.size

    def size(self: SparkFiles, name: str) -> int:
        if name == str(rotated):
            os.truncate(rotated, 0)  # the logger's rotation, right after the read
        return sized(self, name)

    monkeypatch.setattr(SparkFiles, "size", size)
    with pytest.raises(TransportError, match=r"b\.log changed while it was read"):
        spark_ingest.ingest(spark, [str(tmp_path / "*.log")], tmp_path)


def test_names_spark_cannot_read_are_a_usage_error_that_says_so(
    spark: SparkSession, tmp_path: Path
) -> None:
    """Regression (review): a name that is not UTF-8 was an internal error (py4j), one with
    ':' a transport error saying to check the files and the Spark logs."""
    text = control("a", "pass", T0, decorations("h1")) + "\n"
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / os.fsdecode(b"r\xff.log")).write_text(text)
    _the_same_usage_error(spark, odd, tmp_path, r"r\\xff\.log is not UTF-8, which the engines")
    colon = tmp_path / "colon"
    colon.mkdir()
    (colon / "results-2026-12-01T10:00:00.log").write_text(text)
    with pytest.raises(UsageError, match="cannot read a file whose name holds ':'"):
        spark_ingest.ingest(spark, [str(colon)], tmp_path)
    with pytest.raises(UsageError, match="cannot list it: a file there has ':' in its name"):
        spark_ingest.ingest(spark, [f"file://{colon}/*.log"], tmp_path)
    # a directory's name may hold one (a day's directory named by its time)
    day = tmp_path / "2026-12-01T10:00"
    day.mkdir()
    (day / "a.log").write_text(text)
    spark_read = spark_ingest.ingest(spark, [str(day)], tmp_path)
    spark_read.close()
    assert spark_read.stats.lines == 1
    duck_read = duck.ingest([str(colon)], tmp_path)  # DuckDB reads it
    duck_read.engine.close()
    assert duck_read.stats.lines == 1


def test_a_file_cut_and_written_again_after_spark_read_it_says_to_run_again(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (review): cut (copytruncate) and then written again by the logger, the
    file was taken for one whose long line Spark skipped and read again through a copy of
    what it held then: the lines Spark had read were lost without a word."""
    line_text = control("a", "pass", T0, decorations("h1")) + "\n"
    (tmp_path / "a.log").write_text(line_text * 50)
    rotated = tmp_path / "a.log"
    sized = SparkFiles.size

    def size(self: SparkFiles, name: str) -> int:
        if name == str(rotated) and rotated.stat().st_size > len(line_text):
            rotated.write_text(line_text)  # cut, then the logger's next line
        return sized(self, name)

    monkeypatch.setattr(SparkFiles, "size", size)
    with pytest.raises(TransportError, match=r"a\.log changed while it was read"):
        spark_ingest.ingest(spark, [str(tmp_path / "*.log")], tmp_path)
