"""Cleaning: switch each step on or off and see what it removes, in rows and in revenue."""

import pandas as pd
import streamlit as st

from app.explore_charts import funnel_bars, missing_bars
from app.formats import money
from app.links import link_control
from app.session import current_bundle
from segmentation.explore.exploration import cleaning_funnel
from segmentation.transactions.cleaning import STEPS, CleaningOptions, Step

st.title("Cleaning")
link_control()
st.markdown(
    "Each row is removed by the first step that matches it, so the counts add up: "
    "rows in = rows kept + rows removed by every step."
)

defaults = CleaningOptions()


def step_toggle(step: Step) -> None:
    """A step's toggle (kept across pages) with its one-line explanation."""
    if step.name == "unreadable_lines":
        st.toggle(step.title, value=True, disabled=True, key="always_unreadable")
    else:
        key = f"step_{step.name}"
        st.session_state.setdefault(key, getattr(defaults, step.name))
        st.toggle(step.title, key=key)
    st.caption(step.explanation)
    if step.name == "cancellations":
        st.session_state.setdefault("step_net_cancellations", defaults.net_cancellations)
        st.toggle(
            "Also remove the purchase each cancellation cancels",
            key="step_net_cancellations",
            disabled=not st.session_state["step_cancellations"],
        )


with st.container(border=True):
    st.markdown("**Steps**, in the order they run")
    halves = st.columns(2)
    for number, step in enumerate(STEPS):
        with halves[number * 2 // len(STEPS)]:
            step_toggle(step)

bundle = current_bundle()
funnel = cleaning_funnel(bundle.cleaning_table, bundle.rows_in, bundle.revenue_in)

st.subheader("From raw to clean")
left, right = st.columns(2)
rows, revenue = funnel_bars(funnel)
left.altair_chart(rows, width="stretch")
right.altair_chart(revenue, width="stretch")

st.subheader("Row account")
table = bundle.cleaning_table.assign(
    revenue_removed=bundle.cleaning_table["revenue_removed"].map(money)
).rename(
    columns={
        "step": "Step",
        "enabled": "On",
        "rows_removed": "Rows removed",
        "revenue_removed": "Revenue removed (£)",
        "rows_left": "Rows left",
    }
)
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "Rows removed": st.column_config.NumberColumn(format="localized"),
        "Rows left": st.column_config.NumberColumn(format="localized"),
    },
)
removed = int(bundle.cleaning_table["rows_removed"].sum())
rows_out = int(bundle.summary["rows_out"])
st.markdown(
    f"**{bundle.rows_in:,}** rows in = **{rows_out:,}** kept + **{removed:,}** removed"
    + (" ✓" if bundle.rows_in == rows_out + removed else " — the account does not add up!")
)
st.caption(
    "A negative revenue removed means the step removed refunds, which raises the revenue left."
)

st.subheader("Missing values per column (before cleaning)")
missing = bundle.missing
if missing["missing"].sum():
    chart = missing_bars(missing)
    st.altair_chart(chart, width="stretch")
else:
    st.success("No value is missing in any column.")

st.subheader("Examples of removed rows")
for step in bundle.steps:
    if not step.rows_removed:
        continue
    with st.expander(f"{step.title}: {step.rows_removed:,} rows"):
        examples = step.examples.drop(columns=["_reason"], errors="ignore")
        st.dataframe(pd.DataFrame(examples), hide_index=True)
