"""Overview: what the app does, the headline figures of the current data, links to every page."""

import streamlit as st

import ui

st.title("Customer segmentation")
st.markdown(
    "This app turns an online shop's transaction export into one row per customer "
    "(recency, frequency, monetary value) and groups the customers into segments you can act on. "
    "Load your data, check the cleaning, explore the customers, then cluster and profile them."
)

bundle = ui.current_bundle()
summary = bundle.summary
first, last = str(summary["first_date"])[:10], str(summary["last_date"])[:10]
top = st.columns(3)
top[0].metric("Customers", ui.count(summary["customers"]))
top[1].metric("Orders", ui.count(summary["orders"]))
top[2].metric("Revenue", ui.money(summary["revenue"]))
bottom = st.columns([2, 1])
bottom[0].metric("Period", f"{first} – {last}")
bottom[1].metric("Countries", ui.count(summary["countries"] or 0))
st.caption(
    f"Source: {ui.markdown_text(bundle.source)}. Revenue after cleaning; recency counted up to "
    f"{bundle.snapshot:%Y-%m-%d %H:%M}."
)

st.subheader("Pages")
links = [
    ("app_pages/data.py", "Data: load a file, check the column mapping and a preview"),
    ("app_pages/cleaning.py", "Cleaning: switch cleaning steps and see what each removes"),
    ("app_pages/univariate.py", "Univariate: the distribution of line totals and of R, F and M"),
    ("app_pages/bivariate.py", "Bivariate: RFM pairs, correlations and activity by month"),
    ("app_pages/demographics.py", "Demographics: customers and revenue by country on a map"),
    ("app_pages/clustering.py", "Clustering: choose features and k, check the quality"),
    ("app_pages/profiles.py", "Profiles: the segments, their charts and downloads"),
]
for path, label in links:
    st.page_link(path, label=label)
