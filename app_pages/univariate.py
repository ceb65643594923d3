"""Univariate: the distribution of line totals and of recency, frequency and monetary value."""

import altair as alt
import pandas as pd
import streamlit as st

import ui
from segmentation.exploration import (
    box_statistics,
    density,
    histogram,
    log_values,
    shape_sentence,
    summary_statistics,
)

VARIABLES = {
    "total_purchase": ("Line total (£, one invoice line)", "£"),
    "recency": ("Recency (days since the last purchase)", ""),
    "frequency": ("Frequency (number of orders)", ""),
    "monetary": ("Monetary (£ spent per customer)", "£"),
}

st.title("Univariate")
bundle = ui.current_bundle()
frames = {
    "total_purchase": bundle.line_totals.to_frame(),
    "recency": bundle.customers,
    "frequency": bundle.customers,
    "monetary": bundle.customers,
}

left, right = st.columns([3, 1])
variable = left.selectbox(
    "Variable",
    list(VARIABLES),
    format_func=lambda v: VARIABLES[v][0],
    key="explore_variable",
)
log_scale = right.toggle("Log scale", key="explore_log", help="Base-10 logarithm of the values.")
title, unit = VARIABLES[variable]
values = frames[variable][variable]
level = "invoice lines" if variable == "total_purchase" else "customers"

if log_scale:
    shown, dropped = log_values(values)
    axis_title = f"{title}, log scale"
    label = "format(pow(10, datum.value), '~s')"
    if dropped:
        st.caption(f"{dropped:,} values of zero or below are left out: they have no logarithm.")
else:
    shown, axis_title = values, title
    label = "format(datum.value, '~s')"
axis = alt.Axis(labelExpr=f"'{unit}' + {label}")

st.markdown(shape_sentence(frames[variable], variable, title.split(" (")[0]))

bins = histogram(shown)
hist = (
    alt.Chart(bins)
    .mark_bar()
    .encode(
        x=alt.X("start:Q", bin="binned", title=axis_title, axis=axis),
        x2="end:Q",
        y=alt.Y("count:Q", title=f"Number of {level}"),
        tooltip=[
            alt.Tooltip("start:Q", title="From", format=",.4~g"),
            alt.Tooltip("end:Q", title="To", format=",.4~g"),
            alt.Tooltip("count:Q", title="Count", format=","),
        ],
    )
    .properties(height=300, title="Histogram")
)
st.altair_chart(hist, width="stretch")

box_col, density_col = st.columns(2)
box = pd.DataFrame([box_statistics(shown)])
box_base = alt.Chart(box).properties(height=200, title="Box plot (whiskers at 1.5 × IQR)")
box_chart = (
    box_base.mark_rule().encode(
        x=alt.X("lower:Q", title=axis_title, axis=axis, scale=alt.Scale(zero=False)),
        x2="upper:Q",
    )
    + box_base.mark_bar(size=50).encode(x="q1:Q", x2="q3:Q")
    + box_base.mark_tick(size=50, thickness=3, color="#e15759").encode(x="median:Q")
)
box_col.altair_chart(box_chart, width="stretch")
box_col.caption(f"{int(box.loc[0, 'outliers']):,} {level} lie beyond the whiskers.")
if shown.nunique() > 1:
    curve = (
        alt.Chart(density(shown))
        .mark_area(opacity=0.6, line=True)
        .encode(
            x=alt.X("value:Q", title=axis_title, axis=axis),
            y=alt.Y("density:Q", title="Density", axis=alt.Axis(labels=False, ticks=False)),
        )
        .properties(height=200, title="Density (Gaussian kernel)")
    )
    density_col.altair_chart(curve, width="stretch")
else:
    density_col.info("All values are equal, so there is no density to draw.")

st.subheader("Summary statistics")
table = pd.concat(
    [
        summary_statistics(bundle.line_totals.to_frame(), ["total_purchase"]),
        summary_statistics(bundle.customers, ["recency", "frequency", "monetary"]),
    ]
)
table.index = [VARIABLES[v][0] for v in table.index]
st.dataframe(table.style.format("{:,.2f}").format("{:,.0f}", subset=["count"]))
