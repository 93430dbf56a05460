"""Results ingest on Apache Spark: the same ``rows`` as ``trails.report.ingest`` builds in
DuckDB (same columns, types and values), as a temporary view of a persisted DataFrame.

Only the engine-specific part lives here: reading the lines and the JSON functions.
Spark reads every line with ``spark.read.text`` (``lineSep`` ``\\n`` only, as DuckDB and
Python split; plain or gzip by the name, as DuckDB is told to), so a line that is not a
JSON object is a row like any other and is counted, never fatal:

* a line that is not UTF-8 is malformed (``is_valid_utf8``: Jackson would otherwise
  decode it with replacement characters and accept it);
* a line longer than ``MAX_LINE_BYTES`` is malformed. Hadoop's line reader is told to
  skip such a line (``mapreduce.input.linerecordreader.line.maxlength``) so no executor
  holds it; a skipped line leaves the bytes Spark saw short of the file's size, and
  such a file is read again through the copy ``ingest.py`` makes (each overlong line
  replaced by a line that is not an object), exactly as the DuckDB engine does;
* JSON is parsed once per line by ``from_json`` with an explicit schema mirroring
  ``ingest._columns()`` (result rows stay JSON text), single quotes refused, and each
  result row by ``from_json`` again, with the same limits;
* a file Spark would misread (``trails.report.logfile``) is read through the same copy
  as in the DuckDB engine: a .gz file Spark fails on (its gzip stream breaks: Hadoop
  checks its CRC and size; or it holds plain text), and a file not named .gz that holds
  gzip content, checked when it has malformed lines;
* the file and line of the first malformed lines come from the same bounded second
  read as the DuckDB engine (only files with malformed lines, stopping at the first
  few): Spark's text source has no line numbers, and numbering lines inside Spark
  (``zipWithIndex`` over a file's ordered splits, or one ``wholetext`` record per file)
  either needs a full ordered pass or holds a whole file in one record.

This module imports pyspark; only the Spark engine imports it.
"""

from __future__ import annotations

import os
import re
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from shutil import which

import pyspark
from py4j.protocol import Py4JJavaError  # type: ignore[import-untyped]
from pyspark import StorageLevel
from pyspark.errors import AnalysisException, PySparkRuntimeError
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from trails.errors import TransportError, UsageError
from trails.models.evidence import (
    CONTROL_QUERY_NAME,
    DECORATION_KEYS,
    INTEGRITY_QUERY,
    SCHEDULE_STATS_QUERY,
    SIMULATED_DECORATION,
)
from trails.report.engine.patterns import CALENDAR_TIME, UNIX_TIME, java_spelling
from trails.report.engine.spark_files import SparkFiles, key, source_key, spark_path

# The DuckDB engine's own helpers, so that both engines bound, locate and copy alike.
from trails.report.ingest import (
    LONE_SURROGATE,
    MAX_EVIDENCE_CHARS,
    MAX_ROW_JSON,
    kind_with_time,
    malformed_samples,
    usable_time,
)
from trails.report.logfile import (
    MAX_LINE_BYTES,
    changed_while_read,
    misread,
    misread_files,
    named_gzip,
    readable_copy,
)
from trails.report.model import MAX_TEXT, IngestStats

_DECORATIONS = (*DECORATION_KEYS, SIMULATED_DECORATION)
# Java regex differs from DuckDB's RE2 in two places the name pattern touches: ``$`` also
# matches before a final line terminator, and ``.`` stops at \r, \u0085, \u2028 and
# \u2029 too. UNIX_LINES ((?d)) leaves only \n a terminator, as in RE2, and ``\z`` is
# RE2's ``$`` (end of text).
_NAME_PATTERN = "(?d)" + java_spelling(CONTROL_QUERY_NAME)
# ROWS is a keyword in Spark SQL; the view is named rows all the same (quote it as `rows`).
VIEW = "rows"


LOCAL_DRIVER_MEMORY = "4g"
# What the report's SQL needs to mean what DuckDB's does: UTC, and ANSI mode (a failed
# CAST raises as in DuckDB; the SQL says TRY_CAST where it means NULL).
REQUIRED = {"spark.sql.session.timeZone": "UTC", "spark.sql.ansi.enabled": "true"}
_PROPERTY = re.compile(r"\s*([^\s=:#!][^\s=:]*)\s*[\s=:]\s*(.*?)\s*")


