"""Bivariate: pairs of RFM values, their correlations, and activity month by month."""

import altair as alt
import streamlit as st

import ui
from segmentation.exploration import MAX_SCATTER_POINTS, correlations, sample_points
from segmentation.schema import CUSTOMER_FEATURES, FEATURE_LABELS

st.title("Bivariate")
bundle = ui.current_bundle()
customers = bundle.customers

st.subheader("Pairs of recency, frequency and monetary value")
rfm = ["recency", "frequency", "monetary"]
x_col, y_col, log_col = st.columns([2, 2, 1])
st.session_state.setdefault("explore_x", "frequency")
st.session_state.setdefault("explore_y", "monetary")
x = x_col.selectbox("Horizontal axis", rfm, format_func=FEATURE_LABELS.get, key="explore_x")
y = y_col.selectbox("Vertical axis", rfm, format_func=FEATURE_LABELS.get, key="explore_y")
log_axes = log_col.toggle(
    "Log axes", key="explore_log_axes", help="Symmetric log scale, so zero stays on the chart."
)
points = sample_points(customers)
if len(points) < len(customers):
    st.caption(
        f"A random sample of {MAX_SCATTER_POINTS:,} of the {len(customers):,} customers is drawn."
    )
scale = alt.Scale(type="symlog") if log_axes else alt.Scale(zero=False)
scatter = (
    alt.Chart(points[["customer_id", *dict.fromkeys([x, y])]])
    .mark_circle(size=25, opacity=0.5)
    .encode(
        x=alt.X(f"{x}:Q", title=FEATURE_LABELS[x], scale=scale),
        y=alt.Y(f"{y}:Q", title=FEATURE_LABELS[y], scale=scale),
        tooltip=[
            alt.Tooltip("customer_id:N", title="Customer"),
            alt.Tooltip(f"{x}:Q", title=FEATURE_LABELS[x], format=",.0f"),
            alt.Tooltip(f"{y}:Q", title=FEATURE_LABELS[y], format=",.0f"),
        ],
    )
    .properties(height=420)
    .interactive()
)
st.altair_chart(scatter, width="stretch")

st.subheader("Correlations")
st.caption(
    "Pearson measures straight-line association and is pulled by the few very large customers; "
    "Spearman works on ranks and shows any steady rise or fall."
)
features = [c for c in CUSTOMER_FEATURES if c in customers.columns]
columns = st.columns(2)
for column, method in zip(columns, ("pearson", "spearman"), strict=True):
    matrix = correlations(customers, features, method)
    matrix["x"] = matrix["x"].map(FEATURE_LABELS)
    matrix["y"] = matrix["y"].map(FEATURE_LABELS)
    order = [FEATURE_LABELS[f] for f in features]
    base = alt.Chart(matrix, title=method.capitalize()).encode(
        x=alt.X(
            "x:N",
            sort=order,
            title=None,
            axis=alt.Axis(labelAngle=-40, labelOverlap=False, labelLimit=160),
        ),
        y=alt.Y("y:N", sort=order, title=None),
    )
    heat = base.mark_rect().encode(
        color=alt.Color(
            "correlation:Q",
            scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True),
            title="Correlation",
        ),
        tooltip=[
            alt.Tooltip("x:N", title="Variable"),
            alt.Tooltip("y:N", title="with"),
            alt.Tooltip("correlation:Q", format=".2f"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("correlation:Q", format=".2f"),
        color=alt.condition("abs(datum.correlation) > 0.6", alt.value("white"), alt.value("black")),
    )
    column.altair_chart((heat + text).properties(height=340), width="stretch")

st.subheader("Month by month")
monthly = bundle.monthly
measures = {
    "revenue": ("Revenue (£)", ",.0f"),
    "orders": ("Orders", ","),
    "customers": ("Customers buying", ","),
}
columns = st.columns(3)
for column, (measure, (title, fmt)) in zip(columns, measures.items(), strict=True):
    chart = (
        alt.Chart(monthly, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month"),
            y=alt.Y(f"{measure}:Q", title=title, axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip(f"{measure}:Q", title=title, format=fmt),
            ],
        )
        .properties(height=260)
    )
    column.altair_chart(chart, width="stretch")
st.caption(
    f"Clean lines only. The last month may be partial: the data ends on "
    f"{str(bundle.summary['last_date'])[:10]}."
)
