"""Demographics: customers, revenue and average spend by country, on a map and ranked."""

import streamlit as st

from app.explore_charts import country_bars, country_map, segment_mix
from app.formats import count
from app.links import link_control
from app.segments import current_segmentation, named_customers, segment_names
from app.session import current_bundle
from app.settings import MEASURES, REGIONS
from app.text import markdown_text
from segmentation.explore.countries import map_view, mapped_codes, world_geojson
from segmentation.explore.exploration import country_summary

UK = "United Kingdom"

st.title("Demographics")
link_control()
bundle = current_bundle()
if "country" not in bundle.customers.columns:
    st.warning("This data has no country column, so there is nothing to map.")
    st.stop()

table, unplaced = country_summary(bundle.customers)
uk = table[table["country"] == UK]
abroad = table[table["country"] != UK]
columns = st.columns(4)
columns[0].metric("Countries", count(len(table)))
columns[1].metric("Customers in the UK", count(uk["customers"].sum()))
columns[2].metric("Customers abroad", count(abroad["customers"].sum()))
share = abroad["revenue"].sum() / table["revenue"].sum() if table["revenue"].sum() else 0.0
columns[3].metric("Revenue from abroad", f"{share:.1%}")

left, right = st.columns(2)
measure = left.radio(
    "Measure",
    list(MEASURES),
    format_func=lambda m: MEASURES[m][0],
    horizontal=True,
    key="explore_measure",
)
region = right.radio(
    "Countries", list(REGIONS), format_func=REGIONS.get, horizontal=True, key="explore_region"
)
title, fmt = MEASURES[measure]
shown = {"all": table, "abroad": abroad, "uk": uk}[region].sort_values(
    [measure, "country"], ascending=[False, True], kind="stable"
)

if shown.empty:
    st.info("No customer is in the countries chosen.")
    st.stop()

placed = shown.dropna(subset=["iso3"])
drawable = placed[placed["iso3"].isin(mapped_codes())]
if not drawable.empty:
    figure = country_map(drawable, measure, title, map_view(drawable["iso3"]), world_geojson())
    st.plotly_chart(figure, width="stretch")
too_small = sorted(set(placed["country"]) - set(drawable["country"]))
if too_small:
    st.caption(
        "Too small for this map (see the ranking): "
        + ", ".join(markdown_text(c) for c in too_small)
        + "."
    )
if unplaced:
    st.caption(
        "Not on the map (not one country): "
        + ", ".join(markdown_text(c) for c in unplaced)
        + ". They are counted in the figures and the ranking."
    )

top = shown.head(25)
st.altair_chart(country_bars(top, measure, title), width="stretch")
if st.session_state.get("segments_ready"):
    segmentation = current_segmentation(bundle)
    if segmentation is not None:
        st.subheader("Segment mix per country")
        names = segment_names(segmentation)
        order = list(names.values())
        countries = shown["country"].head(15).tolist()
        st.altair_chart(
            segment_mix(named_customers(segmentation, names), countries, order), width="stretch"
        )
        st.caption("Segments from the Clustering page, for the 15 countries ranked first above.")
else:
    st.caption("Run the Clustering page to see the segment mix of each country here.")

with st.expander("Every country"):
    st.dataframe(
        shown.rename(
            columns={
                "country": "Country",
                "customers": "Customers",
                "revenue": "Revenue (£)",
                "avg_monetary": "Average spend (£)",
                "iso3": "ISO code",
            }
        ),
        hide_index=True,
        column_config={
            "Revenue (£)": st.column_config.NumberColumn(format="£ %.0f"),
            "Average spend (£)": st.column_config.NumberColumn(format="£ %.0f"),
        },
    )
