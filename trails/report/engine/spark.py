"""The distributed engine: Apache Spark (``pip install 'trails[spark]'``), local mode or a
cluster (``--spark-master``), and its spellings of what engines write differently.

Tables are Parquet files in the scratch directory, read back as temporary views (made
once, and plain relations to every later query); small tables come from Python rows;
large results reach Python a partition at a time (``toLocalIterator``), in their order.
This module imports pyspark; ``trails report`` imports it only for ``--engine spark``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from trails.report.engine import spark_ingest
from trails.report.engine.interface import Columns, Dialect
from trails.report.engine.patterns import (
    FORMULA,
    INVISIBLE,
    PLAIN_CELL,
    UPPER_HEX,
    java_spelling,
)
from trails.report.ingest import Ingested

BATCH = 20_000


def _literal(pattern: str) -> str:
    """``pattern`` inside a Spark SQL string literal (a backslash is written twice)."""
    return pattern.replace("\\", "\\\\")


_INVISIBLE = _literal(INVISIBLE)
_FORMULA = _literal(FORMULA)
_PLAIN_CELL = _literal(java_spelling(PLAIN_CELL))
_REPLACEMENT = "\ufffd"  # chr() in Spark SQL is modulo 256: the character itself


class SparkDialect:
    def json_string(self, expr: str) -> str:
        # to_json of a one-field struct, the struct's braces and key cut off
        quoted = f"substring(to_json(named_struct('v', CAST({expr} AS STRING))), 6)"
        return (
            f"(CASE WHEN {expr} IS NULL THEN NULL"  # DuckDB's to_json(NULL) is NULL too
            f" ELSE left({quoted}, length({quoted}) - 1) END)"
        )

    def lower_hex(self, text: str) -> str:
        # as in DuckDB's dialect: escaped backslashes set aside while the hex is lowered
        fixed = f"replace({text}, '\\\\\\\\', chr(1))"
        for hex4 in UPPER_HEX:
            fixed = f"replace({fixed}, '\\\\u{hex4}', '\\\\u{hex4.lower()}')"
        fixed = f"replace({fixed}, chr(1), '\\\\\\\\')"
        return f"(CASE WHEN instr({text}, '\\\\u00') > 0 THEN {fixed} ELSE {text} END)"

    def utc_text(self, expr: str) -> str:
        return (
            f"date_format(timestamp_seconds(CAST({expr} AS BIGINT)), \"yyyy-MM-dd'T'HH:mm:ss'Z'\")"
        )

    def csv_cell(self, expr: str) -> str:
        formula = f"CASE WHEN {expr} RLIKE '{_FORMULA}' THEN concat('''', {expr}) ELSE {expr} END"
        cell = f"regexp_replace({formula}, '{_INVISIBLE}', '{_REPLACEMENT}')"
        return (
            f"(CASE WHEN {expr} = '' OR {expr} RLIKE '{_PLAIN_CELL}' THEN {expr}"
            f" WHEN {cell} RLIKE '[,\"\\\\r\\\\n]'"
            f" THEN concat('\"', replace({cell}, '\"', '\"\"'), '\"') ELSE {cell} END)"
        )

    def json_note(self, expr: str) -> str:
        return f"get_json_object({expr}, '$[0].trails_note')"


def _ddl(columns: Columns) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in columns)


class SparkEngine:
    dialect: Dialect = SparkDialect()

    def __init__(self, spark: SparkSession, scratch: Path, *, owns_session: bool) -> None:
        self.spark = spark
        self._scratch = scratch
        self._owns_session = owns_session
        self._made = 0

    def _path(self, name: str) -> str:
        self._made += 1
        return str(self._scratch / f"{self._made:04d}-{name}.parquet")

    def _register(self, name: str, path: str) -> None:
        # Written out and read back: the table is computed once, and queries over it see a
        # plain relation. (Views of persisted frames joined with themselves trip Spark's
        # analyzer: "Invalid call to exprId on unresolved object" in DeduplicateRelations.)
        self.spark.read.parquet(path).createOrReplaceTempView(name)

    def table(self, name: str, select: str) -> None:
        path = self._path(name)
        self.spark.sql(select).write.parquet(path)
        self._register(name, path)

    def load(self, name: str, columns: Columns, rows: Iterable[tuple[Any, ...]]) -> None:
        path = self._path(name)
        rows = iter(rows)
        batch = list(islice(rows, BATCH))
        while True:  # at least once: a table with no rows still has its columns
            self.spark.createDataFrame(batch, _ddl(columns)).write.mode("append").parquet(path)
            if not (batch := list(islice(rows, BATCH))):
                break
        self._register(name, path)

    def load_jsonl(self, name: str, path: Path, columns: Columns) -> None:
        frame = self.spark.read.schema(_ddl(columns)).json(str(path))
        for column, _ in columns:
            frame = frame.where(F.col(column).isNotNull())
        table = self._path(name)
        frame.write.parquet(table)
        self._register(name, table)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.spark.sql(sql).collect()]

    def batches(self, sql: str) -> Iterator[list[tuple[Any, ...]]]:
        batch: list[tuple[Any, ...]] = []
        for row in self.spark.sql(sql).toLocalIterator(prefetchPartitions=True):
            batch.append(tuple(row))
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def close(self) -> None:
        """Stops the session it started; its tables are files under the scratch directory
        the caller removes."""
        if self._owns_session:
            self.spark.stop()


def ingest(
    patterns: Sequence[str], workdir: Path, *, master: str, spark: SparkSession | None = None
) -> Ingested:
    """The results named by ``patterns`` as the table ``rows`` of a Spark engine: on
    ``spark`` when given (tests share one), else on a new session of ``master``."""
    session = spark or spark_ingest.session(master, workdir)
    tables = workdir / "tables"
    tables.mkdir()
    engine = SparkEngine(session, tables, owns_session=spark is None)
    try:
        loaded = spark_ingest.ingest(session, patterns, workdir)
        engine.table(spark_ingest.VIEW, f"SELECT * FROM {spark_ingest.VIEW}")  # noqa: S608
        loaded.frame.unpersist()  # the table is written now; the frame is not needed
    except BaseException:
        engine.close()
        raise
    return Ingested(engine=engine, stats=loaded.stats, simulated=loaded.simulated)
