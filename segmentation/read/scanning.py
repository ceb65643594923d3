"""Transactions read by the engine itself: Parquet files and warehouse tables.

The engine scans the data where it lies, with no pandas copy of the transactions:
the canonical columns are expressions over the source table, cleaning and
aggregation run in the engine, and only the customer table comes back to pandas.
Columns that need the forgiving parsing of :mod:`segmentation.read.values` (dates or
numbers stored as text) are refused with :class:`NeedsParsing`; files with such
columns are read by :func:`segmentation.read.loading.load_transactions` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from ibis import _
from ibis.backends import BaseBackend

from segmentation.engine import (
    ROW,
    as_table,
    connect,
    connect_spark,
    engine_table,
    materialise,
    view,
)
from segmentation.errors import ColumnError, DataError
from segmentation.read.columns import detect_columns
from segmentation.read.files import PARQUET_MAGIC, unreadable_parquet
from segmentation.read.loading import LoadReport, Transactions
from segmentation.read.raw import no_data_rows
from segmentation.read.values import DECIMAL_ID, EARLIEST_DATE, MAX_NUMBER, date_bounds, shorten
from segmentation.schema import (
    COLUMN_LABELS,
    COUNTRY,
    CUSTOMER_ID,
    DESCRIPTION,
    INVOICE_DATE,
    INVOICE_NO,
    NUMERIC_COLUMNS,
    STOCK_CODE,
    TRANSACTION_COLUMNS,
)

_IDENTIFIERS = (CUSTOMER_ID, INVOICE_NO, STOCK_CODE)
#: The report's note on a table the engine scans.
SCANNED_NOTE = "The engine reads the table where it lies, with no copy of it in memory."


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
    table = materialise(as_table(transactions.data, backend), backend)
    return EngineTransactions(table=table, backend=backend, report=transactions.report)


def is_parquet_path(source: object) -> bool:
    """Whether ``source`` is a path to a Parquet file (by its first bytes)."""
    if not isinstance(source, str | Path):
        return False
    path = Path(source)
    try:
        with path.open("rb") as handle:
            return handle.read(len(PARQUET_MAGIC)) == PARQUET_MAGIC
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
        names = pq.read_schema(path).names
        own_numbers = backend.name == "duckdb" and "file_row_number" not in names
        if own_numbers:
            source = backend.read_parquet(path, file_row_number=True)
            source = source.rename({ROW: "file_row_number"})
        else:
            source = backend.read_parquet(str(path))
    except Exception:  # each engine raises its own errors
        raise unreadable_parquet(path.name) from None
    return table_transactions(
        source, backend, name=path.name, columns=columns, format="Parquet", numbered=own_numbers
    )


def arrow_transactions(
    table: pa.Table,
    *,
    name: str,
    columns: Mapping[str, str] | None = None,
    backend: BaseBackend | None = None,
) -> EngineTransactions:
    """Canonical transactions over an Arrow table (an uploaded Parquet file), not copied."""
    rows = pa.array(np.arange(table.num_rows, dtype=np.int64))
    if ROW in table.column_names:
        table = table.drop_columns([ROW])
    backend = backend or connect()
    source = engine_table(table.add_column(0, ROW, rows), backend)
    return table_transactions(
        source, backend, name=name, columns=columns, format="Parquet", numbered=True
    )


def table_transactions(
    source: ibis.Table,
    backend: BaseBackend,
    *,
    name: str,
    columns: Mapping[str, str] | None = None,
    format: str = "table",
    numbered: bool = False,
) -> EngineTransactions:
    """Canonical transactions over any engine table (a warehouse table, a scanned file).

    With ``numbered``, the table's ``_row`` column numbers its rows; otherwise rows are
    numbered in the order the engine returns them (a column of that name is dropped).
    """
    if not numbered:
        source = _numbered(source.drop(ROW) if ROW in source.columns else source)
    names = [c for c in source.columns if c != ROW]
    mapping = detect_columns(names, columns, source=name)
    for canonical, column in mapping.mapping.items():
        _check_type(source[column], canonical, column, name)
    profile = _profile(source, mapping.mapping, backend)
    if not profile.rows:
        raise no_data_rows(name)
    converted = {ROW: source[ROW]}
    for canonical, column in mapping.mapping.items():
        converted[canonical] = _canonical(source[column], canonical, profile)
    order = [c for c in (ROW, *TRANSACTION_COLUMNS) if c in converted]
    table = source.select(**{c: converted[c] for c in order})
    notes = [SCANNED_NOTE]
    if INVOICE_NO not in table.columns:
        day = table[INVOICE_DATE].strftime("%Y-%m-%d")
        order = table[CUSTOMER_ID].cast("string").concat(" ", day)
        table = table.mutate(**{INVOICE_NO: order})
        notes.append("There is no invoice column: one customer's lines on one date form one order.")
    table = view(table, backend)
    for canonical, count in profile.unreadable.items():
        column = shorten(mapping.mapping[canonical])
        what = (
            f"lie before {EARLIEST_DATE.year} or in the future"
            if canonical == INVOICE_DATE
            else "are not finite or too large to be real"
        )
        notes.append(
            f"{count:,} value(s) of {column!r} {what}; the cleaning step for unreadable "
            "values removes them."
        )
    report = LoadReport(
        source=name,
        format=format,
        layout=mapping.layout,
        mapping=dict(mapping.mapping),
        guessed=mapping.guessed,
        unmapped=mapping.unmapped,
        rows_read=profile.rows,
        unreadable=profile.unreadable,
        notes=tuple(notes),
    )
    return EngineTransactions(table=table, backend=backend, report=report)


def _numbered(source: ibis.Table) -> ibis.Table:
    return source.mutate(**{ROW: ibis.row_number()})


@ibis.udf.scalar.builtin
def trim(value: str) -> str:
    """Text without surrounding spaces (the engine's own ``trim``)."""


@ibis.udf.scalar.builtin(name="round")
def round_float(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` places, as a float (Ibis's ``round(0)`` casts to a
    whole number, which fails on values too large for one)."""


def _check_type(value: ibis.Value, canonical: str, column: str, name: str) -> None:
    kind = value.type()
    if canonical == INVOICE_DATE and not (kind.is_timestamp() or kind.is_date()):
        raise _needs_parsing(column, canonical, name, "dates")
    if canonical in NUMERIC_COLUMNS and not kind.is_numeric():
        raise _needs_parsing(column, canonical, name, "numbers")


def _canonical(value: ibis.Value, canonical: str, profile: _Profile) -> ibis.Value:
    if canonical == INVOICE_DATE:
        when = value.cast(dt.Timestamp())
        if canonical not in profile.unreadable:
            return when
        return ibis.cases((_out_of_range(when), ibis.null(dt.Timestamp())), else_=when)
    kind = value.type()
    if canonical in NUMERIC_COLUMNS:
        number = value.cast("float64")
        if canonical not in profile.unreadable and canonical not in profile.nan:
            return number
        missing = number.isnan() | _unreadable(number)
        return ibis.cases((missing, ibis.null("float64")), else_=number)
    if canonical in _IDENTIFIERS and kind.is_integer():
        wide = isinstance(kind, dt.UInt64)  # may exceed int64
        return value.cast("string" if wide else "int64")
    if canonical in _IDENTIFIERS and kind.is_floating():
        # whole numbers stay numbers in the engine (cheaper to group); text_identifiers
        # writes them as text; a column holding fractions is text throughout
        kind = "string" if canonical in profile.fractional else "int64"
        if canonical not in profile.nan:
            return value.cast(kind)
        return ibis.cases((value.isnan(), ibis.null(kind)), else_=value.cast(kind))
    text = value.cast("string")
    if canonical in profile.padded:
        text = trim(text)
    if canonical in profile.decimal_ids:
        text = ibis.cases((text.contains("."), text.re_replace(DECIMAL_ID, r"\1")), else_=text)
    # descriptions, long and only shown, are not profiled; trimmed blanks become empty
    empty = profile.empty | profile.padded | {DESCRIPTION}
    return text.nullif("") if canonical in empty else text


def _out_of_range(when: ibis.Value) -> ibis.Value:
    """Before :data:`~segmentation.read.values.EARLIEST_DATE` or in the future, as the loader
    has it."""
    earliest, latest = date_bounds()
    return (when < earliest.to_pydatetime()) | (when > latest.floor("s").to_pydatetime())


def _unreadable(number: ibis.Value) -> ibis.Value:
    """Infinite or absurdly large (NaN, a missing value, is not unreadable)."""
    return ~number.isnan() & (number.abs() > MAX_NUMBER)


@dataclass(frozen=True)
class _Profile:
    """What one pass over the source found: the conversions its columns need."""

    rows: int
    #: Numeric columns: values infinite or too large; the date column: dates out of range.
    unreadable: dict[str, int]
    #: Float columns holding NaN (a missing value written as a number).
    nan: frozenset[str]
    #: Id columns stored as floats that hold fractions.
    fractional: frozenset[str]
    #: Text columns with values in surrounding spaces.
    padded: frozenset[str]
    #: Id and country columns with empty values (missing values written as text).
    empty: frozenset[str]
    #: Text id columns that may hold values such as ``17850.0``.
    decimal_ids: frozenset[str]


def _profile(source: ibis.Table, mapping: Mapping[str, str], backend: BaseBackend) -> _Profile:
    """Count, in one pass, what the conversions of :func:`_canonical` have to fix, so that
    clean columns are copied as they are. The text checks are cheap patterns, never a
    copy of the text: a false alarm only costs a conversion that changes nothing."""
    figures = {"_rows": _.count()}
    kinds: dict[str, list[str]] = {g: [] for g in ("unreadable", "nan", "fractional", "padded")}
    kinds |= {"empty": [], "ids": []}

    def add(group: str, canonical: str, found: ibis.Value) -> None:
        figures[f"{group} {canonical}"] = _count(found)
        kinds[group].append(canonical)

    for canonical, column in mapping.items():
        value = source[column]
        kind = value.type()
        if kind.is_floating():
            add("nan", canonical, value.isnan())
        if canonical in NUMERIC_COLUMNS:
            add("unreadable", canonical, _unreadable(value.cast("float64")))
        elif canonical == INVOICE_DATE:
            add("unreadable", canonical, _out_of_range(value.cast(dt.Timestamp())))
        elif canonical in _IDENTIFIERS and kind.is_floating():
            # a fraction, an infinity or a number too large to be a whole int64 id
            # (rounding finds fractions in half the time of ``% 1``)
            odd = value.isinf() | (value.abs() >= 2**53) | (round_float(value, 0) != value)
            add("fractional", canonical, ~value.isnan() & odd)
        elif not kind.is_numeric() and canonical in (*_IDENTIFIERS, COUNTRY):
            text = value.cast("string")
            add("empty", canonical, text == "")
            add("padded", canonical, text.like(" %") | text.like("% "))
            if canonical != COUNTRY:
                add("ids", canonical, text.like("%.0%"))
    counts = backend.to_pandas(source.aggregate(**figures)).fillna(0).iloc[0]

    def found(group: str) -> dict[str, int]:
        named = {c: int(counts[f"{group} {c}"]) for c in kinds[group]}
        return {c: n for c, n in named.items() if n}

    return _Profile(
        rows=int(counts["_rows"]),
        unreadable=found("unreadable"),
        nan=frozenset(found("nan")),
        fractional=frozenset(found("fractional")),
        padded=frozenset(found("padded")),
        empty=frozenset(found("empty")),
        decimal_ids=frozenset(found("ids")),
    )


def _count(condition: ibis.Value) -> ibis.Value:
    return condition.fill_null(False).cast("int64").sum()


def _needs_parsing(column: str, canonical: str, name: str, kind: str) -> NeedsParsing:
    return NeedsParsing(
        f"Column '{column}' ({COLUMN_LABELS[canonical]}) of {name} holds text, not {kind}; "
        "store it as a typed column in the table, or export the table to a file and load that."
    )
