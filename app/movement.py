"""The cached movement of the current customers between two dates, for the Movement page
and for any page that tells the largest move in a sentence (:func:`largest_move`).

Both dates' customer tables come from the order table the cached data already holds
(:attr:`~app.bundle.Bundle.purchases`): a new pair of dates reads no transaction again.
A date's table and the clusters fitted at the later date are cached on their own, so a new
earlier date computes that date's table alone. Each is shared, not copied, by the page
runs that ask for it (``st.cache_resource``): nothing changes a table it is given."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from app.bundle import Bundle
from app.errors import failure_sentence
from app.segments import clustering_params, segment
from app.settings import MOVEMENT_FROM, MOVEMENT_KIND, MOVEMENT_TO
from segmentation.movement.flows import Movement, largest_flow_sentence, migrate
from segmentation.movement.snapshots import (
    customer_snapshots,
    default_dates,
    purchase_period,
    segments_as_of,
)
from segmentation.outputs.export import to_safe_csv
from segmentation.segments.segment import Segmentation
from segmentation.transactions.features import customers_as_of

#: Widget keys of the Movement page (kept across pages: see ``PERSISTENT_PREFIXES``).
FROM_KEY, TO_KEY, KIND_KEY = MOVEMENT_FROM, MOVEMENT_TO, MOVEMENT_KIND
#: Session-state key of the data period the dates were set for, and of the last movement
#: that worked: (data, dates, kind, options).
PERIOD_KEY, LAST_GOOD_MOVEMENT = "movement_period", "last_good_movement"


@st.cache_resource(max_entries=8, show_spinner=False)
def customers_on(purchases: pd.DataFrame, day: date) -> pd.DataFrame:
    """The customers of the order table ``purchases`` as they stood on ``day``
    (:func:`~segmentation.transactions.features.customers_as_of`)."""
    return customers_as_of(purchases, day).customers


@st.cache_resource(max_entries=4, show_spinner=False)
def segments_on(
    customers: pd.DataFrame, day: date, params: tuple[tuple[str, object], ...]
) -> Segmentation:
    """The clusters of ``customers``, the table as of ``day``, with the clustering options
    ``params`` (:func:`~segmentation.movement.snapshots.segments_as_of`): one fit per later
    date and options, whatever the earlier date."""
    return segments_as_of(customers, day, **dict(params))


@st.cache_resource(max_entries=8, show_spinner=False)
def movement(
    purchases: pd.DataFrame,
    start: date,
    end: date,
    kind: str,
    params: tuple[tuple[str, object], ...],
) -> Movement:
    """:func:`~segmentation.movement.flows.migrate` of the order table ``purchases`` between
    ``start`` and ``end``; ``params`` are the clustering options (``kind="cluster"`` only)."""
    snapshots = customer_snapshots(
        purchases, start, end, as_of=lambda day: customers_on(purchases, day)
    )
    fitted = None
    if kind == "cluster":
        fitted = segments_on(snapshots.after, snapshots.to_date, params)
    return migrate(snapshots, kind, fitted=fitted)


def period(bundle: Bundle) -> tuple[date, date]:
    """The dates of the first and last order of ``bundle``'s customers."""
    return purchase_period(bundle.purchases)


def cluster_params(bundle: Bundle) -> tuple[tuple[str, object], ...]:
    """The Clustering page's options, with the k it chose when k is chosen there
    automatically, so that the clusters at the later date are as many as on the other
    pages (a fit of its own could choose another k on the same data). With k known, only
    that k is fitted: the measures of the other k, which the Clustering page shows, would
    cost a fit each on every date change and change no cluster."""
    params = clustering_params()
    if params["k"] == "auto":
        # where it fails the Clustering page says why; the later date chooses its own k
        with contextlib.suppress(Exception):
            params["k"] = segment(bundle.customers, **params).k
    if params["k"] != "auto":
        params["k_range"] = (params["k"], params["k"])
    return tuple(params.items())


def movement_of(
    bundle: Bundle, start: date | None = None, end: date | None = None, kind: str = "rfm"
) -> Movement:
    """The movement of ``bundle``'s customers between ``start`` and ``end`` (defaults: the end
    of the data and 90 days before); raises the package's error for bad dates."""
    first, last = period(bundle)
    start, end = default_dates(first, last, start, end)
    params = cluster_params(bundle) if kind == "cluster" else ()
    return movement(bundle.purchases, start, end, kind, params)


def csv_download(table: pd.DataFrame) -> Callable[[], bytes]:
    """A download button's data, made when the button is clicked rather than on every run
    of the page: ``table`` with amounts to the cent, as a spreadsheet-safe CSV
    (:func:`~segmentation.outputs.export.to_safe_csv`)."""
    return lambda: to_safe_csv(table.round(2))


def largest_move(bundle: Bundle) -> str | None:
    """The largest move between RFM segments over the last 90 days of ``bundle`` as one
    sentence (for the Overview's story), or ``None`` when the data does not allow it."""
    try:
        return largest_flow_sentence(movement_of(bundle))
    except Exception as error:
        failure_sentence(error, "The movement between dates")  # logged, not shown
        return None