def spark_defaults() -> dict[str, str]:
    """The settings of ``spark-defaults.conf`` where spark-submit reads it
    ($SPARK_CONF_DIR, else $SPARK_HOME/conf; pip's pyspark is its own SPARK_HOME)."""
    home = os.environ.get("SPARK_HOME") or Path(pyspark.__file__).parent
    conf = Path(os.environ.get("SPARK_CONF_DIR") or Path(home) / "conf") / "spark-defaults.conf"
    try:
        text = conf.read_text(encoding="utf-8")
    except OSError:
        return {}
    return {m[1]: m[2] for line in text.splitlines() if (m := _PROPERTY.fullmatch(line))}


def settings(
    master: str,
    scratch: Path | None,
    partitions: int | None,
    defaults: Mapping[str, str],
) -> dict[str, str]:
    """The session's settings: ours are defaults, left to ``defaults`` (the user's
    spark-defaults.conf) where it sets them, except ``REQUIRED`` and ``partitions``."""
    ours = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(max(4, os.cpu_count() or 4)),
        # Sorted output reaches the driver a partition at a time: partitions of ~16 MiB
        # whatever the fleet (a partition of hundreds of MiB is lost from the driver's
        # block manager: TaskResultLost). AQE starts from many and merges small ones.
        "spark.sql.adaptive.advisoryPartitionSizeInBytes": "16m",
        "spark.sql.adaptive.coalescePartitions.initialPartitionNum": "1024",
    }
    if master.startswith("local"):  # the driver is every executor: more than 1 GiB of heap
        ours["spark.driver.memory"] = LOCAL_DRIVER_MEMORY
    if scratch is not None:
        ours["spark.local.dir"] = str(scratch / "spark-local")
        ours["spark.sql.warehouse.dir"] = str(scratch / "spark-warehouse")
    chosen = {k: v for k, v in ours.items() if k not in defaults}
    if partitions is not None:
        chosen["spark.sql.shuffle.partitions"] = str(partitions)
    return {**chosen, **REQUIRED}


def session(
    master: str = "local[*]", scratch: Path | None = None, partitions: int | None = None
) -> SparkSession:
    """A Spark session configured the way the report needs (``settings``)."""
    builder = SparkSession.builder.master(master).appName("trails report")
    for name, value in settings(master, scratch, partitions, spark_defaults()).items():
        builder = builder.config(name, value)
    try:
        return builder.getOrCreate()
    except PySparkRuntimeError:  # JAVA_GATEWAY_EXITED: no java, or spark-submit refused
        remedy = (
            "check the JVM options in spark-defaults.conf and SPARK_SUBMIT_OPTS, and the java"
            " JAVA_HOME or PATH gives"
            if _java()
            else "install a Java 17 runtime (JAVA_HOME, or java on PATH)"
        )
        raise UsageError(
            f"Spark's JVM exited before it started (its reason is printed above): {remedy}"
        ) from None
    except Py4JJavaError as exc:  # the context failed: the master unreachable, a bad setting
        reason = str(exc.java_exception.toString()).splitlines()[0][:300]
        raise TransportError(
            f"Spark did not start a session on {master}: {reason}; check that the master is"
            " up and reachable, and the settings in spark-defaults.conf (Spark's log is above)"
        ) from None


