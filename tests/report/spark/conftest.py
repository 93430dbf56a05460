"""One Spark session (local mode) for every Spark test: starting one takes seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyspark.sql import SparkSession

from trails.report.engine.spark_ingest import session


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    spark = session("local[2]", tmp_path_factory.mktemp("spark"), partitions=2)
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()
