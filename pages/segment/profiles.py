"""Profiles: a card per segment, charts comparing the segments, renaming and downloads."""

import altair as alt
import streamlit as st

from app.charts import box_plot, segment_colours, segment_scale
from app.forecast import current_forecast, with_predictions
from app.links import link_control
from app.products import offer_sentences
from app.profile_cards import offer_lines, segment_cards
from app.segment_charts import crosstab_heat, plane_chart, radar_chart, rfm_cube, snake_chart
from app.segments import current_segmentation, named_customers, sample_index, segment_names
from app.session import current_bundle
from segmentation.explore.exploration import grouped_box_statistics
from segmentation.outputs.export import to_safe_csv
from segmentation.outputs.report import build_report
from segmentation.schema import FEATURE_LABELS, RFM_COLUMNS
from segmentation.segments.profiles import rank_profile
from segmentation.segments.projection import principal_plane
from segmentation.segments.rfm import score_bounds
from segmentation.value.forecast import segment_labels

st.title("Profiles")
link_control()
bundle = current_bundle()
segmentation = current_segmentation(bundle)
if segmentation is None:
    st.stop()
table = segmentation.profiles.table
names = segment_names(segmentation)
order = list(names.values())
colours = segment_colours(order)
scale = segment_scale(order)
customers = named_customers(segmentation, names)

st.caption(
    f"{segmentation.k} segments of {len(customers):,} customers, from the Clustering page's "
    "options. Rename a segment in its card: the new name is used on every page and download. "
    "Value and risk come from the Value and risk page's settings; what to offer from the "
    "categories of the Products page."
)
forward = current_forecast(bundle, quiet=True)
if forward is not None:
    forward = forward.with_segments(segment_labels(segmentation, names))
places = segment_cards(table, names, forward)
offers = offer_sentences(segmentation)
offer_lines(places, offers)

st.subheader("Snake plot")
st.altair_chart(snake_chart(segmentation.profiles.snake, names, scale, order), width="stretch")

left, right = st.columns(2)
ranks = rank_profile(customers, customers["cluster"])
left.plotly_chart(radar_chart(ranks, names, colours), width="stretch")
sample = sample_index(len(customers))
points = customers.iloc[sample]
plane = principal_plane(segmentation.prepared.matrix, sample)
right.altair_chart(
    plane_chart(points, plane.coordinates, plane.explained, scale, order), width="stretch"
)
if len(points) < len(customers):
    st.caption(f"Maps show a random sample of {len(points):,} of {len(customers):,} customers.")
st.plotly_chart(rfm_cube(points, colours, order), width="stretch")

st.subheader("Distributions per segment")
feature = st.selectbox(
    "Feature", list(RFM_COLUMNS), format_func=FEATURE_LABELS.get, key="explore_profile_feature"
)
boxes = grouped_box_statistics(customers[feature], customers["segment"], order)
st.altair_chart(
    box_plot(boxes, title=FEATURE_LABELS[feature], order=order, scale=scale).properties(
        height=alt.Step(44)
    ),
    width="stretch",
)
st.caption("Boxes: middle half of the customers; line: median; whiskers: 1.5 × IQR.")

st.subheader("Clusters against RFM segments")
st.altair_chart(crosstab_heat(segmentation.profiles.crosstab, names, order), width="stretch")
st.caption(
    f"Agreement of the clusters with the RFM score segments (adjusted Rand index): "
    f"{segmentation.profiles.rfm_agreement:.2f}."
)
st.markdown("**RFM score cut points**")
bounds = score_bounds(segmentation.score_cuts)
st.dataframe(bounds)
st.caption(
    "Each score is a fifth of the customers, 5 the most recent, frequent or spending: "
    f"R3 stands for {bounds.iloc[0]['3']} days since the last purchase here, the middle "
    "fifth by recency (none: equal values leave a score empty)."
)

st.subheader("Downloads")
left, right = st.columns(2)
left.download_button(
    "Customers with segments (CSV)",
    to_safe_csv(with_predictions(customers, forward)),
    file_name="customer_segments.csv",
    mime="text/csv",
    key="download_csv",
    icon=":material/download:",
)
descriptions = {names[c]: d for c, d in zip(table["cluster"], table["description"], strict=True)}
actions = {names[c]: a for c, a in zip(table["cluster"], table["action"], strict=True)}
right.download_button(
    "Segment report (HTML)",
    build_report(
        customers,
        order=order,
        descriptions=descriptions,
        actions=actions,
        colours=colours,
        source=bundle.source,
        method=f"{segmentation.method}, k = {segmentation.k}",
        forecast=forward,
        offers=offers,
    ),
    file_name="segment_report.html",
    mime="text/html",
    key="download_report",
    icon=":material/description:",
)
