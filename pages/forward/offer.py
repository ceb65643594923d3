"""What to offer: each segment's categories and products, every customer's buy-again and
discover lists, the proof on held-out days, and downloads."""

import re
from functools import partial

import streamlit as st

from app.errors import last_that_worked
from app.forecast import calibration_bounds, chosen_calibration_end
from app.links import link_control
from app.product_charts import MOST_CATEGORIES, affinity_heat, backtest_chart
from app.product_tables import product_table
from app.products import (
    affinity,
    current_backtest,
    current_products,
    customer_segments,
    lists_csv,
    offer_sentence,
    recommendations,
)
from app.segments import current_segmentation, customers_key
from app.session import current_bundle
from app.settings import MOVEMENT_KINDS, OFFER_CALIBRATION, OFFER_KIND
from app.text import markdown_text
from segmentation.outputs.export import to_safe_csv
from segmentation.value.forecast import HOLDOUT_DAYS, default_calibration_end

#: Widget keys of the segment and the customer looked at; the last backtest that worked.
SEGMENT_KEY, CUSTOMER_KEY, LAST_GOOD_BACKTEST = "offer_segment", "offer_customer", "offer_last"

st.title("What to offer")
link_control()
bundle = current_bundle()
st.session_state.setdefault(OFFER_KIND, "cluster")
st.radio(
    "Segments",
    sorted(MOVEMENT_KINDS),  # clusters first
    format_func=MOVEMENT_KINDS.get,
    key=OFFER_KIND,
    horizontal=True,
)
products = current_products()
if products is None:
    st.stop()
segmentation = current_segmentation(bundle)
if segmentation is None:
    st.stop()
segments, order = customer_segments(segmentation, st.session_state[OFFER_KIND])
found = affinity(products, segments)
lists = recommendations(products, segments)

st.subheader("Which categories each segment favours")
by_revenue = products.categories.table.sort_values("revenue", ascending=False, kind="stable")
st.altair_chart(affinity_heat(found, order, by_revenue["category"].tolist()), width="content")
st.caption(
    "Lift: a segment's share of its spend on a category over all customers' share (2.0: twice "
    "as much; below 1: less). Hover a cell for the share. Categories by revenue, most first "
    f"(the first {MOST_CATEGORIES} where there are more)."
)

st.subheader("What to offer each segment")
if st.session_state.get(SEGMENT_KEY) not in order:
    st.session_state[SEGMENT_KEY] = order[0]
segment = st.selectbox("Segment", order, key=SEGMENT_KEY)
st.markdown(markdown_text(offer_sentence(found, segment)))
left, right = st.columns([2, 3])
with left:
    st.markdown("**Promote**")
    product_table(
        lists.promote[lists.promote["segment"] == segment], ["description", "score"], whole=True
    )
    st.caption(
        "The products on most of this segment's discover lists (score: the share of its "
        "customers whose list holds the product)."
    )
with right:
    st.markdown("**Typical products**")
    typical = found.top_products[found.top_products["segment"] == segment]
    product_table(typical, ["description", "category", "lift", "buyers_share"], whole=True)
    st.caption(
        "Bought far more often here than by all customers (lift); bought by: the share of the "
        "segment's customers who bought it."
    )

st.subheader("One customer")
customers = segmentation.customers.sort_values("monetary", ascending=False, kind="stable")
ids = customers["customer_id"].astype(str).tolist()
if st.session_state.get(CUSTOMER_KEY) not in ids:
    st.session_state[CUSTOMER_KEY] = ids[0]
customer = st.selectbox(
    "Customer",
    ids,
    key=CUSTOMER_KEY,
    format_func=lambda c: f"{c} ({segments.get(c, 'no segment')})",
    help="Customers by spend, most first; type to search.",
)
mine = lists.for_customer(customer)
again, discover = st.columns(2)
for column, kind, title in ((again, "buy_again", "Buy again"), (discover, "discover", "Discover")):
    with column:
        st.markdown(f"**{title}**")
        chosen = mine[mine["kind"] == kind]
        product_table(chosen, ["description", "score", "fallback"], whole=True)
        if chosen["fallback"].any():
            st.caption(
                "This customer's own purchases say too little: the products of their segment's "
                "promote list stand in (ticked: stand-in)."
            )

st.subheader("Downloads")
campaign = lists.campaign(segment, segments, top=3)
name = re.sub(r"[^A-Za-z0-9]+", "_", segment).strip("_").lower() or "segment"
left, right = st.columns(2)
left.download_button(
    "Every customer's lists (CSV)",
    lists_csv(products, segments),
    file_name="customer_lists.csv",
    mime="text/csv",
    key="download_lists",
    icon=":material/download:",
)
right.download_button(
    f"Campaign list of {markdown_text(segment)} (CSV)",
    to_safe_csv(campaign.round(4)),
    file_name=f"campaign_{name}.csv",
    mime="text/csv",
    key="download_campaign",
    icon=":material/campaign:",
)
st.caption(
    "The campaign list: each customer of the segment chosen above with their top 3 "
    "products to discover."
)

st.subheader("Proof on held-out days")
first, last = calibration_bounds(bundle)
default_end = default_calibration_end(bundle.purchases).date()
end = chosen_calibration_end(bundle, OFFER_CALIBRATION)
st.date_input(
    "Calibration end",
    value=None,
    min_value=first,
    max_value=last,
    key=OFFER_CALIBRATION,
    help="The lists are made from the purchases up to this day and checked against what the "
    f"customers bought after it. Empty: the last {HOLDOUT_DAYS} days are held out (from "
    f"{default_end:%Y-%m-%d}).",
)
with st.spinner("Making the lists again from the days before and scoring them (seconds)…"):
    tested = last_that_worked(
        partial(current_backtest, products),
        end or default_end,
        customers_key(bundle),
        LAST_GOOD_BACKTEST,
        "The backtest of the lists",
        "The last calibration end that worked is shown.",
    )
if tested is not None:
    words, chart = st.columns([2, 3])
    words.markdown("\n".join(f"- {markdown_text(s)}" for s in tested.sentences()))
    chart.altair_chart(backtest_chart(tested), width="stretch")
