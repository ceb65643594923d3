"""Demographics: customers, revenue and average spend by country, on a map and ranked."""

import altair as alt
import plotly.express as px
import streamlit as st

import ui
from segmentation.countries import map_view, mapped_codes, world_geojson
from segmentation.exploration import country_summary

UK = "United Kingdom"
MEASURES = {
    "customers": ("Customers", ","),
    "revenue": ("Revenue (£)", ",.0f"),
    "avg_monetary": ("Average spend per customer (£)", ",.0f"),
}
#: Plotly's built-in map style without tiles: only the country outlines are drawn, offline
#: too. (A hand-written empty style fails MapLibre's style check when the chart is redrawn,
#: an uncaught "Map error." in the browser.)
BLANK_MAP = "white-bg"
REGIONS = {
    "abroad": "Rest of the world (without the UK)",
    "all": "Every country",
    "uk": "United Kingdom only",
}

st.title("Demographics")
bundle = ui.current_bundle()
if "country" not in bundle.customers.columns:
    st.warning("This data has no country column, so there is nothing to map.")
    st.stop()

table, unplaced = country_summary(bundle.customers)
uk = table[table["country"] == UK]
abroad = table[table["country"] != UK]
columns = st.columns(4)
columns[0].metric("Countries", ui.count(len(table)))
columns[1].metric("Customers in the UK", ui.count(uk["customers"].sum()))
columns[2].metric("Customers abroad", ui.count(abroad["customers"].sum()))
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
shown = {"all": table, "abroad": abroad, "uk": uk}[region]
title, fmt = MEASURES[measure]

if shown.empty:
    st.info("No customer is in the countries chosen.")
    st.stop()

placed = shown.dropna(subset=["iso3"])
drawable = placed[placed["iso3"].isin(mapped_codes())]
if not drawable.empty:
    centre, zoom = map_view(drawable["iso3"])
    figure = px.choropleth_map(
        drawable.assign(country=drawable["country"].map(ui.chart_text)),
        geojson=world_geojson(),
        locations="iso3",
        color=measure,
        hover_name="country",
        hover_data={"iso3": False, "customers": ":,", "revenue": ":,.0f"},
        color_continuous_scale="Blues",
        labels={measure: title, "customers": "Customers", "revenue": "Revenue (£)"},
        zoom=zoom,
        center=centre,
        opacity=0.9,
    )
    figure.update_traces(marker_line_color="#888", marker_line_width=0.5)
    figure.update_layout(map_style=BLANK_MAP, margin={"l": 0, "r": 0, "t": 10, "b": 0}, height=460)
    st.plotly_chart(figure, width="stretch")
too_small = sorted(set(placed["country"]) - set(drawable["country"]))
if too_small:
    st.caption(
        "Too small for this map (see the ranking): "
        + ", ".join(ui.markdown_text(c) for c in too_small)
        + "."
    )
if unplaced:
    st.caption(
        "Not on the map (not one country): "
        + ", ".join(ui.markdown_text(c) for c in unplaced)
        + ". They are counted in the figures and the ranking."
    )

top = shown.head(25)
bars = (
    alt.Chart(top)
    .mark_bar()
    .encode(
        x=alt.X(f"{measure}:Q", title=title, axis=alt.Axis(format="~s")),
        y=alt.Y("country:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
        tooltip=[
            alt.Tooltip("country:N", title="Country"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
            alt.Tooltip("revenue:Q", title="Revenue (£)", format=",.0f"),
            alt.Tooltip("avg_monetary:Q", title="Average spend (£)", format=",.0f"),
        ],
    )
    .properties(height=max(120, 22 * len(top)), title=f"{title}, top {len(top)} countries")
)
st.altair_chart(bars, width="stretch")
if st.session_state.get("segments_ready"):
    segmentation = ui.current_segmentation(bundle)
    if segmentation is not None:
        st.subheader("Segment mix per country")
        names = ui.segment_names(segmentation)
        order = list(names.values())
        segmented = ui.named_customers(segmentation)
        countries = shown["country"].head(15).tolist()
        mix = (
            segmented[segmented["country"].isin(countries)]
            .groupby(["country", "segment"])
            .size()
            .rename("customers")
            .reset_index()
        )
        mix["segment_order"] = mix["segment"].map({name: i for i, name in enumerate(order)})
        st.altair_chart(
            alt.Chart(mix)
            .mark_bar()
            .encode(
                x=alt.X(
                    "customers:Q",
                    stack="normalize",
                    title="Share of the country's customers",
                    axis=alt.Axis(format="%"),
                ),
                y=alt.Y("country:N", title=None, sort=countries),
                color=alt.Color(
                    "segment:N", title="Segment", scale=ui.segment_scale(order), sort=order
                ),
                order=alt.Order("segment_order:Q"),
                tooltip=["country:N", "segment:N", alt.Tooltip("customers:Q", format=",")],
            )
            .properties(height=max(120, 24 * len(countries))),
            width="stretch",
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
