"""Delimited text read by the engine: large CSV files without a copy in memory.

The in-memory reader (:mod:`segmentation.read.delimited`, :mod:`segmentation.read.loading`)
reads the file's first megabyte, which settles its encoding, delimiter, header, column mapping
and the form of its dates and numbers. DuckDB then reads the whole file in parallel,
converts each column in that form and writes the result to a temporary Parquet file,
which is scanned like any other (:func:`~segmentation.read.scanning.scan_parquet`). Rows
with the wrong number of fields are counted, as the in-memory reader counts them, and
so are values that cannot be read. A file whose values need the in-memory reader's
care (numbers with currency signs or thousands separators, dates as Excel serials,
UTF-16, fixed-width columns, ...) raises :class:`~segmentation.read.scanning.NeedsParsing`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pyarrow.csv as pacsv
from ibis.backends import BaseBackend

from segmentation.engine import connect
from segmentation.read.delimited import not_utf8_note, skipped_lines_note
from segmentation.read.files import is_plain_text, read_table
from segmentation.read.loading import (
    Transactions,
    ambiguity_notes,
    canonical_transactions,
    refuse_unreadable,
    unreadable_note,
)
from segmentation.read.raw import RawTable
from segmentation.read.scanning import SCANNED_NOTE, EngineTransactions, NeedsParsing, scan_parquet
from segmentation.read.values import (
    DECIMAL_ID,
    MAX_NUMBER,
    Parsed,
    date_bounds,
    day_order,
    parse_dates,
    parse_numbers,
    shorten,
)
from segmentation.schema import (
    COUNTRY,
    CUSTOMER_ID,
    INVOICE_DATE,
    INVOICE_NO,
    NUMERIC_COLUMNS,
    STOCK_CODE,
)

#: Bytes of the file's start read in memory to settle how the rest is read.
SAMPLE_BYTES = 1 << 20
#: Encodings of the in-memory reader that DuckDB reads, by their names in its reports.
#: Windows-1252 differs from ISO-8859-1 only in bytes 0x80-0x9F (such as the euro
#: sign), which are refused in the sample and read as ISO-8859-1 beyond it.
_ENCODINGS = {"UTF-8": "utf-8", "UTF-8 with BOM": "utf-8", "Windows-1252": "latin-1"}
_ENCODINGS |= {"ISO-8859-1": "latin-1"}
_DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
#: Characters Python's ``str.strip`` removes (DuckDB's ``trim`` alone removes spaces).
_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
#: Characters that make DuckDB read a file name as a pattern.
_GLOB = "*?[]{}"
#: Most distinct unreadable values checked against the in-memory reader.
MAX_CHECKED_VALUES = 10_000
#: Lines DuckDB skips as the in-memory reader does: a wrong number of fields, bad bytes.
_COUNTED = "('MISSING COLUMNS', 'TOO MANY COLUMNS', 'INVALID ENCODING')"
#: Columns of the temporary file that say where a value could not be read.
_BAD, _OUTSIDE = "_unreadable_", "_outside_"
#: Columns parsed from text (the rest are copied as text).
_PARSED = (INVOICE_DATE, *NUMERIC_COLUMNS)
#: Columns of the temporary file: whether a date's first (second) field is above 12.
_ORDER_FLAGS = ("_first_above_12", "_second_above_12")


def scan_text(
    path: str | Path,
    *,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    backend: BaseBackend | None = None,
) -> EngineTransactions:
    """Canonical transactions from a delimited text file, read by DuckDB (the default engine).

    Raises :class:`NeedsParsing` when the file needs the in-memory reader, and the
    :class:`~segmentation.errors.DataError` the in-memory reader would raise for the
    file's start (no header, required column missing, ...).
    """
    path = Path(path)
    name = name or path.name
    backend = backend or connect()
    if backend.name != "duckdb":
        raise NeedsParsing("Only DuckDB reads delimited text itself.")
    if set(str(path)) & set(_GLOB):  # DuckDB would read the name as a pattern
        raise NeedsParsing(f"{name}: a path with {_GLOB} is read in memory.")
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
        whole = not handle.read(1)
    if not is_plain_text(head):
        raise NeedsParsing(f"{name} is not plain text.")
    if not whole:
        head = head[: head.rfind(b"\n") + 1]
    raw = read_table(head, name)
    sample = canonical_transactions(raw, columns)
    plan = _plan(raw, sample)
    folder = tempfile.mkdtemp(prefix="segmentation-")
    weakref.finalize(backend, shutil.rmtree, folder, ignore_errors=True)
    target = Path(folder) / "transactions.parquet"
    while True:  # read again when the whole file contradicts its start (at most twice)
        rejects = plan.copy(backend, path, target)
        figures = backend.raw_sql(plan.figures_query(target)).fetch_df().iloc[0]
        skipped, skipped_examples, not_utf8 = _rejected(backend, rejects, name)
        revised = plan.revised(figures, not_utf8)
        if revised == plan:
            break
        plan = revised
    plan.check_unreadable(backend, target, name)
    date_note = plan.date_note(figures)
    unreadable, notes = plan.unreadable(figures, raw)
    encoding = "ISO-8859-1" if plan.encoding == "latin-1" else raw.encoding
    # the notes of the file's start, but those on its encoding and skipped lines
    start_only = {not_utf8_note(raw.encoding or "")}
    if raw.skipped_lines:
        start_only.add(skipped_lines_note(raw.skipped_lines, raw.skipped_examples[0]))
    kept = [n for n in raw.notes if n not in start_only]
    if encoding == "ISO-8859-1":
        kept.append(not_utf8_note(encoding))
    if skipped:
        which = f"that could not be read (a wrong number of fields, or bytes not in {encoding})"
        kept.append(skipped_lines_note(skipped, skipped_examples[0], which))
    canonical = {c: c for c in plan.mapping}
    scanned = scan_parquet(target, columns=canonical, backend=backend)
    engine_notes = [n for n in scanned.report.notes if n != SCANNED_NOTE]
    report = replace(
        sample.report,
        rows_read=scanned.report.rows_read,
        encoding=encoding,
        date_format=date_note,
        skipped_lines=skipped,
        skipped_examples=skipped_examples,
        unreadable=unreadable,
        notes=(
            "The engine read the file in parallel into a temporary Parquet file, "
            "with no copy of it in memory.",
            *kept,
            *notes,
            *ambiguity_notes(date_note),
            *engine_notes,
        ),
    )
    return EngineTransactions(table=scanned.table, backend=backend, report=report)


@dataclass(frozen=True)
class _Plan:
    """How DuckDB reads the file: its form, and an expression per canonical column."""

    encoding: str
    delimiter: str
    skip: int
    header: tuple[str, ...]
    mapping: dict[str, str]
    #: ``iso``, ``month first`` or ``day first``.
    date_order: str

    @property
    def parsed(self) -> list[str]:
        """The canonical columns the plan parses from text."""
        return [c for c in _PARSED if c in self.mapping]

    def copy(self, backend: BaseBackend, path: Path, target: Path) -> str:
        """Read the file into ``target``; return the name of the table of rejected lines."""
        rejects = ibis.util.gen_name("rejects")
        # columns by position (names differing only in case are one name to DuckDB)
        types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(self.header)))
        nulls = ", ".join(_text(v) for v in pacsv.ConvertOptions().null_values)
        source = (
            f"read_csv({_text(str(path))}, columns={{{types}}}, header=true, auto_detect=false, "
            f"delim={_text(self.delimiter)}, quote='\"', escape='\"', skip={self.skip}, "
            f"encoding={_text(self.encoding)}, nullstr=[{nulls}], null_padding=false, "
            f"ignore_errors=true, store_rejects=true, rejects_table={_text(rejects)}, "
            f"rejects_scan={_text(rejects + '_scan')})"
        )
        selected = ", ".join(f"{sql} AS {_name(name)}" for name, sql in self._columns())
        try:
            backend.raw_sql(
                f"COPY (SELECT {selected} FROM {source}) TO {_text(str(target))} (FORMAT parquet)"
            )
        except duckdb.Error:  # e.g. bytes that no encoding DuckDB reads can hold
            raise NeedsParsing(f"{path.name} has lines DuckDB cannot read.") from None
        return rejects

    def _columns(self) -> list[tuple[str, str]]:
        columns = []
        for canonical, column in self.mapping.items():
            value = f"c{self.header.index(column)}"
            if canonical == INVOICE_DATE:
                parsed = self._date(value)
                earliest, latest = date_bounds()
                outside = f"({parsed} < {_text(str(earliest))}::TIMESTAMP OR {parsed} > "
                outside += f"{_text(str(latest.floor('s')))}::TIMESTAMP)"
                kept = f"CASE WHEN NOT {outside} THEN {parsed} END"
                columns.append((canonical, kept))
                columns.append((_OUTSIDE + canonical, f"CASE WHEN {outside} THEN {value} END"))
                columns.append((_BAD + canonical, _unless_read(value, kept)))
                if self.date_order != "iso":  # the order of day and month, from whole dates
                    for field, flag in enumerate(_ORDER_FLAGS, start=1):
                        part = f"TRY_CAST(split_part({_strip(value)}, '/', {field}) AS INT)"
                        whole = _matches(value, _SLASH_DATE)
                        columns.append((flag, f"CASE WHEN {whole} THEN {part} > 12 END"))
            elif canonical in NUMERIC_COLUMNS:
                # only the forms the file's start showed: anything else is left to the check
                # of unreadable values (DuckDB reads 1_000, for one, which pandas does not)
                plain = _matches(value, _PLAIN_NUMBER)
                number = f"CASE WHEN {plain} THEN TRY_CAST({_strip(value)} AS DOUBLE) END"
                readable = f"(isfinite({number}) AND abs({number}) <= {MAX_NUMBER!r})"
                columns.append((canonical, f"CASE WHEN {readable} THEN {number} END"))
                columns.append(
                    (_BAD + canonical, _unless_read(value, f"NULLIF({readable}, false)"))
                )
            elif canonical in (CUSTOMER_ID, INVOICE_NO, STOCK_CODE):
                whole = f"regexp_replace({_strip(value)}, '{DECIMAL_ID}', '\\1')"
                columns.append((canonical, f"NULLIF({whole}, '')"))
            else:
                text = f"{_strip(value)}" if canonical == COUNTRY else value
                columns.append((canonical, f"NULLIF({text}, '')"))
        return columns

    def _date(self, value: str) -> str:
        if self.date_order == "iso":  # no offsets: the in-memory reader converts them to UTC
            iso = _matches(value, _ISO_DATE)
            return f"CASE WHEN {iso} THEN TRY_CAST({_strip(value)} AS TIMESTAMP) END"
        order = "%d/%m/%Y" if self.date_order == "day first" else "%m/%d/%Y"
        formats = ", ".join(_text(f"{order}{t}") for t in (" %H:%M:%S", " %H:%M", ""))
        return f"try_strptime({_strip(value)}, [{formats}])"

    def check_unreadable(self, backend: BaseBackend, target: Path, name: str) -> None:
        """:class:`NeedsParsing` when the in-memory reader reads a value the engine could
        not (a form of date or number the file's start did not show)."""
        for canonical in self.parsed:
            bad = _name(_BAD + canonical)
            values = backend.raw_sql(
                f"SELECT DISTINCT {bad} AS v FROM read_parquet({_text(str(target))}) "
                f"WHERE {bad} IS NOT NULL LIMIT {MAX_CHECKED_VALUES + 1}"
            ).fetch_df()["v"]
            if len(values) > MAX_CHECKED_VALUES:
                raise NeedsParsing(f"{name} has too many unreadable values to check.")
            parse = parse_dates if canonical == INVOICE_DATE else parse_numbers
            if parse(values.astype("str")).values.notna().any():
                raise NeedsParsing(f"{name} writes some {canonical} in a form read in memory.")

    def figures_query(self, target: Path) -> str:
        """One pass over ``target``: unreadable values and the evidence of the date order."""
        figures = []
        for canonical in self.parsed:
            bad = _name(_BAD + canonical)
            figures += [
                f"count({bad}) AS {_name('bad ' + canonical)}",
                f"count({_name(canonical)}) AS {_name('read ' + canonical)}",
                f"arg_min({bad}, file_row_number) AS {_name('example ' + canonical)}",
                f"min(CASE WHEN {bad} IS NOT NULL THEN file_row_number END) "
                f"AS {_name('position ' + canonical)}",
            ]
        outside = _name(_OUTSIDE + INVOICE_DATE)
        figures.append(f"count({outside}) AS _outside")
        for flag in _ORDER_FLAGS:
            found = "false" if self.date_order == "iso" else f"coalesce(bool_or({flag}), false)"
            figures.append(f"{found} AS {flag}")
        return (
            f"SELECT {', '.join(figures)} FROM read_parquet({_text(str(target))}, "
            "file_row_number=true)"
        )

    def revised(self, figures: pd.Series, not_utf8: bool) -> _Plan:
        """The plan the whole file asks for, after a first read guided by its start: a
        file with bytes that are not UTF-8 is read as ISO-8859-1 (as the in-memory reader
        falls back), dates in the order the whole file shows."""
        if not_utf8 and self.encoding == "utf-8":
            return replace(self, encoding="latin-1")
        if self.date_order == "iso":
            return self
        day_first = _day_order(figures)[0]
        return replace(self, date_order="day first" if day_first else "month first")

    def date_note(self, figures: pd.Series) -> str | None:
        """The reading of dates, as the in-memory reader words it for the whole file."""
        if self.date_order == "iso":
            return None
        return _day_order(figures)[1]

    def unreadable(self, figures: pd.Series, raw: RawTable) -> tuple[dict[str, int], list[str]]:
        """Unreadable values per column and their notes; refuses a column that is mostly so."""
        counts, notes = {}, []
        for canonical in self.parsed:
            column = self.mapping[canonical]
            bad = int(figures[f"bad {canonical}"])
            position = figures[f"position {canonical}"]
            parsed = Parsed(
                values=pd.Series(dtype="float64"),
                unreadable=bad,
                example=shorten(figures[f"example {canonical}"]) if bad else None,
                example_position=int(position) if bad else None,
                out_of_range=int(figures["_outside"]) if canonical == INVOICE_DATE else 0,
            )
            refuse_unreadable(
                parsed, int(figures[f"read {canonical}"]) + bad, raw, column, canonical
            )
            if bad:
                counts[canonical] = bad
                notes.append(unreadable_note(parsed, raw, column))
        return counts, notes


def _plan(raw: RawTable, sample: Transactions) -> _Plan:
    """How DuckDB is to read the file whose start is ``raw``; :class:`NeedsParsing` when
    the start shows something only the in-memory reader reads."""
    frame = raw.frame
    encoding = _ENCODINGS.get(raw.encoding or "")
    delimiter = _DELIMITERS.get(raw.delimiter or "")
    if encoding is None or delimiter is None or raw.format != "delimited text":
        raise NeedsParsing(f"{raw.name} is read in memory ({raw.encoding}, {raw.delimiter}).")
    if raw.encoding == "Windows-1252" and re.search("[\u0152-\u2122]", _all_text(frame)):
        raise NeedsParsing(f"{raw.name} uses Windows-1252 letters that ISO-8859-1 lacks.")
    header = tuple(frame.column_names)
    mapping = sample.report.mapping
    date_order = "iso"
    for canonical in (c for c in _PARSED if c in mapping):
        column = mapping[canonical]
        # the values the in-memory reader read (the rest are unreadable either way)
        values = pd.Series(frame.column(column).to_pandas()).str.strip()
        values = values[sample.data[canonical].notna().to_numpy()]
        if canonical == INVOICE_DATE:
            date_order = _date_order(values, raw.name)
        elif not values.str.match(_PLAIN_NUMBER).all():
            raise NeedsParsing(f"{raw.name} writes numbers in a form read in memory.")
    return _Plan(
        encoding=encoding,
        delimiter=delimiter,
        skip=raw.lines_before_header,
        header=header,
        mapping=dict(mapping),
        date_order=date_order,
    )


def _date_order(values: pd.Series, name: str) -> str:
    if values.str.match(_ISO_DATE).all():
        return "iso"
    parts = values.str.extract(_SLASH_DATE)
    if parts[0].isna().any():
        raise NeedsParsing(f"{name} writes dates in a form read in memory.")
    above = (bool((parts[field].astype(int) > 12).any()) for field in (0, 1))
    return "day first" if day_order(*above)[0] else "month first"


def _day_order(figures: pd.Series) -> tuple[bool, str]:
    """Whether the whole file's dates are day first, and the note saying why."""
    return day_order(*(bool(figures[flag]) for flag in _ORDER_FLAGS))


def _all_text(frame) -> str:
    return " ".join(" ".join(v for v in column.to_pylist() if v) for column in frame.columns)


def _rejected(backend: BaseBackend, rejects: str, name: str) -> tuple[int, tuple[str, ...], bool]:
    """Lines DuckDB skipped (a line with several errors once), the first five of them, and
    whether some were skipped for bytes not in the encoding. :class:`NeedsParsing` when
    DuckDB skipped lines for anything else than their number of fields or encoding (its
    quoting rules are stricter than the in-memory reader's)."""
    found = backend.raw_sql(
        f"SELECT line, any_value(csv_line) AS text, bool_or(error_type = 'INVALID ENCODING') "
        f"AS encoding, bool_and(error_type IN {_COUNTED}) AS counted "
        f"FROM {_name(rejects)} GROUP BY line ORDER BY line"
    ).fetch_df()
    if not found["counted"].all():
        raise NeedsParsing(f"{name} has lines quoted in a way DuckDB reads differently.")
    return len(found), tuple(found["text"].head(5)), bool(found["encoding"].any())


def _unless_read(value: str, converted: str) -> str:
    """The text of a present value that ``converted`` could not read, else NULL."""
    return f"CASE WHEN {_strip(value)} <> '' AND {converted} IS NULL THEN {value} END"


def _matches(value: str, pattern: re.Pattern) -> str:
    """SQL: whether ``value``, stripped, matches ``pattern`` (written for both engines)."""
    return f"regexp_full_match({_strip(value)}, {_text(pattern.pattern.strip('^$'))})"


def _strip(value: str) -> str:
    """SQL for ``value`` without surrounding white space, as Python's ``str.strip`` (the
    pattern first: trimming a list of characters is several times slower)."""
    edge = _text(f"^[{_WHITESPACE}]|[{_WHITESPACE}]$")
    trimmed = f"trim({value}, {_text(_WHITESPACE)})"
    return f"CASE WHEN regexp_matches({value}, {edge}) THEN {trimmed} ELSE {value} END"


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
