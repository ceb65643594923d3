"""Transactions read by the engine itself: Parquet files and warehouse tables.

The engine scans the data where it lies, with no pandas copy of the transactions:
the canonical columns are expressions over the source table, cleaning and
aggregation run in the engine, and only the customer table comes back to pandas.
Columns that need the forgiving parsing of :mod:`segmentation.values` (dates or
numbers stored as text) are refused with :class:`NeedsParsing`; files with such
columns are read by :func:`segmentation.loading.load_transactions` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa
from ibis import _
from ibis.backends import BaseBackend

from segmentation.columns import detect_columns
from segmentation.engine import ROW, connect, connect_spark, materialise
from segmentation.errors import ColumnError, DataError, FileFormatError
from segmentation.loading import LoadReport, Transactions
from segmentation.schema import (
    COLUMN_LABELS,
    COUNTRY,
    CUSTOMER_ID,
    INVOICE_DATE,
    INVOICE_NO,
    NUMERIC_COLUMNS,
    STOCK_CODE,
    TRANSACTION_COLUMNS,
)
from segmentation.values import MAX_NUMBER

_IDENTIFIERS = (CUSTOMER_ID, INVOICE_NO, STOCK_CODE)


class NeedsParsing(ColumnError):
    """A column holds text where the engine needs typed values (dates or numbers)."""


@dataclass(frozen=True)
class EngineTransactions:
    """Canonical transactions as an engine table (with a ``_row`` column) and the load report."""

    table: ibis.Table
    backend: BaseBackend
    report: LoadReport


def connect_engine(engine: str = "duckdb") -> BaseBackend:
    """An engine by name: ``duckdb`` (in-process, the default), ``spark`` (PySpark in
    local mode) or an Ibis connection URL such as ``postgres://user@host/db``."""
    if engine == "duckdb":
        return connect()
    if engine == "spark":
        return connect_spark()
    try:
        return ibis.connect(engine)
    except Exception:  # each backend raises its own errors
        shown = engine.split("://", 1)[0] + "://..." if "://" in engine else engine
        raise DataError(
            f"Cannot connect to the engine {shown!r}; give duckdb, spark or an Ibis connection "
            "URL, check the address, and install Ibis's backend for it."
        ) from None


def warehouse_transactions(
    backend: BaseBackend, table: str, *, columns: Mapping[str, str] | None = None
) -> EngineTransactions:
    """Canonical transactions over a table of the engine's own (a warehouse table)."""
    try:
        source = backend.table(table)
    except Exception:  # each backend raises its own errors
        raise DataError(
            f"The engine has no table named {table!r}; check the name (and its schema)."
        ) from None
    return table_transactions(source, backend, name=table, columns=columns)


def engine_transactions(transactions: Transactions, backend: BaseBackend) -> EngineTransactions:
    """Transactions loaded in memory, moved into ``backend`` (an engine other than the default)."""
    frame = pa.Table.from_pandas(transactions.data, preserve_index=False)
    rows = pa.array(range(frame.num_rows), type=pa.int64())
    name = ibis.util.gen_name("transactions")
    table = backend.create_table(name, obj=ibis.memtable(frame.add_column(0, ROW, rows)), temp=True)
    return EngineTransactions(table=table, backend=backend, report=transactions.report)


def is_parquet_path(source: object) -> bool:
    """Whether ``source`` is a path to a Parquet file (by its first bytes)."""
    if not isinstance(source, str | Path):
        return False
    path = Path(source)
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError:
        return False


def scan_parquet(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    backend: BaseBackend | None = None,
) -> EngineTransactions:
    """Canonical transactions over a Parquet file scanned by the engine (default DuckDB).

    Raises :class:`NeedsParsing` when a date or money column is stored as text.
    """
    path = Path(path)
    backend = backend or connect()
    try:
        if backend.name == "duckdb":
            source = backend.read_parquet(path, file_row_number=True).rename(
                {ROW: "file_row_number"}
            )
        else:
            source = _numbered(backend.read_parquet(str(path)))
    except Exception:  # each engine raises its own errors
        raise FileFormatError(
            f"{path.name} is not a readable Parquet file (it may be truncated); export it again."
        ) from None
    return table_transactions(source, backend, name=path.name, columns=columns, format="Parquet")


def arrow_transactions(
    table: pa.Table,
    *,
    name: str,
    columns: Mapping[str, str] | None = None,
    backend: BaseBackend | None = None,
) -> EngineTransactions:
    """Canonical transactions over an Arrow table (an uploaded Parquet file), not copied."""
    rows = pa.array(range(table.num_rows), type=pa.int64())
    backend = backend or connect()
    source = ibis.memtable(table.add_column(0, ROW, rows))
    return table_transactions(source, backend, name=name, columns=columns, format="Parquet")