def _java() -> bool:
    """Whether spark-submit finds a java to run: JAVA_HOME's, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    return os.access(os.path.join(home, "bin", "java"), os.X_OK) if home else bool(which("java"))


def _q(text: str) -> str:
    """A Spark SQL string literal (backslash is an escape character in Spark's)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _schema() -> str:
    dec = ", ".join(f"`{k}`: STRING" for k in _DECORATIONS)
    cols = {
        "name": "STRING",
        "unixTime": "STRING",
        "calendarTime": "STRING",
        "action": "STRING",
        "hostIdentifier": "STRING",
        "decorations": f"STRUCT<{dec}>",
        "snapshot": "ARRAY<STRING>",
        "columns": "STRING",
        "diffResults": "STRUCT<added: ARRAY<STRING>>",
        **dict.fromkeys(_DECORATIONS, "STRING"),
    }
    return ", ".join(f"`{k}` {v}" for k, v in cols.items())


def _bounded(expr: str, limit: int = MAX_TEXT) -> str:
    return f"left({expr}, {limit})"


def _dec(key: str) -> str:
    return _bounded(f"coalesce(decorations.`{key}`, `{key}`)")


def _kind() -> str:
    return (
        f"CASE WHEN name RLIKE {_q(_NAME_PATTERN)} THEN 'control'"
        f" WHEN name LIKE {_q('%' + SCHEDULE_STATS_QUERY)} THEN 'stats'"
        f" WHEN name LIKE {_q('%' + INTEGRITY_QUERY)} THEN 'integrity'"
        " WHEN name IS NULL THEN 'malformed' ELSE 'other' END"
    )


# What DuckDB's reader skips as a blank line (C isspace, less the newline).
_NOT_BLANK = r"[^ \t\r\f\x0B]"
# A line with LONE_SURROGATE is malformed: yyjson (DuckDB) refuses it, Jackson would
# decode the escape to '?'. Only a line holding this can match (a cheap test first).
_ESCAPE = "\\u"


# Jackson's limits (strings, numbers, nesting) as wide as a line (DuckDB's yyjson has
# none); single quotes refused.
_JSON_OPTIONS = (
    f"map('allowSingleQuotes', 'false', 'maxStringLen', '{MAX_LINE_BYTES}',"
    f" 'maxNumLen', '{MAX_LINE_BYTES}', 'maxNestingDepth', '{MAX_LINE_BYTES}')"
)


def _to_bigint(expr: str, exact: bool = True) -> str:
    """DuckDB's TRY_CAST(text AS BIGINT) (decimals rounded half away from zero), or with
    ``exact=False`` its TRY_CAST(TRY_CAST(text AS DOUBLE) AS BIGINT) (half to even)."""
    if exact:
        return f"TRY_CAST(round(TRY_CAST({expr} AS DECIMAL(38, 10))) AS BIGINT)"
    return f"TRY_CAST(bround(TRY_CAST({expr} AS DOUBLE)) AS BIGINT)"


def _unix_time(expr: str) -> str:
    number = _to_bigint(expr, exact=False)
    return f"CASE WHEN {expr} RLIKE {_q(java_spelling(UNIX_TIME))} THEN {number} END"


def _calendar_time(expr: str) -> str:
    # Spark parses no day-of-week ('E' formats only): the pattern checks the name, this
    # parses the rest, asctime's space before a one-digit day taken out
    pattern = _q("MMM d HH:mm:ss yyyy 'UTC'")
    day_on = f"replace(substr({expr}, 5), '  ', ' ')"
    return (
        f"CASE WHEN {expr} RLIKE {_q(java_spelling(CALENDAR_TIME))}"
        f" THEN unix_timestamp(try_to_timestamp({day_on}, {pattern})) END"
    )


def _control_id(expr: str) -> str:
    return f"nullif(regexp_extract({expr}, {_q(_NAME_PATTERN)}, 1), '')"


# The DuckDB statement of ingest._load_sql, spelt for Spark over a view ``lines`` (value,
# src): one row per line, blank lines included (kind 'blank', dropped from ``rows``) so
# that the bytes read per file can be checked against the file.
_ROW_KEYS = (
    "status",
    "evidence_count",
    "evidence",
    "name",
    "denylisted",
    "executions",
    "output_size",
)


def _load_sql() -> str:
    c = [f"c{i}" for i in range(1, len(_ROW_KEYS) + 1)]
    row = "STRUCT<" + ", ".join(f"`{k}`: STRING" for k in _ROW_KEYS) + ">"
    return f"""
WITH b AS (
  -- (not Spark's trim with a set of characters: it holds a string's code points in
  -- arrays, and a fragment of an overlong line would not fit)
  SELECT src, value, octet_length(value) + 1 AS nbytes,
    CASE WHEN startswith(value, '{{') OR octet_length(value) > {MAX_LINE_BYTES} THEN false
         ELSE NOT value RLIKE {_q(_NOT_BLANK)} END AS blank
  FROM lines
), p AS (
  SELECT src, nbytes, blank,
    -- '[' line ']' parsed as a list: a line must hold exactly one object and nothing else
    CASE WHEN NOT blank AND octet_length(value) <= {MAX_LINE_BYTES} AND is_valid_utf8(value)
              AND NOT (contains(value, {_q(_ESCAPE)}) AND value RLIKE {_q(LONE_SURROGATE)})
         THEN from_json('[' || value || ']', {_q(f"ARRAY<STRUCT<{_schema()}>>")},
                        {_JSON_OPTIONS}) END AS a
  FROM b
), k AS (
  SELECT src, nbytes, blank, j.* FROM (
    SELECT src, nbytes, blank, CASE WHEN size(a) = 1 THEN a[0] END AS j FROM p)
), l AS (
  SELECT src, nbytes, CASE WHEN blank THEN 'blank' ELSE {_kind()} END AS name_kind,
    {_unix_time("unixTime")} AS unix_t,
    coalesce({usable_time("unix_t")}, {usable_time(_calendar_time("calendarTime"))}) AS t,
    {kind_with_time("name_kind", "t")} AS kind,
    {_bounded("coalesce(decorations.`host_uuid`, `host_uuid`, hostIdentifier)")} AS host_uuid,
    {_dec("hostname")} AS hostname, {_dec("namespace")} AS namespace,
    {_dec("config_version")} AS config_version, {_dec("org")} AS org, {_dec("owner")} AS owner,
    {_dec("owner_group")} AS owner_group, {_dec("project")} AS project,
    {_dec(SIMULATED_DECORATION)} IS NOT NULL AS simulated,
    name, action, snapshot, `columns`, diffResults
  FROM k
), m AS (
  SELECT * EXCEPT (snapshot, `columns`, diffResults, action),
    CASE WHEN kind IN ('other', 'malformed', 'blank') THEN NULL
         WHEN snapshot IS NOT NULL THEN snapshot
         WHEN `columns` IS NOT NULL AND action IN ('added', 'snapshot') THEN array(`columns`)
         ELSE diffResults.added END AS results
  FROM l
), u AS (
  SELECT m.* EXCEPT (results), x.pos + 1 AS i, x.r
  FROM m LATERAL VIEW posexplode(
    CASE WHEN size(results) > 0 THEN results ELSE array(CAST(NULL AS STRING)) END) x AS pos, r
), w AS (
  -- not json_tuple: it cannot be told Jackson's limits (a number over 1,000 digits)
  SELECT u.*, from_json(r, {_q(row)}, {_JSON_OPTIONS}) AS f FROM u
), v AS (
  SELECT w.* EXCEPT (f), {", ".join(f"f.`{k}` AS {n}" for k, n in zip(_ROW_KEYS, c, strict=True))}
  FROM w
)
SELECT src, CASE WHEN i = 1 THEN nbytes ELSE 0 END AS nbytes,
  CASE WHEN r IS NULL AND kind NOT IN ('other', 'malformed', 'blank') THEN 'empty' ELSE kind END
    AS kind,
  t, host_uuid, simulated, i = 1 AS first_of_line,
  CASE WHEN i = 1 THEN hostname END AS hostname,
  CASE WHEN i = 1 THEN namespace END AS namespace,
  CASE WHEN i = 1 THEN config_version END AS config_version,
  CASE WHEN i = 1 THEN org END AS org,
  CASE WHEN i = 1 THEN owner END AS owner,
  CASE WHEN i = 1 THEN owner_group END AS owner_group,
  CASE WHEN i = 1 THEN project END AS project,
  CASE kind WHEN 'control' THEN {_control_id("name")}
            WHEN 'stats' THEN {_control_id("c4")} END AS control_id,
  {_bounded("c1", 32)} AS status,
  {_to_bigint("c2")} AS evidence_count,
  CASE WHEN kind = 'control' AND c1 IS DISTINCT FROM 'pass'
       THEN {_bounded("c3", MAX_EVIDENCE_CHARS)} END AS evidence,
  c5 = '1' AS denylisted,
  {_to_bigint("c6")} AS executions,
  {_to_bigint("c7")} AS output_size,
  CASE WHEN kind = 'integrity' THEN {_bounded("r", MAX_ROW_JSON)} END AS integrity
FROM v
WHERE kind <> 'stats' OR i = 1 OR (c4 RLIKE {_q(_NAME_PATTERN)}
  AND (c5 = '1' OR ({_to_bigint("c6")} > 0 AND {_to_bigint("c7")} = 0)))
"""  # noqa: S608 (every literal goes through _q; the rest is ours)


# The columns of DuckDB's ``rows``, in its order (``file`` is set for malformed rows only).
COLUMNS = (
    "file",
    "kind",
    "t",
    "host_uuid",
    "simulated",
    "first_of_line",
    "hostname",
    "namespace",
    "config_version",
    "org",
    "owner",
    "owner_group",
    "project",
    "control_id",
    "status",
    "evidence_count",
    "evidence",
    "denylisted",
    "executions",
    "output_size",
    "integrity",
)


@dataclass(frozen=True)
class SparkIngested:
    """The ``rows`` view registered in ``spark`` (backed by ``frame``, persisted)."""

    spark: SparkSession
    frame: DataFrame
    stats: IngestStats
    simulated: bool

    def close(self) -> None:
        self.frame.unpersist()
        self.spark.catalog.dropTempView(VIEW)


def _read(spark: SparkSession, files: Sequence[str]) -> DataFrame:
    lines = (
        spark.read.option("lineSep", "\n")
        # a longer line is skipped by Hadoop's reader (and noticed by _skipped_a_line)
        .option("mapreduce.input.linerecordreader.line.maxlength", str(MAX_LINE_BYTES + 2))
        .text([spark_path(f) for f in files])
        .select("value", F.col("_metadata.file_path").alias("src"))
    )
    lines.createOrReplaceTempView("lines")
    return spark.sql(_load_sql())


def _skipped_a_line(files: SparkFiles, name: str, seen: int, listed: int) -> bool:
    """Whether Spark's line reader consumed fewer bytes of ``name`` than it holds, so
    skipped a line (``seen`` counts a newline after the last line, present or not).
    Spark reads nothing of a file whose size is 0, and neither does this: a pseudo-file
    (``/proc/kmsg``) says 0 and blocks a read. Smaller than when it was listed
    (``listed``), it was cut since (a rotation) and lost lines."""
    size = files.size(name)
    if size < listed:
        raise changed_while_read(name)
    if size == 0:
        if seen:  # it held lines when Spark read it: cut since (a rotation)
            raise changed_while_read(name)
        return False
    if not name.endswith(".gz"):
        if size < seen - 1:  # a skipped line leaves it above what Spark read, never below
            raise changed_while_read(name)
        return seen not in (size, size + 1)
    # gzip's trailer holds the uncompressed size mod 2**32 (of the last member only)
    trailer = files.tail(name, 18, size)
    unpacked = int.from_bytes(trailer[-4:], "little")
    if len(trailer) == 18 and seen % 2**32 in (unpacked, (unpacked + 1) % 2**32):
        return False
    # the trailer cannot tell (several members, or not gzip at all): count what it holds
    try:
        return _gunzip_size(files, name) not in (seen, seen - 1)
    except zlib.error:  # not gzip after all: read through a copy decoded by its content
        return True


# Spark's error for a file a task could not read (SparkException FAILED_READ_FILE: "...
# file X. SQLSTATE" or "... file X. File does not exist. ..."; X is URL-encoded)
_FAILED_READ = re.compile(r"Encountered error while reading file (.+?)\.\s")


def _failed_file(exc: Py4JJavaError, names: Sequence[str]) -> str | None:
    """The one of ``names`` a failed Spark job could not read, if it says."""
    match = _FAILED_READ.search(str(exc))
    return None if match is None else {key(n): n for n in names}.get(source_key(match[1]))


def _malformed_plain_files(
    full: DataFrame, names: Sequence[str], copies: Mapping[str, str]
) -> list[str]:
    """The inputs not named .gz (and not copied) that ``full`` holds malformed lines of."""
    by_key = {key(n): n for n in names if n not in copies and not named_gzip(n)}
    if not by_key:  # no Spark job to look
        return []
    found = full.where(F.col("kind") == "malformed").select("src").distinct().collect()
    return sorted(n for r in found if (n := by_key.get(source_key(str(r["src"])))) is not None)


def _gunzip_size(files: SparkFiles, name: str) -> int:
    size = 0
    with files.open(name) as f:
        d = zlib.decompressobj(zlib.MAX_WBITS | 32)
        while chunk := f.read(1 << 20):
            size += len(d.decompress(chunk))
            while d.unused_data:  # a further gzip member
                rest = d.unused_data
                d = zlib.decompressobj(zlib.MAX_WBITS | 32)
                size += len(d.decompress(rest))
    return size


def ingest(spark: SparkSession, patterns: Sequence[str], workdir: Path) -> SparkIngested:
    """Load the results named by ``patterns`` into the temporary view ``rows`` of ``spark``."""
    files = SparkFiles(spark)
    names = files.expand(patterns)
    listed = files.local_sizes(names)
    scratch = Path(tempfile.mkdtemp(prefix="spark-ingest-", dir=workdir))
    copies: dict[str, str] = {}

    def copy(misread_names: Sequence[str]) -> None:
        for name in misread_names:
            copies[name] = str(
                readable_copy(name, files.open(name), scratch / f"{len(copies)}.log")
            )

    while True:
        try:
            full = _read(spark, [copies.get(f, f) for f in names])
        except AnalysisException as exc:
            if exc.getCondition() != "PATH_NOT_FOUND":
                raise
            # a file listed, then gone (rotated) before the read was planned: the one gone
            # says so (run again); the text's path is escaped for Hadoop's globs
            for name in names:
                files.size(name)
            raise TransportError(
                "cannot read results: a file changed while it was read; run the report again"
            ) from None
        full = full.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            by_src = full.groupBy("src").agg(F.sum("nbytes").alias("n")).collect()
        except Py4JJavaError as exc:
            full.unpersist()
            # files.open says why a file cannot be read: gone (run again), not readable
            culprit = _failed_file(exc, [f for f in names if f not in copies])
            if culprit is not None and files.size(culprit) < listed.get(culprit, 0):
                raise changed_while_read(culprit) from None  # cut since it was listed
            if culprit is None or not misread(culprit, files.open(culprit)):
                problem = str(exc.java_exception.toString()).splitlines()[0][:300]
                raise TransportError(
                    f"cannot read results: {problem}; check the files and the Spark logs"
                ) from None
            copy([culprit])
            continue
        seen = {source_key(str(r["src"])): int(r["n"]) for r in by_src}
        suspects = [
            f
            for f in names
            if f not in copies and _skipped_a_line(files, f, seen.get(key(f), 0), listed.get(f, 0))
        ] or misread_files(_malformed_plain_files(full, names, copies), files.open)
        if not suspects:
            break
        full.unpersist()
        copy(suspects)
    # the file a malformed row came from, as the input named it (the original of a copy)
    original = {key(copies.get(f, f)): f for f in names}
    file_names = F.create_map(
        *(F.lit(x) for r in by_src for x in (r["src"], original.get(source_key(str(r["src"])))))
    )
    file_col: Column = F.when(F.col("kind") == "malformed", file_names[F.col("src")])
    rows = full.where(F.col("kind") != "blank").withColumn("file", file_col).select(*COLUMNS)
    rows.createOrReplaceTempView(VIEW)
    stats_row = spark.sql(
        "SELECT count(*) FILTER (WHERE first_of_line), count(*) FILTER (WHERE kind = 'malformed'),"
        " count(*) FILTER (WHERE first_of_line AND simulated),"
        " count(*) FILTER (WHERE kind IN ('control', 'stats', 'integrity')) FROM `rows`"
    ).first()
    lines, malformed, simulated, n_rows = (int(x or 0) for x in (stats_row or (0, 0, 0, 0)))
    bad_files = (
        sorted(
            str(r[0])
            for r in spark.sql(
                "SELECT DISTINCT file FROM `rows` WHERE kind = 'malformed'"
            ).collect()
        )
        if malformed
        else []
    )
    stats = IngestStats(
        files=names,
        lines=lines,
        result_rows=n_rows,
        malformed=malformed,
        malformed_samples=malformed_samples(bad_files, files.open),
        simulated_lines=simulated,
    )
    return SparkIngested(spark=spark, frame=rows, stats=stats, simulated=simulated > 0)
