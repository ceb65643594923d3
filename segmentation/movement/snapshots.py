"""The customers of two dates, each as it stood then, from the order table.

A date's customer table holds the orders dated on or before it only, by the one rule of a
customer as of a date (:func:`~segmentation.transactions.features.customers_as_of`): an
order belongs to the date of its first line, and recency counts whole days from the date
of the last order to the day after the date. The order table is the one the pipeline
fetches once per run (:attr:`~segmentation.transactions.pipeline.FeatureRun.purchases`),
so a new pair of dates reads no transaction again. The forecast's segments at a
calibration end are made the same way (:func:`segments_as_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pandas as pd

from segmentation.choices import DEFAULT_FEATURES
from segmentation.errors import ModelError
from segmentation.schema import INVOICE_DATE
from segmentation.segments.segment import Segmentation, segment_customers
from segmentation.transactions.features import customers_as_of

#: Days between the default dates: the end of the data and this many days before.
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Snapshots:
    """The customer tables of two dates and the period of the data.

    ``before`` holds every customer who bought on or before ``from_date``, ``after`` every
    customer who bought on or before ``to_date`` (both sorted by customer id, columns as
    :func:`~segmentation.transactions.features.customers_as_of`); ``first_date`` and
    ``last_date`` are the dates of the first and last order.
    """

    from_date: date
    to_date: date
    first_date: date
    last_date: date
    before: pd.DataFrame
    after: pd.DataFrame


def parse_day(value: str | date | datetime | pd.Timestamp | None, what: str) -> date | None:
    """A date from ``YYYY-MM-DD`` text or a date (``None`` stays ``None``); ``what`` names
    it in the error."""
    if value is None:
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value).strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ModelError(f"The {what} {value!r} is not a date; write it as YYYY-MM-DD.") from None


def purchase_period(purchases: pd.DataFrame) -> tuple[date, date]:
    """The dates of the first and the last order of the order table."""
    dates = purchases[INVOICE_DATE]
    return pd.Timestamp(dates.min()).date(), pd.Timestamp(dates.max()).date()


def default_dates(
    first: date, last: date, from_date: date | None = None, to_date: date | None = None
) -> tuple[date, date]:
    """The dates to compare where not given: the later one is the end of the data, the
    earlier one :data:`DEFAULT_DAYS` days before it, or the middle of the data's period
    when that is before the first purchase."""
    to_date = to_date or last
    if from_date is None:
        from_date = to_date - timedelta(days=DEFAULT_DAYS)
        if from_date < first:
            from_date = first + (to_date - first) // 2
    return from_date, to_date


def check_dates(from_date: date, to_date: date, first: date, last: date) -> None:
    """Refuse dates in the wrong order, a date after the data, or a first date before
    anyone had bought, each with one sentence."""
    if from_date >= to_date:
        raise ModelError(
            f"The dates are in the wrong order: {from_date:%Y-%m-%d} is not before "
            f"{to_date:%Y-%m-%d}; give the earlier date first."
        )
    if to_date > last:
        raise ModelError(
            f"The date {to_date:%Y-%m-%d} is after the end of the data ({last:%Y-%m-%d}); "
            f"choose dates from {first:%Y-%m-%d} to {last:%Y-%m-%d}."
        )
    if from_date < first:
        raise ModelError(
            f"No customer had bought anything by {from_date:%Y-%m-%d}: the first purchase is "
            f"on {first:%Y-%m-%d}; choose a first date on or after it."
        )


def customer_snapshots(
    purchases: pd.DataFrame,
    from_date: str | date | None = None,
    to_date: str | date | None = None,
    *,
    as_of: Callable[[date], pd.DataFrame] | None = None,
) -> Snapshots:
    """The customer tables on ``from_date`` and ``to_date`` (defaults: see
    :func:`default_dates`) from the order table ``purchases``
    (:attr:`~segmentation.transactions.pipeline.FeatureRun.purchases`), each by the rule of
    :func:`~segmentation.transactions.features.customers_as_of`. ``as_of`` gives a date's
    table of these same orders instead (a cached one, say, so that a date seen before is
    not computed again)."""
    if purchases.empty:
        raise ModelError("No customer has an order, so there is no movement to show.")
    first, last = purchase_period(purchases)
    start, end = default_dates(
        first, last, parse_day(from_date, "first date"), parse_day(to_date, "second date")
    )
    check_dates(start, end, first, last)
    as_of = as_of or (lambda day: customers_as_of(purchases, day).customers)
    return Snapshots(start, end, first, last, as_of(start), as_of(end))


def segments_as_of(customers: pd.DataFrame, day: date, **options: object) -> Segmentation:
    """The segmentation of ``customers``, a table as of ``day``
    (:func:`~segmentation.transactions.features.customers_as_of`), with ``options`` of
    :func:`~segmentation.segments.segment.segment_customers`. Features the orders cannot
    give by date (distinct products) are left out, which a note says."""
    chosen = tuple(options.pop("features", DEFAULT_FEATURES))
    features = tuple(f for f in chosen if f in customers.columns)
    missing = [f for f in chosen if f not in customers.columns]
    if not features:
        raise ModelError(
            f"The segments at {day:%Y-%m-%d} cannot use {', '.join(missing)}, which the orders "
            "do not give by date; choose recency, frequency or monetary on the Clustering page."
        )
    segmentation = segment_customers(customers, features=features, **options)
    if not missing:
        return segmentation
    note = (
        f"The segments at {day:%Y-%m-%d} leave out {', '.join(missing)}, which the orders do "
        "not give by date."
    )
    return replace(segmentation, notes=(*segmentation.notes, note))
