"""The whole transaction stage in one call: read, clean, customer features."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from segmentation.engine import ROW, text_identifiers, view
from segmentation.errors import DataError
from segmentation.read.files import STACK_ALL_SHEETS, Source, read_source, read_table
from segmentation.read.loading import Transactions, canonical_transactions
from segmentation.read.scanning import (
    EngineTransactions,
    NeedsParsing,
    arrow_transactions,
    connect_engine,
    engine_transactions,
    is_parquet_path,
    scan_parquet,
    warehouse_transactions,
)
from segmentation.read.text_scanning import scan_text
from segmentation.schema import COUNTRY, TOTAL_PURCHASE
from segmentation.transactions.cleaning import (
    CleaningOptions,
    CleaningReport,
    CleanResult,
    clean_transactions,
)
from segmentation.transactions.features import customer_table
from segmentation.transactions.orders import order_purchases

#: Engines that read Parquet files and Arrow tables themselves; other engines get the
#: transactions parsed in memory.
SCANNING_ENGINES = ("duckdb", "pyspark")
#: Delimited text files of at least this many bytes are read by DuckDB
#: (:func:`~segmentation.read.text_scanning.scan_text`); smaller ones are parsed in memory,
#: which is quicker for them.
ENGINE_TEXT_BYTES = 100 * 1024**2


@dataclass(frozen=True)
class FeatureRun:
    """Loaded transactions, the cleaning result, the customer table and its snapshot date."""

    transactions: Transactions | EngineTransactions
    cleaned: CleanResult
    customers: pd.DataFrame
    snapshot_date: pd.Timestamp

    def transactions_table(self) -> ibis.Table:
        """The transactions as read, as a table in the engine (without row numbers)."""
        if isinstance(self.transactions, EngineTransactions):
            return self.transactions.table.drop(ROW)
        return view(ibis.memtable(self.transactions.data), self.cleaned.backend)

    def preview(self, rows: int) -> pd.DataFrame:
        """The first ``rows`` transactions as read."""
        if isinstance(self.transactions, Transactions):
            return self.transactions.data.head(rows)
        table = self.transactions.table
        first = table.order_by(ROW).limit(rows).drop(ROW)
        return text_identifiers(self.transactions.backend.to_pandas(first))

    @cached_property
    def purchases(self) -> pd.DataFrame:
        """One row per customer and order with its date and revenue, the customer-base
        models' input (:func:`~segmentation.transactions.orders.order_purchases`), fetched
        from the engine's order totals once per run."""
        return order_purchases(self.cleaned.orders, self.cleaned.backend)

    def line_totals(self) -> pd.Series:
        """``total_purchase`` of every clean line, in input order."""
        table = self.cleaned.table.order_by(ROW).select(TOTAL_PURCHASE)
        return self.cleaned.backend.to_pandas(table)[TOTAL_PURCHASE]

    def summary(self) -> dict[str, object]:
        """JSON-ready figures of the run, as ``summary.json`` writes them."""
        report = self.cleaned.report
        orders = self.cleaned.orders  # far smaller than the lines
        period = self.cleaned.backend.execute(
            orders.aggregate(
                start=orders["first_purchase"].min(), end=orders["last_purchase"].max()
            )
        ).iloc[0]
        countries = (
            int(self.customers[COUNTRY].nunique()) if COUNTRY in self.customers.columns else None
        )
        return {
            **reading_summary(self.transactions, report),
            "customers": len(self.customers),
            "orders": int(self.customers["frequency"].sum()),
            "revenue": round(report.revenue_out, 2),
            "countries": countries,
            "first_date": f"{period['start']:%Y-%m-%d %H:%M}",
            "last_date": f"{period['end']:%Y-%m-%d %H:%M}",
            "snapshot_date": f"{self.snapshot_date:%Y-%m-%d %H:%M}",
        }


def reading_summary(
    transactions: Transactions | EngineTransactions, report: CleaningReport
) -> dict[str, object]:
    """JSON-ready figures of reading and cleaning: the source, the load report, the rows in
    and out and each cleaning step."""
    return {
        "source": transactions.report.source,
        "load": transactions.report.to_dict(),
        "rows_in": report.rows_in,
        "rows_out": report.rows_out,
        "steps": report.to_dict()["steps"],
    }


def run_features(
    source: Source | Transactions | EngineTransactions | None,
    *,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = STACK_ALL_SHEETS,
    cleaning: CleaningOptions | None = None,
    snapshot_date: str | pd.Timestamp | None = None,
    engine: str = "duckdb",
    table: str | None = None,
) -> FeatureRun:
    """Read (unless given transactions), clean and build the customer table.

    ``engine`` and ``table`` are those of :func:`read_transactions`.
    """
    transactions = (
        source
        if isinstance(source, Transactions | EngineTransactions)
        else read_transactions(
            source, name=name, columns=columns, sheet=sheet, engine=engine, table=table
        )
    )
    cleaned = clean_transactions(transactions, cleaning)
    customers = customer_table(cleaned, snapshot_date)
    return FeatureRun(transactions, cleaned, customers.customers, customers.snapshot_date)


def read_transactions(
    source: Source | None,
    *,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = STACK_ALL_SHEETS,
    engine: str = "duckdb",
    table: str | None = None,
    engine_text_bytes: int = ENGINE_TEXT_BYTES,
) -> Transactions | EngineTransactions:
    """Transactions from a file, or from the engine's table ``table`` (then ``source`` is None).

    A Parquet file with typed date and money columns is scanned by the engine where
    it lies (uploaded Parquet bytes are read as Arrow columns the engine reads in
    place); so is a delimited text file of at least ``engine_text_bytes`` on DuckDB
    (:func:`~segmentation.read.text_scanning.scan_text`). Other files are read into memory
    (:func:`~segmentation.read.loading.canonical_transactions`) and, for an engine other
    than DuckDB, moved into it. ``engine`` is ``duckdb``, ``spark`` or
    an Ibis connection URL (see :func:`connect_engine`).
    """
    if (source is None) == (table is None):
        raise DataError("Give either a file or a table of the engine, not both or neither.")
    backend = connect_engine(engine)
    if table is not None:
        return warehouse_transactions(backend, table, columns=columns)
    scans = backend.name in SCANNING_ENGINES
    if scans and is_parquet_path(source):
        try:
            return scan_parquet(source, columns=columns, backend=backend)
        except NeedsParsing:
            pass
    elif backend.name == "duckdb" and _file_size(source) >= engine_text_bytes:
        try:
            return scan_text(source, name=name, columns=columns, backend=backend)
        except NeedsParsing:
            pass
    data, display = read_source(source, name)
    raw = read_table(data, display, sheet=sheet)
    if scans and isinstance(raw.frame, pa.Table):  # Parquet: Arrow columns read in place
        try:
            return arrow_transactions(raw.frame, name=raw.name, columns=columns, backend=backend)
        except NeedsParsing:
            pass
    loaded = canonical_transactions(raw, columns)
    return loaded if engine == "duckdb" else engine_transactions(loaded, backend)


def _file_size(source: Source) -> int:
    """The size of the file at ``source``, or -1 when it is no path to a file."""
    if not isinstance(source, str | Path):
        return -1
    try:
        return Path(source).stat().st_size
    except OSError:
        return -1
