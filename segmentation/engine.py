"""The analytical engine: Ibis expressions executed by DuckDB, or by another Ibis backend.

Transaction-level work (filters, duplicates, counts, aggregation) is written as
Ibis expressions so that another backend runs it unchanged. DuckDB runs in process
and is the default; Spark (``pyspark``, which needs Java) is imported only when asked for.
"""

from __future__ import annotations

import functools
import os
import threading

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from ibis.backends import BaseBackend

from segmentation.errors import DataError

#: Name of the row-number column added to transaction tables in the engine.
ROW = "_row"
#: Columns that are text in pandas but may be whole numbers in the engine.
IDENTIFIERS = ("customer_id", "invoice_no", "stock_code")
#: The type money is added up in (see :func:`exact_sum`).
DECIMAL = "decimal(38, 9)"
#: Spark settings for one machine: no web UI, two shuffle partitions, UTC throughout,
#: Arrow transfers, and Parquet nanosecond times readable (as numbers).
SPARK_CONFIG: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "2g",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.legacy.parquet.nanosAsLong": "true",
}


_DATABASE_LOCK = threading.Lock()


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    """The process's in-process DuckDB database, opened on first use. Its allocator
    hands freed memory back to the system after every task and in the background, as
    closing a database would; otherwise a long-running app keeps the peak of every run."""
    return duckdb.connect(
        config={"allocator_background_threads": True, "allocator_flush_threshold": "0MB"}
    )


def connect() -> BaseBackend:
    """A fresh DuckDB connection (one per pipeline run; not shared across threads).

    Its temporary tables and views are its own and go when it is closed or dropped;
    all connections share one in-process database, which is opened once (a new
    database costs more than some whole queries).
    """
    with _DATABASE_LOCK:  # one thread at a time opens a connection
        connection = _database().cursor()
    backend = ibis.duckdb.from_connection(connection)
    backend.raw_sql("SET enable_progress_bar = false")  # it would print on long queries
    return backend


def connect_spark(master: str = "local[2]") -> BaseBackend:
    """Spark through Ibis: the process's Spark session, started with :data:`SPARK_CONFIG`
    if none runs (needs ``pyspark`` and Java 17)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DataError(
            "The spark engine needs PySpark and Java 17: pip install 'ibis-framework[pyspark]'."
        ) from None
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master(master).appName("segmentation")
    for key, value in SPARK_CONFIG.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception:  # Spark raises its own kinds, e.g. when Java is missing
        raise DataError(
            "Spark could not start; check that Java 17 is installed (java -version)."
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def as_table(frame: pd.DataFrame, backend: BaseBackend | None = None) -> ibis.Table:
    """A transaction DataFrame as an engine table with a ``_row`` column counting from 0."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    rows = pa.array(np.arange(len(frame), dtype=np.int64))
    return engine_table(table.add_column(0, ROW, rows), backend)


def engine_table(data: pa.Table, backend: BaseBackend | None = None) -> ibis.Table:
    """An Arrow table as a table of ``backend`` (of whichever backend runs it, by default).

    Spark gets a view made straight from Arrow: Ibis's in-memory tables reach Spark
    through pandas, which is slow and turns missing text into the text 'NaN'.
    """
    if not _is_spark(backend):
        return ibis.memtable(data)
    return _spark_view(backend, backend._session.createDataFrame(data), "input")


def exact_sum(value: ibis.NumericValue) -> ibis.NumericValue:
    """The sum of ``value`` in decimal arithmetic, as a float.

    A parallel engine adds floats in no fixed order, so a plain sum can differ in its
    last digit between runs; summing decimals (9 places) gives the same result every time.
    """
    return value.cast(DECIMAL).sum().cast("float64")


def joined(left: ibis.Table, right: ibis.Table, keys: list[str]) -> ibis.Table:
    """``left`` with the other columns of ``right`` where all ``keys`` match (a left join);
    a missing value matches a missing value (a missing customer id, kept when its
    cleaning step is off, is one customer)."""
    same = [left[k].identical_to(right[k]) for k in keys]
    return left.left_join(right, same).drop(*[f"{k}_right" for k in keys])


def materialise(expr: ibis.Table, backend: BaseBackend) -> ibis.Table:
    """Compute ``expr`` once into a temporary table of ``backend`` and return that table."""
    if backend.name == "duckdb":
        return _named(expr, backend, "TABLE")
    if not _is_spark(backend):
        return backend.create_table(ibis.util.gen_name("step"), obj=expr, temp=True)
    return _spark_view(backend, backend._session.sql(backend.compile(expr)), "step")


def view(expr: ibis.Table, backend: BaseBackend) -> ibis.Table:
    """``expr`` under a name of its own, so that queries refer to it rather than repeat it.

    In DuckDB a temporary view: computed where it is read, nothing copied, gone with
    the connection. Other engines get a temporary table (:func:`materialise`), so that
    nothing is left in a warehouse.
    """
    if backend.name != "duckdb":
        return materialise(expr, backend)
    return _named(expr, backend, "VIEW")


def _named(expr: ibis.Table, backend: BaseBackend, kind: str) -> ibis.Table:
    """``expr`` as a DuckDB temporary table or view of its own name, created by one
    statement (Ibis's ``create_table`` costs several round trips)."""
    name = ibis.util.gen_name(kind.lower())
    backend._run_pre_execute_hooks(expr)  # registers the in-memory tables it reads
    backend.raw_sql(f'CREATE TEMPORARY {kind} "{name}" AS {backend.compile(expr)}')
    return backend.table(name)


def _is_spark(backend: BaseBackend | None) -> bool:
    return backend is not None and backend.name == "pyspark"


def _spark_view(backend: BaseBackend, frame, prefix: str) -> ibis.Table:
    """A Spark DataFrame computed once (a local checkpoint), as a temporary view: Spark
    has no temporary tables, and a view alone is computed again at every use."""
    name = ibis.util.gen_name(prefix)
    frame.localCheckpoint().createOrReplaceTempView(name)
    return backend.table(name)


def text_identifiers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with id columns held as numbers in the engine written as text (a new frame)."""
    numeric = [
        c for c in IDENTIFIERS if c in frame.columns and pd.api.types.is_numeric_dtype(frame[c])
    ]
    if not numeric:
        return frame
    return frame.assign(
        **{c: frame[c].astype("Int64").astype("string").astype("str") for c in numeric}
    )
