"""Load any transaction export into the canonical transaction table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from segmentation.errors import ColumnError
from segmentation.read.columns import detect_columns
from segmentation.read.files import (
    MAX_UNCOMPRESSED_BYTES,
    STACK_ALL_SHEETS,
    Source,
    read_source,
    read_table,
)
from segmentation.read.raw import RawTable
from segmentation.read.values import (
    EARLIEST_DATE,
    Parsed,
    parse_dates,
    parse_identifiers,
    parse_numbers,
    parse_text,
    shorten,
)
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

#: Share of present values that may be unreadable before a column counts as text.
MAX_UNREADABLE_SHARE = 0.5


@dataclass(frozen=True)
class LoadReport:
    """What was read and what had to be decided, in words a user can check."""

    source: str
    format: str
    layout: str
    mapping: dict[str, str]
    guessed: tuple[str, ...]
    unmapped: tuple[str, ...]
    rows_read: int
    encoding: str | None = None
    delimiter: str | None = None
    compression: str | None = None
    sheets: tuple[str, ...] = ()
    date_format: str | None = None
    skipped_lines: int = 0
    skipped_examples: tuple[str, ...] = ()
    unreadable: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The report as JSON-ready values."""
        return {
            "source": self.source,
            "format": self.format,
            "layout": self.layout,
            "mapping": dict(self.mapping),
            "rows_read": self.rows_read,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "compression": self.compression,
            "sheets": list(self.sheets),
            "date_format": self.date_format,
            "skipped_lines": self.skipped_lines,
            "unreadable": dict(self.unreadable),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Transactions:
    """The canonical transaction table and the report of how it was read."""

    data: pd.DataFrame
    report: LoadReport


def load_transactions(
    source: Source,
    *,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = STACK_ALL_SHEETS,
    max_bytes: int = MAX_UNCOMPRESSED_BYTES,
) -> Transactions:
    """Read a path, bytes or uploaded file into canonical transactions.

    ``columns`` maps canonical names to source columns and overrides detection;
    ``sheet`` picks one sheet of a workbook (default: every sheet with the same
    columns, stacked). Raises :class:`~segmentation.errors.DataError` on bad input.
    """
    data, display = read_source(source, name)
    raw = read_table(data, display, sheet=sheet, max_bytes=max_bytes)
    return canonical_transactions(raw, columns)


def canonical_transactions(raw: RawTable, columns: Mapping[str, str] | None = None) -> Transactions:
    """Map and convert a raw table's columns into the canonical transaction table."""
    frame = raw.frame
    names = list(frame.column_names if isinstance(frame, pa.Table) else frame.columns)
    mapping = detect_columns(names, columns, source=raw.name)
    converted: dict[str, pd.Series] = {}
    unreadable: dict[str, int] = {}
    notes = list(raw.notes)
    date_note = None
    for canonical, column in mapping.mapping.items():
        series = _column(frame, column)
        if canonical == INVOICE_DATE:
            parsed = parse_dates(series)
            refuse_unreadable(parsed, _present(parsed), raw, column, canonical)
            date_note = parsed.note
        elif canonical in NUMERIC_COLUMNS:
            parsed = parse_numbers(series, decimal_comma_hint=raw.delimiter == "semicolon")
            refuse_unreadable(parsed, _present(parsed), raw, column, canonical)
            if parsed.note:
                notes.append(f"Column '{column}' uses {parsed.note}.")
        elif canonical in (CUSTOMER_ID, INVOICE_NO, STOCK_CODE):
            converted[canonical] = parse_identifiers(series)
            continue
        else:
            converted[canonical] = parse_text(series, strip=canonical == COUNTRY)
            continue
        converted[canonical] = parsed.values
        if parsed.unreadable:
            unreadable[canonical] = parsed.unreadable
            notes.append(unreadable_note(parsed, raw, column))
    table = pd.DataFrame({c: converted[c] for c in TRANSACTION_COLUMNS if c in converted})
    table = _with_orders(table, notes)
    notes.extend(ambiguity_notes(date_note))
    report = LoadReport(
        source=raw.name,
        format=raw.format,
        layout=mapping.layout,
        mapping=dict(mapping.mapping),
        guessed=mapping.guessed,
        unmapped=mapping.unmapped,
        rows_read=len(table),
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        compression=raw.compression,
        sheets=raw.sheets,
        date_format=date_note,
        skipped_lines=raw.skipped_lines,
        skipped_examples=raw.skipped_examples,
        unreadable=unreadable,
        notes=tuple(notes),
    )
    return Transactions(data=table, report=report)


def _column(frame: pd.DataFrame | pa.Table, column: str) -> pd.Series:
    if isinstance(frame, pa.Table):
        return frame.column(column).to_pandas()
    return frame[column].reset_index(drop=True)


def _with_orders(table: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Without an invoice column, one customer's lines on one date form one order."""
    if INVOICE_NO in table:
        return table
    day = table[INVOICE_DATE].dt.strftime("%Y-%m-%d")
    order = (table[CUSTOMER_ID] + " " + day).where(table[CUSTOMER_ID].notna() & day.notna(), None)
    notes.append("There is no invoice column: one customer's lines on one date form one order.")
    table = table.assign(**{INVOICE_NO: order.astype("str")})
    return table[[c for c in TRANSACTION_COLUMNS if c in table]]


def ambiguity_notes(date_note: str | None) -> list[str]:
    """The note that dates are ambiguous, if the reading of dates says so."""
    if date_note and "no day above 12" in date_note:
        return [f"Dates are ambiguous: {date_note}."]
    return []


def _present(parsed: Parsed) -> int:
    return int(parsed.values.notna().sum()) + parsed.unreadable


def unreadable_note(parsed: Parsed, raw: RawTable, column: str) -> str:
    """The note on a column's unreadable values (``parsed.example`` the first of them)."""
    example = f"e.g. {parsed.example!r} on {_where(raw, parsed.example_position)}"
    if parsed.out_of_range == parsed.unreadable:
        return (
            f"{parsed.unreadable:,} date(s) of {shorten(column)!r} lie before "
            f"{EARLIEST_DATE.year} or in the future ({example}); the cleaning step for "
            "unreadable values removes them."
        )
    return (
        f"{parsed.unreadable:,} value(s) of {shorten(column)!r} could not be read ({example}); "
        "the cleaning step for unreadable values counts them."
    )


def refuse_unreadable(
    parsed: Parsed, present: int, raw: RawTable, column: str, canonical: str
) -> None:
    """Refuse a date or number column that is empty or mostly unreadable (``present``
    values, readable or not)."""
    kind = "a date" if canonical == INVOICE_DATE else "a number"
    if present == 0:
        raise ColumnError(
            f"Column '{column}' ({COLUMN_LABELS[canonical]}) of {raw.name} is empty; "
            "map another column or fill it in."
        )
    too_many = parsed.unreadable and parsed.unreadable > MAX_UNREADABLE_SHARE * present
    if too_many and parsed.out_of_range == parsed.unreadable:
        raise ColumnError(
            f"Column '{column}' ({COLUMN_LABELS[canonical]}) of {raw.name} has few dates "
            f"between {EARLIEST_DATE.year} and today: {parsed.unreadable:,} of {present:,} lie "
            f"outside, e.g. {parsed.example!r} on {_where(raw, parsed.example_position)}; "
            "check the column or the dates."
        )
    if too_many:
        raise ColumnError(
            f"Column '{column}' ({COLUMN_LABELS[canonical]}) of {raw.name} holds text, not {kind}: "
            f"{parsed.unreadable:,} of {present:,} values cannot be read, e.g. {parsed.example!r} "
            f"on {_where(raw, parsed.example_position)}; map another column or fix the values."
        )


def _where(raw: RawTable, position: int | None) -> str:
    return f"{raw.row_word} {raw.first_row_number + (position or 0):,}"
