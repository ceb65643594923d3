"""Overview: what the app does, the headline figures of the current data, links to every page."""

import streamlit as st

from app.formats import count, money
from app.navigation import PAGES
from app.session import current_bundle, current_headline
from app.story import segment_story
from app.text import markdown_text

st.title("Customer segmentation")
st.markdown(
    "This app turns an online shop's transaction export into one row per customer "
    "(recency, frequency, monetary value) and groups the customers into segments you can act on. "
    "Load your data, check the cleaning, explore the customers, cluster and profile them, then "
    "look forward: what each segment is worth next, who is slipping away, who moved and what "
    "to offer each."
)

headline, bundle = current_headline()
first, last = headline.period
top = st.columns(3)
top[0].metric("Customers", count(headline.customers))
top[1].metric("Orders", count(headline.orders))
top[2].metric("Revenue", money(headline.revenue))
bottom = st.columns([2, 1])
bottom[0].metric("Period", f"{first} – {last}")
bottom[1].metric("Countries", count(headline.countries))
st.caption(
    f"Source: {markdown_text(headline.source)}. Revenue after cleaning; recency counted up to "
    f"{headline.snapshot}."
)

st.subheader("Segments")
st.caption(
    "From the Clustering page's settings (the recommended number of segments by default); "
    "renamed segments keep their names here. What to offer each segment (its leading kind of "
    "product and typical products) follows from its purchases, in detail on the What to offer "
    "page."
)
segment_story(bundle or current_bundle())

st.subheader("Where to look next")
for entry in PAGES[1:]:
    st.page_link(entry.path, label=entry.blurb)