def table_transactions(
    source: ibis.Table,
    backend: BaseBackend,
    *,
    name: str,
    columns: Mapping[str, str] | None = None,
    format: str = "table",
) -> EngineTransactions:
    """Canonical transactions over any engine table (a warehouse table, a scanned file).

    A ``_row`` column numbers the rows; without one, rows are numbered in the
    order the engine returns them.
    """
    if ROW not in source.columns:
        source = _numbered(source)
    names = [c for c in source.columns if c != ROW]
    mapping = detect_columns(names, columns, source=name)
    for canonical, column in mapping.mapping.items():
        _check_type(source[column], canonical, column, name)
    rows, unreadable, fractional = _profile(source, mapping.mapping, backend)
    converted = {ROW: source[ROW]}
    for canonical, column in mapping.mapping.items():
        converted[canonical] = _canonical(source[column], canonical, canonical in fractional)
    order = [c for c in (ROW, *TRANSACTION_COLUMNS) if c in converted]
    table = source.select(**{c: converted[c] for c in order})
    notes = ["The engine read the table where it lies, with no copy in memory."]
    if INVOICE_NO not in table.columns:
        day = table[INVOICE_DATE].strftime("%Y-%m-%d")
        order = table[CUSTOMER_ID].cast("string").concat(" ", day)
        table = table.mutate(**{INVOICE_NO: order})
        notes.append("There is no invoice column: one customer's lines on one date form one order.")
    table = materialise(table, backend)
    for canonical, count in unreadable.items():
        notes.append(
            f"{count:,} value(s) of '{mapping.mapping[canonical]}' are not finite or too large "
            "to be real; the cleaning step for unreadable values counts them."
        )
    report = LoadReport(
        source=name,
        format=format,
        layout=mapping.layout,
        mapping=dict(mapping.mapping),
        guessed=mapping.guessed,
        unmapped=mapping.unmapped,
        rows_read=rows,
        unreadable=unreadable,
        notes=tuple(notes),
    )
    return EngineTransactions(table=table, backend=backend, report=report)


def _numbered(source: ibis.Table) -> ibis.Table:
    return source.mutate(**{ROW: ibis.row_number()})


@ibis.udf.scalar.builtin
def trim(value: str) -> str:
    """Text without surrounding spaces (the engine's own ``trim``)."""


def _check_type(value: ibis.Value, canonical: str, column: str, name: str) -> None:
    kind = value.type()
    if canonical == INVOICE_DATE and not (kind.is_timestamp() or kind.is_date()):
        raise _needs_parsing(column, canonical, name, "dates")
    if canonical in NUMERIC_COLUMNS and not kind.is_numeric():
        raise _needs_parsing(column, canonical, name, "numbers")


def _canonical(value: ibis.Value, canonical: str, fractional: bool) -> ibis.Value:
    if canonical == INVOICE_DATE:
        return value.cast(dt.Timestamp())
    if canonical in NUMERIC_COLUMNS:
        number = value.cast("float64")
        missing = number.isnan() | _unreadable(number)
        return ibis.cases((missing, ibis.null("float64")), else_=number)
    if canonical in _IDENTIFIERS:
        return _identifier(value, fractional)
    text = value.cast("string")
    if canonical == COUNTRY:
        text = trim(text)
    return text.nullif("")


def _identifier(value: ibis.Value, fractional: bool) -> ibis.Value:
    """Ids as they compare: whole numbers stay integers in the engine (cheaper to group;
    :func:`segmentation.engine.text_identifiers` writes them as text), ``00001`` keeps
    its zeros, ``17850.0`` in a text column becomes ``17850``."""
    kind = value.type()
    if kind.is_integer():
        return value.cast("int64")
    if kind.is_floating():
        missing = value.isnan()
        if fractional:
            return ibis.cases((missing, ibis.null("string")), else_=value.cast("string"))
        return ibis.cases((missing, ibis.null("int64")), else_=value.cast("int64"))
    text = trim(value.cast("string"))
    whole = ibis.cases((text.contains("."), text.re_replace(r"^(\d+)\.0+$", r"\1")), else_=text)
    return whole.nullif("")


def _unreadable(number: ibis.Value) -> ibis.Value:
    """Infinite or absurdly large (NaN, a missing value, is not unreadable)."""
    return ~number.isnan() & (number.abs() > MAX_NUMBER)


def _profile(
    source: ibis.Table, mapping: Mapping[str, str], backend: BaseBackend
) -> tuple[int, dict[str, int], set[str]]:
    """One pass: rows, per numeric column the values that are not finite or too large,
    and the id columns stored as floats that hold fractions."""
    numeric = [c for c in NUMERIC_COLUMNS if c in mapping]
    floats = [c for c in _IDENTIFIERS if c in mapping and source[mapping[c]].type().is_floating()]
    figures = {"_rows": _.count()}
    for canonical in numeric:
        number = source[mapping[canonical]].cast("float64")
        figures[canonical] = _unreadable(number).fill_null(False).cast("int64").sum()
    for canonical in floats:
        value = source[mapping[canonical]]
        fraction = (value.floor() != value) & ~value.isnan()
        figures[canonical] = fraction.fill_null(False).cast("int64").sum()
    counts = backend.to_pandas(source.aggregate(**figures)).iloc[0]
    unreadable = {c: int(counts[c]) for c in numeric if counts[c]}
    return int(counts["_rows"]), unreadable, {c for c in floats if counts[c]}


def _needs_parsing(column: str, canonical: str, name: str, kind: str) -> NeedsParsing:
    return NeedsParsing(
        f"Column '{column}' ({COLUMN_LABELS[canonical]}) of {name} holds text, not {kind}; "
        "store it as a typed column in the table, or export the table to a file and load that."
    )
