"""The cached movement of the current customers between two dates, for the Movement page
and for any page that tells the largest move in a sentence (:func:`largest_move`)."""

from __future__ import annotations

import contextlib
from datetime import date

import streamlit as st

from app.bundle import Bundle
from app.errors import failure_sentence
from app.segments import clustering_params, segment
from app.session import data_inputs
from app.settings import MOVEMENT_FROM, MOVEMENT_KIND, MOVEMENT_TO
from segmentation.movement.flows import (
    Movement,
    Snapshots,
    customer_snapshots,
    default_dates,
    largest_flow_sentence,
    migrate,
)
from segmentation.transactions.cleaning import CleaningOptions, clean_transactions
from segmentation.transactions.pipeline import read_transactions

#: Widget keys of the Movement page (kept across pages: see ``PERSISTENT_PREFIXES``).
FROM_KEY, TO_KEY, KIND_KEY = MOVEMENT_FROM, MOVEMENT_TO, MOVEMENT_KIND
#: Session-state key of the data period the dates were set for, and of the last movement
#: that worked: (data, dates, kind, options).
PERIOD_KEY, LAST_GOOD_MOVEMENT = "movement_period", "last_good_movement"


@st.cache_data(max_entries=4, show_spinner=False)
def snapshots(
    data: bytes,
    name: str,
    columns: tuple[tuple[str, str], ...],
    sheet: str | None,
    options: tuple[tuple[str, object], ...],
    start: date,
    end: date,
) -> Snapshots:
    """The customer tables of the file at ``start`` and at ``end``, read and cleaned as the
    current data was (``data_inputs``)."""
    transactions = read_transactions(data, name=name, columns=dict(columns) or None, sheet=sheet)
    cleaned = clean_transactions(transactions, CleaningOptions(**dict(options)))
    return customer_snapshots(cleaned, start, end)


@st.cache_data(max_entries=8, show_spinner=False)
def movement(
    data: bytes,
    name: str,
    columns: tuple[tuple[str, str], ...],
    sheet: str | None,
    options: tuple[tuple[str, object], ...],
    start: date,
    end: date,
    kind: str,
    params: tuple[tuple[str, object], ...],
) -> Movement:
    """:func:`~segmentation.movement.flows.migrate` of the current data between ``start``
    and ``end``; ``params`` are the clustering options (``kind="cluster"`` only)."""
    found = snapshots(data, name, columns, sheet, options, start, end)
    return migrate(found, kind, **dict(params))


def cluster_params(bundle: Bundle) -> tuple[tuple[str, object], ...]:
    """The Clustering page's options, with the k it chose when k is chosen there
    automatically, so that the clusters at the later date are as many as on the other
    pages (a fit of its own could choose another k on the same data)."""
    params = clustering_params()
    if params["k"] == "auto":
        # where it fails the Clustering page says why; the later date chooses its own k
        with contextlib.suppress(Exception):
            params["k"] = segment(bundle.customers, **params).k
    return tuple(params.items())


def movement_of(
    bundle: Bundle, start: date | None = None, end: date | None = None, kind: str = "rfm"
) -> Movement:
    """The movement of ``bundle``'s customers between ``start`` and ``end`` (defaults: the end
    of the data and 90 days before); raises the package's error for bad dates."""
    first, last = bundle.period
    start, end = default_dates(first, last, start, end)
    params = cluster_params(bundle) if kind == "cluster" else ()
    return movement(*data_inputs(), start, end, kind, params)


def largest_move(bundle: Bundle) -> str | None:
    """The largest move between RFM segments over the last 90 days of ``bundle`` as one
    sentence (for the Overview's story), or ``None`` when the data does not allow it.
    Call it after :func:`~app.session.current_bundle` on the same page run."""
    try:
        return largest_flow_sentence(movement_of(bundle))
    except Exception as error:
        failure_sentence(error, "The movement between dates")  # logged, not shown
        return None
