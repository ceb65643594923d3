"""The cached forecast of the Value and risk page, Profiles and the report: its options read
from the session, fits cached by purchases and options, failures shown as one sentence."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from app.bundle import Bundle
from app.errors import failure_sentence, show_error, show_failure
from app.settings import CALIBRATION_KEY, FORECAST_DEFAULTS
from segmentation.schema import CUSTOMER_ID
from segmentation.value.forecast import (
    CUSTOMER_DIGITS,
    HOLDOUT_DAYS,
    PREDICTIONS,
    Forecast,
    forecast,
)


def forecast_options() -> dict[str, object]:
    """Options of :func:`forecast` from the Value and risk page (defaults until set)."""
    value = {key: st.session_state.get(key, default) for key, default in FORECAST_DEFAULTS.items()}
    return {
        "horizon_days": int(value["forecast_horizon"]),
        "risk_days": int(value["forecast_risk_days"]),
        "annual_discount_rate": float(value["forecast_discount"]) / 100,
        "time_unit": value["forecast_time_unit"],
    }


@st.cache_data(max_entries=8, show_spinner=False)
def _forecast(
    purchases: pd.DataFrame,
    calibration_end: str | None,
    segment_options: dict[str, object] | None,
    options: dict[str, object],
) -> Forecast:
    return forecast(
        purchases, calibration_end=calibration_end, segment_options=segment_options, **options
    )


def current_forecast(
    bundle: Bundle,
    calibration_end: date | None = None,
    segment_options: dict[str, object] | None = None,
    quiet: bool = False,
) -> Forecast | None:
    """The forecast of the current data with the page's options, as of the last purchase or
    (backtested) as of ``calibration_end``; ``None`` after saying why it failed, in an error
    box or (``quiet``, on pages that do without) a caption."""
    end = None if calibration_end is None else calibration_end.isoformat()
    what = "Fitting the purchase and spend models" + (f" up to {end}" if end else "")
    try:
        with st.spinner(f"{what} (a second or two the first time)…"):
            return _forecast(bundle.purchases, end, segment_options, forecast_options())
    except Exception as error:
        message = failure_sentence(error, "The forecast")
    show_failure(message, quiet, "No predicted value or risk")
    return None


def calibration_bounds(bundle: Bundle) -> tuple[date, date]:
    """The first and last calibration ends the date picker offers: from the first purchase
    day to the day before the last (the holdout needs a day)."""
    dates = bundle.purchases["invoice_date"]
    return dates.min().date(), (dates.max() - pd.Timedelta(days=1)).date()


def chosen_calibration_end(bundle: Bundle, key: str = CALIBRATION_KEY) -> date | None:
    """The calibration end picked on the page, kept under ``key`` (``None``: the default);
    one outside the data, from a link or an earlier file, is said in one sentence and
    forgotten."""
    chosen = st.session_state.get(key)
    if not isinstance(chosen, date):
        return None
    first, last = calibration_bounds(bundle)
    if first <= chosen <= last:
        return chosen
    show_error(
        f"The calibration end {chosen.isoformat()} is outside the data; choose a date from "
        f"{first.isoformat()} to {last.isoformat()} (the last {HOLDOUT_DAYS} days are held out "
        "meanwhile)."
    )
    del st.session_state[key]
    return None


def with_predictions(customers: pd.DataFrame, result: Forecast | None) -> pd.DataFrame:
    """``customers`` with each customer's predictions (:data:`PREDICTIONS`) where there are."""
    if result is None:
        return customers
    predictions = result.customers[list(PREDICTIONS)].round(CUSTOMER_DIGITS)
    return customers.merge(predictions, left_on=CUSTOMER_ID, right_index=True, how="left")
