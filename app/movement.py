"""The cached movement of the current customers between two dates, for the Movement page
and for any page that tells the largest move in a sentence (:func:`largest_move`).

Both dates' customer tables come from the order table the cached data already holds
(:attr:`~app.bundle.Bundle.purchases`): a new pair of dates reads no transaction again."""

from __future__ import annotations

import contextlib
from datetime import date

import pandas as pd
import streamlit as st

from app.bundle import Bundle
from app.errors import failure_sentence
from app.segments import clustering_params, segment
from app.settings import MOVEMENT_FROM, MOVEMENT_KIND, MOVEMENT_TO
from segmentation.movement.flows import Movement, largest_flow_sentence, migrate
from segmentation.movement.snapshots import customer_snapshots, default_dates, purchase_period

#: Widget keys of the Movement page (kept across pages: see ``PERSISTENT_PREFIXES``).
FROM_KEY, TO_KEY, KIND_KEY = MOVEMENT_FROM, MOVEMENT_TO, MOVEMENT_KIND
#: Session-state key of the data period the dates were set for, and of the last movement
#: that worked: (data, dates, kind, options).
PERIOD_KEY, LAST_GOOD_MOVEMENT = "movement_period", "last_good_movement"


@st.cache_data(max_entries=8, show_spinner=False)
def movement(
    purchases: pd.DataFrame,
    start: date,
    end: date,
    kind: str,
    params: tuple[tuple[str, object], ...],
) -> Movement:
    """:func:`~segmentation.movement.flows.migrate` of the order table ``purchases`` between
    ``start`` and ``end``; ``params`` are the clustering options (``kind="cluster"`` only)."""
    return migrate(customer_snapshots(purchases, start, end), kind, **dict(params))


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


def largest_move(bundle: Bundle) -> str | None:
    """The largest move between RFM segments over the last 90 days of ``bundle`` as one
    sentence (for the Overview's story), or ``None`` when the data does not allow it."""
    try:
        return largest_flow_sentence(movement_of(bundle))
    except Exception as error:
        failure_sentence(error, "The movement between dates")  # logged, not shown
        return None
