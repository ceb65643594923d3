"""Univariate: the distribution of line totals and of recency, frequency and monetary value."""

import pandas as pd
import streamlit as st

from app.charts import box_plot
from app.explore_charts import density_chart, histogram_chart, value_axis
from app.session import current_bundle
from segmentation.explore.exploration import (
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
bundle = current_bundle()
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
    if dropped:
        st.caption(f"{dropped:,} values of zero or below are left out: they have no logarithm.")
else:
    shown, axis_title = values, title
axis = value_axis(unit, log_scale)

st.markdown(shape_sentence(frames[variable], variable, title.split(" (")[0]))

st.altair_chart(histogram_chart(histogram(shown), axis_title, axis, level), width="stretch")

box_col, density_col = st.columns(2)
box = pd.DataFrame([box_statistics(shown)])
box_col.altair_chart(
    box_plot(box, title=axis_title, axis=axis, median_colour="#e15759", size=50).properties(
        height=200, title="Box plot (whiskers at 1.5 × IQR)"
    ),
    width="stretch",
)
box_col.caption(f"{int(box.loc[0, 'outliers']):,} {level} lie beyond the whiskers.")
if shown.nunique() > 1:
    density_col.altair_chart(density_chart(density(shown), axis_title, axis), width="stretch")
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
