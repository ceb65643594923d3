"""The customer-base models' input: frequency, recency, T and mean spend per customer.

The conventions of the literature (Fader, Hardie & Lee 2005, Marketing Science 24(2),
section 2; the same in the Gamma-Gamma note of Fader & Hardie 2013), written once:

* a purchase is a distinct calendar DAY with at least one order; its revenue is the sum
  of the day's rows (orders or lines), so several orders on one day are one purchase;
* the first purchase day starts the customer's clock (time 0); ``frequency`` x is the
  number of repeat purchase days after it, ``recency`` t_x the time from the first to
  the last purchase day, ``T`` the time from the first purchase day to the end of the
  calibration period, in days or in weeks (days / 7);
* ``monetary_value`` is the mean revenue of the repeat purchase days (the first day is
  left out, as in the Gamma-Gamma model), 0 for one-time buyers;
* a purchase belongs to the calibration period when its DATE is on or before the
  calibration end date (a purchase at 23:59 on that day is in it); a customer whose
  first purchase comes later is not in the calibration table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from segmentation.errors import ModelError
from segmentation.schema import CUSTOMER_ID, INVOICE_DATE
from segmentation.transactions.orders import REVENUE

FREQUENCY = "frequency"
RECENCY = "recency"
AGE = "T"
MONETARY_VALUE = "monetary_value"
HOLDOUT_PURCHASES = "holdout_purchases"
HOLDOUT_REVENUE = "holdout_revenue"

DAYS_PER_UNIT: dict[str, int] = {"day": 1, "week": 7}


@dataclass(frozen=True)
class PurchaseHistory:
    """The per-customer summary the models read, and the period it covers.

    ``customers`` is indexed by customer id (sorted) with the columns ``frequency``,
    ``recency``, ``T`` and ``monetary_value``, plus ``holdout_purchases`` and
    ``holdout_revenue`` when there is a holdout period (``holdout_days`` > 0).
    """

    customers: pd.DataFrame
    calibration_end: pd.Timestamp
    time_unit: Literal["day", "week"]
    holdout_days: int

    @property
    def holdout_length(self) -> float:
        """Length of the holdout period in the history's time unit."""
        return self.holdout_days / DAYS_PER_UNIT[self.time_unit]


def check_time_unit(time_unit: str) -> None:
    """Raise ModelError unless ``time_unit`` is one of :data:`DAYS_PER_UNIT`."""
    if time_unit not in DAYS_PER_UNIT:
        raise ModelError(f"Unknown time unit {time_unit!r}; choose 'day' or 'week'.")


def local_dates(purchases: pd.DataFrame) -> pd.DataFrame:
    """``purchases`` with its dates as local wall-clock times (a time zone dropped; the same
    frame when they have none). Raises ModelError when the column holds no dates."""
    dates = purchases[INVOICE_DATE]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise ModelError(
            f"Column {INVOICE_DATE} holds {dates.dtype} values, not dates; "
            "convert it with pandas.to_datetime before building the purchase history."
        )
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        return purchases.assign(**{INVOICE_DATE: dates.dt.tz_localize(None)})
    return purchases


def _day_numbers(purchases: pd.DataFrame) -> np.ndarray:
    """Calendar day of each row as whole days since 1970-01-01 (local wall-clock date)."""
    dates = local_dates(purchases)[INVOICE_DATE]
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def _as_date(day: int) -> np.datetime64:
    """A day number (days since 1970-01-01) as a date."""
    return np.datetime64(day, "D")


def _check_columns(purchases: pd.DataFrame) -> None:
    missing = [c for c in (CUSTOMER_ID, INVOICE_DATE, REVENUE) if c not in purchases.columns]
    if missing:
        raise ModelError(
            f"The purchases table lacks the column(s) {', '.join(missing)}; "
            f"it needs {CUSTOMER_ID}, {INVOICE_DATE} and {REVENUE}."
        )
    if len(purchases) == 0:
        raise ModelError("The purchases table has no rows, so there are no customers to model.")
    for column in (CUSTOMER_ID, INVOICE_DATE, REVENUE):
        empty = int(purchases[column].isna().sum())
        if empty:
            raise ModelError(
                f"Column {column} has {empty} missing value(s); drop or fill those rows "
                "before building the purchase history."
            )
    if not pd.api.types.is_numeric_dtype(purchases[REVENUE]):
        raise ModelError(
            f"Column {REVENUE} holds {purchases[REVENUE].dtype} values, not numbers; "
            "convert it to float before building the purchase history."
        )


