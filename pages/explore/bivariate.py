"""Bivariate: pairs of RFM values, their correlations, and activity month by month."""

import streamlit as st

from app.explore_charts import correlation_heat, monthly_line, scatter_chart
from app.links import link_control
from app.session import current_bundle
from segmentation.explore.exploration import (
    MAX_SCATTER_POINTS,
    correlations,
    readable_view,
    sample_points,
)
from segmentation.schema import CUSTOMER_FEATURES, FEATURE_LABELS

st.title("Bivariate")
link_control()
bundle = current_bundle()
customers = bundle.customers

st.subheader("Pairs of recency, frequency and monetary value")
rfm = ["recency", "frequency", "monetary"]
x_col, y_col, log_col = st.columns([2, 2, 1])
st.session_state.setdefault("explore_x", "frequency")
st.session_state.setdefault("explore_y", "monetary")
x = x_col.selectbox("Horizontal axis", rfm, format_func=FEATURE_LABELS.get, key="explore_x")
y = y_col.selectbox("Vertical axis", rfm, format_func=FEATURE_LABELS.get, key="explore_y")
skewed = "middle" in (readable_view(customers[x]), readable_view(customers[y]))
st.session_state.setdefault("explore_log_axes", skewed)
log_axes = log_col.toggle(
    "Log axes",
    key="explore_log_axes",
    help="Logarithmic axes (symmetric-log where a value is zero); on by default when a long tail "
    "would crowd the customers into one corner.",
)
points = sample_points(customers)
if len(points) < len(customers):
    st.caption(
        f"A random sample of {MAX_SCATTER_POINTS:,} of the {len(customers):,} customers is drawn."
    )
st.altair_chart(scatter_chart(points, x, y, log_axes), width="stretch")

st.subheader("Correlations")
st.caption(
    "Pearson measures straight-line association and is pulled by the few very large customers; "
    "Spearman works on ranks and shows any steady rise or fall."
)
features = [c for c in CUSTOMER_FEATURES if c in customers.columns]
columns = st.columns(2)
for column, method in zip(columns, ("pearson", "spearman"), strict=True):
    matrix = correlations(customers, features, method)
    column.altair_chart(correlation_heat(matrix, features, method), width="stretch")

st.subheader("Month by month")
monthly = bundle.monthly
measures = {
    "revenue": ("Revenue (£)", ",.0f"),
    "orders": ("Orders", ","),
    "customers": ("Customers buying", ","),
}
columns = st.columns(3)
for column, (measure, (title, fmt)) in zip(columns, measures.items(), strict=True):
    column.altair_chart(monthly_line(monthly, measure, title, fmt), width="stretch")
st.caption(f"Clean lines only. The last month may be partial: the data ends on {bundle.period[1]}.")
