"""``--engine``: which engine reads the logs and runs the report's SQL."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from trails.errors import UsageError
from trails.report.ingest import MEMORY_LIMIT, Ingested, ingest

ENGINES = ("duckdb", "spark")
DEFAULT_SPARK_MASTER = "local[*]"
_SIZE = re.compile(r"([0-9]+(\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\Z", re.IGNORECASE)
_UNITS = {
    **{u: 1000**n for n, u in enumerate(("KB", "MB", "GB", "TB"), start=1)},
    **{u: 1024**n for n, u in enumerate(("KIB", "MIB", "GIB", "TIB"), start=1)},
}
# Below this DuckDB cannot read even small lines on two threads; no machine has more than
# the most (DuckDB refuses far larger values with a parser error, an internal error here).
MIN_MEMORY, MAX_MEMORY = 256 * 1000**2, 1000 * 1000**4
# The masters Spark takes (spark-submit's rule and SparkContext's SparkMasterRegex),
# checked before a JVM starts: a typo is then one line, not seconds and a stack trace.
_SPARK_MASTER = re.compile(
    r"local(\[([0-9]+|\*)(\s*,\s*[0-9]+)?\])?"
    r"|local-cluster\[\s*[0-9]+\s*,\s*[0-9]+\s*,\s*[0-9]+\s*\]"
    r"|spark://.+|k8s://.+|yarn"
)

# Reads results (paths or globs) with a scratch directory: the ``rows`` table, in an engine.
Reader = Callable[[Sequence[str], Path], Ingested]


def reader(
    engine: str = "duckdb",
    *,
    memory_limit: str = MEMORY_LIMIT,
    spark_master: str = DEFAULT_SPARK_MASTER,
) -> Reader:
    if engine == "duckdb":
        size = _SIZE.match(memory_limit)
        if not size:
            raise UsageError(f"--memory-limit {memory_limit!r}: give a size like 1GB or 512MiB")
        if not MIN_MEMORY <= float(size[1]) * _UNITS[size[3].upper()] <= MAX_MEMORY:
            raise UsageError(f"--memory-limit {memory_limit!r}: give 256MB to 1000TB")
        return partial(ingest, memory_limit=memory_limit)
    if engine != "spark":
        raise UsageError(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if not _SPARK_MASTER.fullmatch(spark_master):
        raise UsageError(
            f"--spark-master {spark_master!r}: give local[*], local[N], spark://HOST:PORT,"
            " yarn or k8s://URL"
        )
    # pyspark is optional (trails[spark]) and heavy: imported only when asked for.
    try:
        spark = importlib.import_module("trails.report.engine.spark")
    except ImportError:
        raise UsageError(
            "--engine spark needs pyspark and a Java 17 runtime: pip install 'trails[spark]'"
        ) from None
    ingest_spark: Reader = partial(spark.ingest, master=spark_master)
    return ingest_spark
