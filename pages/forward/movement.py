"""Movement: which segment each customer was in at an earlier date and is in now, the flows
between them as a Sankey diagram and a matrix, the biggest ones in words, and downloads."""

import re

import streamlit as st

from app.errors import last_that_worked
from app.formats import count
from app.links import link_control
from app.movement import (
    FROM_KEY,
    KIND_KEY,
    LAST_GOOD_MOVEMENT,
    PERIOD_KEY,
    TO_KEY,
    csv_download,
    movement_of,
    period,
)
from app.movement_charts import flow_label, movement_colours, sankey_chart, transition_heat
from app.segments import customers_key
from app.session import current_bundle
from app.settings import MOVEMENT_KINDS
from app.text import markdown_text
from segmentation.movement.flows import FROM_SEGMENT, TO_SEGMENT
from segmentation.movement.snapshots import default_dates

FLOW_KEY = "movement_flow"

st.title("Movement")
link_control()
bundle = current_bundle()
first, last = period(bundle)
if st.session_state.get(PERIOD_KEY) != (first, last):
    # new data takes its own default dates; a session opened from a link keeps the link's
    if PERIOD_KEY in st.session_state or FROM_KEY not in st.session_state:
        st.session_state[FROM_KEY], st.session_state[TO_KEY] = default_dates(first, last)
    st.session_state[PERIOD_KEY] = (first, last)
st.session_state.setdefault(KIND_KEY, "rfm")

st.caption(
    f"Each customer's segment on two dates, each computed only from the purchases up to "
    f"that date. The data runs from {first:%Y-%m-%d} to {last:%Y-%m-%d}."
)
with st.form("movement_form", border=True):
    left, middle, right = st.columns([1, 1, 2])
    left.date_input("Earlier date", key=FROM_KEY, format="YYYY-MM-DD")
    middle.date_input("Later date", key=TO_KEY, format="YYYY-MM-DD")
    right.radio("Segments", list(MOVEMENT_KINDS), format_func=MOVEMENT_KINDS.get, key=KIND_KEY)
    st.form_submit_button("Compare the dates", type="primary", key="compare_dates")

chosen = (st.session_state[FROM_KEY], st.session_state[TO_KEY], st.session_state[KIND_KEY])
with st.spinner("Segmenting the customers at both dates…"):
    movement = last_that_worked(
        lambda dates: movement_of(bundle, *dates),
        chosen,
        customers_key(bundle),
        LAST_GOOD_MOVEMENT,
        "The movement between dates",
        "The last dates that worked are shown.",
    )
if movement is None:
    st.stop()

start, end = f"{movement.from_date:%Y-%m-%d}", f"{movement.to_date:%Y-%m-%d}"
summary = movement.summary()
flows = movement.transitions
stayed, _ = movement.stayed()

columns = st.columns(4)
columns[0].metric(f"Customers on {start}", count(summary["customers_from"]))
columns[1].metric(f"Customers on {end}", count(summary["customers_to"]))
columns[2].metric(f"New since {start}", count(summary["new_customers"]))
columns[3].metric(
    "In the same segment",
    f"{stayed / summary['customers_from']:.0%}",
    f"{stayed:,} of {summary['customers_from']:,}",
    delta_color="off",
    delta_arrow="off",
)
for note in movement.notes:
    st.caption(markdown_text(note))

st.subheader("The biggest moves")
st.markdown("\n".join(f"- {markdown_text(sentence)}" for sentence in summary["largest_flows"]))

st.subheader("Flows")
colours = movement_colours(movement)
st.plotly_chart(sankey_chart(movement, colours), width="stretch", key="flow_sankey")
st.caption(
    f"Left: the segments on {start} and the customers new since; right: the segments on "
    f"{end}. Each band is the customers of one flow; hover it for their revenue."
)

st.subheader("Transition matrix")
st.altair_chart(transition_heat(movement), width="stretch")
st.caption(
    f"Each row is where the customers of a segment on {start} are on {end}: customers, and "
    "their share of the row (the colour). Outlined: customers who stayed."
)

st.subheader("Downloads")
customers = flows.set_index([FROM_SEGMENT, TO_SEGMENT])["customers"]
moves = [tuple(pair) for pair in movement.moves()[[FROM_SEGMENT, TO_SEGMENT]].to_numpy()]
ranked = flows.sort_values("customers", ascending=False, kind="stable")
others = [tuple(p) for p in ranked[[FROM_SEGMENT, TO_SEGMENT]].to_numpy() if tuple(p) not in moves]
options = [*moves, *others]
if st.session_state.get(FLOW_KEY) not in options:
    st.session_state[FLOW_KEY] = options[0]
flow = st.selectbox(
    "Flow", options, format_func=lambda pair: flow_label(pair, customers), key=FLOW_KEY
)
name = re.sub(r"[^A-Za-z0-9]+", "_", f"{flow[0]} to {flow[1]}").strip("_").lower()
left, middle, right = st.columns(3)
left.download_button(
    "Customers of this flow (CSV)",
    csv_download(movement.flow_customers(*flow)),
    file_name=f"movement_{name}.csv",
    mime="text/csv",
    key="download_flow",
    icon=":material/download:",
)
middle.download_button(
    "Every customer, both segments (CSV)",
    csv_download(movement.customers),
    file_name=f"movement_{start}_{end}_customers.csv",
    mime="text/csv",
    key="download_movement_customers",
    icon=":material/download:",
)
right.download_button(
    "All flows (CSV)",
    csv_download(flows),
    file_name=f"movement_{start}_{end}_transitions.csv",
    mime="text/csv",
    key="download_transitions",
    icon=":material/table:",
)
