"""The embedded analytical engine: Ibis expressions executed by DuckDB.

Transaction-level work (filters, duplicates, counts, aggregation) is written as
Ibis expressions so that another Ibis backend can run it unchanged.
"""

from __future__ import annotations

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


def connect() -> BaseBackend:
    """A fresh in-process DuckDB connection (one per pipeline run; not shared across threads)."""
    return ibis.duckdb.connect()


def connect_spark() -> BaseBackend:
    """PySpark in local mode (needs ``pyspark`` and Java)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DataError(
            "The spark engine needs PySpark and Java 17: pip install pyspark."
        ) from None
    session = SparkSession.builder.master("local[2]").getOrCreate()
    return ibis.pyspark.connect(session)


def as_table(frame: pd.DataFrame) -> ibis.Table:
    """A transaction DataFrame as an engine table with a ``_row`` column counting from 0."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    rows = pa.array(np.arange(len(frame), dtype=np.int64))
    return ibis.memtable(table.add_column(0, ROW, rows))


def exact_sum(value: ibis.NumericValue) -> ibis.NumericValue:
    """The sum of ``value`` in decimal arithmetic, as a float.

    A parallel engine adds floats in no fixed order, so a plain sum can differ in its
    last digit between runs; summing decimals (9 places) gives the same result every time.
    """
    return value.cast("decimal(38, 9)").sum().cast("float64")


def materialise(expr: ibis.Table, backend: BaseBackend) -> ibis.Table:
    """Compute ``expr`` once into a temporary table of ``backend`` and return that table."""
    return backend.create_table(ibis.util.gen_name("step"), obj=expr, temp=True)


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