def purchase_history(
    purchases: pd.DataFrame,
    calibration_end: str | date | None = None,
    time_unit: Literal["day", "week"] = "week",
) -> PurchaseHistory:
    """Summarise purchases into one row per calibration customer (see the module docstring).

    ``purchases`` has the columns ``customer_id``, ``invoice_date`` (datetime64) and
    ``revenue``, one row per order or per line. ``calibration_end`` is a date (its time of
    day is ignored); None takes the last purchase date and leaves no holdout. With an
    earlier date, ``holdout_purchases`` counts each calibration customer's purchase days
    after it and ``holdout_revenue`` sums their revenue. The input is not modified.
    """
    check_time_unit(time_unit)
    _check_columns(purchases)
    day = _day_numbers(purchases)
    codes, ids = pd.factorize(purchases[CUSTOMER_ID], sort=True)
    revenue = purchases[REVENUE].to_numpy(dtype=np.float64)

    first_date, last_date = int(day.min()), int(day.max())
    if calibration_end is None:
        end = last_date
    else:
        try:
            stamp = pd.Timestamp(calibration_end)
        except (TypeError, ValueError):
            stamp = pd.NaT
        if pd.isna(stamp):
            raise ModelError(
                f"The calibration end {calibration_end!r} is not a date; give it as YYYY-MM-DD."
            )
        end = int(np.datetime64(stamp.date(), "D").astype(np.int64))
    if end < first_date:
        raise ModelError(
            f"The calibration end {_as_date(end)} is before the first purchase "
            f"({_as_date(first_date)}); choose a date between {_as_date(first_date)} "
            f"and {_as_date(last_date)}."
        )
    if end > last_date:
        raise ModelError(
            f"The calibration end {_as_date(end)} is after the last purchase "
            f"({_as_date(last_date)}); choose an earlier date, or None to use all the data."
        )
    if calibration_end is not None and end == last_date:
        raise ModelError(
            f"The calibration end {_as_date(end)} is the last purchase date, which leaves a "
            "holdout with no days; choose an earlier date, or None for no holdout."
        )

    # One row per (customer, day), sorted by customer then day: purchases are days.
    span = last_date - first_date + 1
    key = codes.astype(np.int64) * span + (day - first_date)
    daily = pd.Series(revenue).groupby(key, sort=True).sum()
    daily_key = daily.index.to_numpy()
    daily_code = daily_key // span
    daily_day = daily_key % span + first_date
    daily_revenue = daily.to_numpy()

    in_calibration = daily_day <= end
    cal_code = daily_code[in_calibration]
    cal_day = daily_day[in_calibration]
    cal_revenue = daily_revenue[in_calibration]
    starts = np.flatnonzero(np.r_[True, cal_code[1:] != cal_code[:-1]])
    counts = np.diff(np.r_[starts, len(cal_code)])
    first = cal_day[starts]
    last = cal_day[starts + counts - 1]
    repeat_revenue = cal_revenue.copy()
    repeat_revenue[starts] = 0.0
    repeat_total = np.add.reduceat(repeat_revenue, starts)
    frequency = counts - 1
    monetary = np.divide(repeat_total, frequency, out=np.zeros(len(frequency)), where=frequency > 0)

    unit = DAYS_PER_UNIT[time_unit]
    customer_code = cal_code[starts]
    table = pd.DataFrame(
        {
            FREQUENCY: frequency.astype(np.int64),
            RECENCY: (last - first) / unit,
            AGE: (end - first) / unit,
            MONETARY_VALUE: monetary,
        },
        index=pd.Index(ids[customer_code], name=CUSTOMER_ID),
    )
    holdout_days = last_date - end
    if holdout_days > 0:
        later = ~in_calibration
        n_ids = len(ids)
        table[HOLDOUT_PURCHASES] = np.bincount(daily_code[later], minlength=n_ids)[
            customer_code
        ].astype(np.int64)
        table[HOLDOUT_REVENUE] = np.bincount(
            daily_code[later], weights=daily_revenue[later], minlength=n_ids
        )[customer_code]
    return PurchaseHistory(
        customers=table,
        calibration_end=pd.Timestamp(_as_date(end)),
        time_unit=time_unit,
        holdout_days=int(holdout_days),
    )
