"""Value and risk: what each segment is worth next, who is slipping away, and the proof on
held-out months."""

import streamlit as st

from app.charts import segment_scale
from app.forecast import calibration_bounds, chosen_calibration_end, current_forecast
from app.forecast_charts import monthly_periods
from app.forecast_views import (
    ACCURACY_VIEW,
    CUSTOMER_VIEW,
    backtest_figures,
    decile_grid,
    headline,
    held_out_segments,
    risk_distributions,
    segment_tabs,
    show_table,
)
from app.links import link_control
from app.segments import clustering_params, current_segmentation, segment_names
from app.session import current_bundle
from app.settings import CALIBRATION_KEY, FORECAST_DEFAULTS, MAX_DAYS, MAX_DISCOUNT, TIME_UNITS
from segmentation.value.forecast import HOLDOUT_DAYS, default_calibration_end, segment_labels

st.title("Value and risk")
link_control()
bundle = current_bundle()
for key, default in FORECAST_DEFAULTS.items():
    st.session_state.setdefault(key, default)
settings = st.columns(4)
settings[0].number_input("Horizon (days)", 1, MAX_DAYS, step=30, key="forecast_horizon")
settings[1].number_input("Risk period (days)", 1, MAX_DAYS, step=15, key="forecast_risk_days")
settings[2].number_input(
    "Annual discount rate (%)", 0.0, MAX_DISCOUNT, step=1.0, key="forecast_discount"
)
settings[3].selectbox(
    "Model time unit", list(TIME_UNITS), format_func=TIME_UNITS.get, key="forecast_time_unit"
)

forward = current_forecast(bundle)
if forward is None:
    st.stop()
headline(forward)
segmentation = current_segmentation(bundle)
if segmentation is not None:
    names = segment_names(segmentation)
    labels = segment_labels(segmentation, names)
    forward = forward.with_segments(labels)
    st.subheader("By segment")
    segment_tabs(forward, segment_scale(list(names.values())))

st.subheader("Who is slipping away")
risk_distributions(forward)
st.subheader("Highest predicted value")
top = forward.customers.nlargest(20, "clv")
show_table(
    top if segmentation is None else top.join(labels["segment"]), CUSTOMER_VIEW, "customer_id"
)

st.subheader("Proof on held-out months")
first, last = calibration_bounds(bundle)
default_end = default_calibration_end(bundle.purchases)
end = chosen_calibration_end(bundle)
st.date_input(
    "Calibration end",
    value=None,
    min_value=first,
    max_value=last,
    key=CALIBRATION_KEY,
    help="The models are fitted on the purchases up to this day and predict the days after "
    f"it. Empty: the last {HOLDOUT_DAYS} days are held out (from {default_end:%Y-%m-%d}).",
)
tested = current_forecast(bundle, end or default_end.date(), clustering_params())
if tested is None:
    st.stop()
backtest_figures(tested)
st.altair_chart(monthly_periods(tested.backtest.monthly), width="stretch")
show_table(tested.backtest.accuracy, ACCURACY_VIEW)
decile_grid(tested.backtest.deciles)
for note in (tested.purchases_fit.note, *tested.backtest.notes):
    if note:
        st.caption(note)
held_out_segments(tested)
