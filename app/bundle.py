"""The cached pipeline: file bytes and options in, what every page shows out.

One pipeline run (read, clean, customer features) per file and options, cached by
content; everything a page needs is taken from the run once and kept as picklable tables.
The bundle is shared, not copied, by every page run and session that asks for it: nothing
in the app or the package changes a table it is given.
"""

from __future__ import annotations

import hashlib
import io
from collections import deque
from dataclasses import dataclass, fields
from datetime import date

import pandas as pd
import streamlit as st

from app.memory import giving_back_memory
from segmentation.errors import DataError
from segmentation.explore.exploration import missing_values, monthly_activity
from segmentation.read.files import read_table
from segmentation.read.loading import LoadReport
from segmentation.transactions.cleaning import CleaningOptions, StepResult
from segmentation.transactions.pipeline import run_features

PREVIEW_ROWS = 50


@dataclass(frozen=True)
class Bundle:
    """What the pages need from one pipeline run, as picklable tables and values."""

    source: str
    summary: dict[str, object]
    load_report: LoadReport
    preview: pd.DataFrame
    missing: pd.DataFrame
    steps: tuple[StepResult, ...]
    cleaning_table: pd.DataFrame
    rows_in: int
    revenue_in: float
    line_totals: pd.Series
    monthly: pd.DataFrame
    customers: pd.DataFrame
    snapshot: pd.Timestamp
    #: One row per customer and order, the customer-base models' input.
    purchases: pd.DataFrame

    @property
    def period(self) -> tuple[date, date]:
        """The dates of the first and last clean purchase."""
        return (
            date.fromisoformat(str(self.summary["first_date"])[:10]),
            date.fromisoformat(str(self.summary["last_date"])[:10]),
        )


def options_key(options: CleaningOptions) -> tuple[tuple[str, object], ...]:
    """Cleaning options as a hashable tuple of (field, value) pairs."""
    return tuple((f.name, getattr(options, f.name)) for f in fields(options))


#: Digests of the files last read, each next to its bytes object: the same object (the
#: configured file, the demo, a session's upload) is hashed once, not on every call (the
#: 40x Online Retail file is 128 MB; Streamlit would hash it for every cache lookup).
_DIGESTS: deque[tuple[bytes, str]] = deque(maxlen=4)


def content_digest(data: bytes) -> str:
    """A digest of ``data``, computed once per bytes object while it is among the last four
    (bytes never change, and the object is held here, so its identity cannot be reused)."""
    for seen, digest in tuple(_DIGESTS):
        if seen is data:
            return digest
    digest = hashlib.blake2b(data, digest_size=20).hexdigest()
    _DIGESTS.append((data, digest))
    return digest


def load_bundle(
    data: bytes,
    name: str,
    columns: tuple[tuple[str, str], ...] = (),
    sheet: str | None = None,
    options: tuple[tuple[str, object], ...] = (),
    snapshot: str | None = None,
) -> Bundle:
    """Run load, cleaning and customer features on file bytes; cached by content and options.

    Streamlit keys its cache on the arguments as passed (a default left out is not the same
    key as the default given), so every call goes to the cache in one form: one entry, and
    one pipeline run, per file and options. The file is keyed by its digest
    (:func:`content_digest`). Raises the package's error for bad input.
    """
    options = options or options_key(CleaningOptions())
    key = content_digest(data)
    outcome = _load_bundle(key, data, name, tuple(columns), sheet, tuple(options), snapshot)
    if isinstance(outcome, DataError):
        raise outcome
    return outcome


@st.cache_resource(max_entries=6, show_spinner=False)
@giving_back_memory
def _load_bundle(
    digest: str,
    _data: bytes,
    name: str,
    columns: tuple[tuple[str, str], ...],
    sheet: str | None,
    options: tuple[tuple[str, object], ...],
    snapshot: str | None,
) -> Bundle | DataError:
    """The bundle of ``_data`` (keyed by its ``digest``), or the package's error for bad
    input: returned, not raised, so that it is cached too (Streamlit does not cache
    exceptions, and every rerun would read the file again). One object for every caller,
    never copied (``st.cache_data`` would unpickle a copy of every table on every call)."""
    try:
        run = run_features(
            _data,
            name=name,
            columns=dict(columns) or None,
            sheet=sheet,
            cleaning=CleaningOptions(**dict(options)),
            snapshot_date=snapshot,
        )
    except DataError as error:
        return error
    report = run.cleaned.report
    return Bundle(
        source=name,
        summary=run.summary(),
        load_report=run.transactions.report,
        preview=run.preview(PREVIEW_ROWS),
        missing=missing_values(run.transactions_table()),
        steps=report.steps,
        cleaning_table=report.table(),
        rows_in=report.rows_in,
        revenue_in=report.revenue_out + sum(s.revenue_removed for s in report.steps),
        line_totals=run.line_totals(),
        monthly=monthly_activity(run.cleaned.table),
        customers=run.customers,
        snapshot=run.snapshot_date,
        purchases=run.purchases,
    )


@st.cache_data(max_entries=6, show_spinner=False)
def source_columns(data: bytes, name: str, sheet: str | None = None) -> list[str]:
    """Column names of a file as written in it, for mapping columns by hand."""
    table = read_table(data, name, sheet=sheet)
    frame = table.frame
    return [str(c) for c in getattr(frame, "column_names", None) or frame.columns]


@st.cache_data(max_entries=6, show_spinner=False)
def workbook_sheets(data: bytes) -> list[str]:
    """Sheet names of an Excel workbook (empty for other files)."""
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)
    except Exception:  # not a workbook: calamine raises its own kinds
        return []
