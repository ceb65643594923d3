"""Univariate: the distribution of line totals and of recency, frequency and monetary value."""

import pandas as pd
import streamlit as st

from app.charts import box_plot
from app.explore_charts import density_chart, histogram_chart, value_axis
from app.links import link_control
from app.session import current_bundle
from app.settings import VARIABLE_KEY, VARIABLES, VIEW_LABELS, view_key
from segmentation.explore.exploration import (
    VIEWS,
    box_statistics,
    density,
    histogram,
    readable_view,
    shape_sentence,
    summary_statistics,
    view_values,
)

st.title("Univariate")
link_control()
bundle = current_bundle()
frames = {
    "total_purchase": bundle.line_totals.to_frame(),
    "recency": bundle.customers,
    "frequency": bundle.customers,
    "monetary": bundle.customers,
}

left, right = st.columns([2, 2])
variable = left.selectbox(
    "Variable",
    list(VARIABLES),
    format_func=lambda v: VARIABLES[v][0],
    key=VARIABLE_KEY,
)
title, unit = VARIABLES[variable]
values = frames[variable][variable]
level = "invoice lines" if variable == "total_purchase" else "customers"
view = view_key(variable)
st.session_state.setdefault(view, readable_view(values))
kind = right.segmented_control("View", VIEWS, format_func=VIEW_LABELS.get, key=view, required=True)
drawn = view_values(values, kind)
axis_title = f"{title}, log scale" if kind == "log" else title
axis = value_axis(unit, kind == "log")
if drawn.below or drawn.above:
    st.caption(
        f"Drawn: the middle 98 % of the {level}. {drawn.below:,} below the 1st percentile and "
        f"{drawn.above:,} above the 99th are left out of the charts, not of the statistics."
    )
if drawn.not_positive:
    st.caption(f"{drawn.not_positive:,} values of zero or below have no logarithm: left out.")
shown = drawn.values

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
