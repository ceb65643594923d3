"""Profiles: a card per segment, charts comparing the segments, renaming and downloads."""

import altair as alt
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
from sklearn.decomposition import PCA

import ui
from segmentation.exploration import box_statistics
from segmentation.export import to_safe_csv
from segmentation.report import build_report
from segmentation.schema import FEATURE_LABELS, RFM_COLUMNS

st.title("Profiles")
bundle = ui.current_bundle()
segmentation = ui.current_segmentation(bundle)
if segmentation is None:
    st.stop()
table = segmentation.profiles.table
names = ui.segment_names(segmentation)
order = list(names.values())
colours = ui.segment_colours(order)
scale = ui.segment_scale(order)
customers = ui.named_customers(segmentation)

st.caption(
    f"{segmentation.k} segments of {len(customers):,} customers, from the Clustering page's "
    "options. Rename a segment in its card: the new name is used on every page and download."
)
cards = st.columns(min(3, len(table)))
for position, row in enumerate(table.itertuples(index=False)):
    with cards[position % len(cards)].container(border=True):
        st.markdown(f"**{ui.markdown_text(names[row.cluster])}**")
        st.text_input(
            "Name",
            key=f"label_{row.cluster}",
            placeholder=row.segment,
            label_visibility="collapsed",
        )
        st.caption(row.description)
        size, revenue = st.columns(2)
        size.metric(
            "Customers",
            ui.count(row.customers),
            f"{row.customer_share:.1%} of all",
            delta_color="off",
            delta_arrow="off",
        )
        revenue.metric(
            "Revenue share",
            f"{row.revenue_share:.1%}",
            ui.money(row.revenue),
            delta_color="off",
            delta_arrow="off",
        )
        st.markdown(f"**Action:** {row.action}")

st.subheader("Snake plot")
snake = segmentation.profiles.snake.assign(
    segment=lambda f: f["cluster"].map(names), feature=lambda f: f["feature"].map(FEATURE_LABELS)
)
st.altair_chart(
    alt.Chart(snake)
    .mark_line(point=True, strokeWidth=3)
    .encode(
        x=alt.X("feature:N", title=None, sort=list(FEATURE_LABELS.values())),
        y=alt.Y(
            "relative_difference:Q",
            title="Against the average customer",
            axis=alt.Axis(format="+%"),
        ),
        color=alt.Color("segment:N", title="Segment", scale=scale, sort=order),
        tooltip=[
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("feature:N", title="Feature"),
            alt.Tooltip("mean:Q", title="Segment mean", format=",.1f"),
            alt.Tooltip("relative_difference:Q", title="Against all", format="+.0%"),
        ],
    )
    .properties(height=340),
    width="stretch",
)

left, right = st.columns(2)
ranks = customers[list(RFM_COLUMNS)].rank(pct=True)
ranks["recency"] = 1 - ranks["recency"]
radar_values = ranks.groupby(customers["cluster"]).mean()
radar = go.Figure()
axes = ["Recent (low recency)", "Frequent", "High spend"]
for cluster, row in radar_values.iterrows():
    name = names[int(cluster)]
    radar.add_trace(
        go.Scatterpolar(
            r=[*row.to_list(), row.iloc[0]],
            theta=[*axes, axes[0]],
            name=ui.chart_text(name),
            line={"color": colours[name], "width": 3},
        )
    )
radar.update_layout(
    polar={"radialaxis": {"range": [0, 1], "tickformat": ".0%"}, "bgcolor": "rgba(0,0,0,0)"},
    title="Radar: average percentile rank of the segment's customers",
    height=420,
    margin={"l": 40, "r": 40, "t": 60, "b": 30},
)
left.plotly_chart(radar, width="stretch")

sample = ui.sample_index(len(customers))
points = customers.iloc[sample]
projected = PCA(n_components=2, random_state=0).fit(segmentation.prepared.matrix)
coordinates = projected.transform(segmentation.prepared.matrix[sample])
explained = projected.explained_variance_ratio_
pca = points.assign(pc1=coordinates[:, 0], pc2=coordinates[:, 1])
right.altair_chart(
    alt.Chart(pca[["customer_id", "segment", "pc1", "pc2"]])
    .mark_circle(size=22, opacity=0.6)
    .encode(
        x=alt.X("pc1:Q", title=f"First principal component ({explained[0]:.0%} of variance)"),
        y=alt.Y("pc2:Q", title=f"Second principal component ({explained[1]:.0%} of variance)"),
        color=alt.Color("segment:N", title="Segment", scale=scale, sort=order),
        tooltip=[alt.Tooltip("customer_id:N", title="Customer"), alt.Tooltip("segment:N")],
    )
    .properties(title="Customers on the two main axes of the clustering features", height=400),
    width="stretch",
)
if len(points) < len(customers):
    st.caption(f"Maps show a random sample of {len(points):,} of {len(customers):,} customers.")

scatter = px.scatter_3d(
    points.assign(
        segment=points["segment"].map(ui.chart_text),
        customer_id=points["customer_id"].map(ui.chart_text),
    ),
    x="recency",
    y="frequency",
    z="monetary",
    color="segment",
    color_discrete_map={ui.chart_text(name): colour for name, colour in colours.items()},
    category_orders={"segment": [ui.chart_text(name) for name in order]},
    log_y=True,
    log_z=True,
    hover_name="customer_id",
    labels={**FEATURE_LABELS, "segment": "Segment"},
    opacity=0.7,
    height=560,
)
scatter.update_traces(marker={"size": 3})
scatter.update_layout(
    title="Recency, frequency and monetary value (log axes for F and M)",
    margin={"l": 0, "r": 0, "t": 50, "b": 0},
)
st.plotly_chart(scatter, width="stretch")

st.subheader("Distributions per segment")
feature = st.selectbox(
    "Feature", list(RFM_COLUMNS), format_func=FEATURE_LABELS.get, key="explore_profile_feature"
)
boxes = pd.DataFrame(
    [
        {"segment": name, **box_statistics(customers.loc[customers["segment"] == name, feature])}
        for name in order
    ]
)
base = alt.Chart(boxes).encode(
    y=alt.Y("segment:N", title=None, sort=order),
    color=alt.Color("segment:N", scale=scale, legend=None, sort=order),
)
st.altair_chart(
    (
        base.mark_rule().encode(x=alt.X("lower:Q", title=FEATURE_LABELS[feature]), x2="upper:Q")
        + base.mark_bar(size=22).encode(x="q1:Q", x2="q3:Q")
        + base.mark_tick(size=22, thickness=3, color="black").encode(x="median:Q")
    ).properties(height=60 * len(order)),
    width="stretch",
)
st.caption("Boxes: middle half of the customers; line: median; whiskers: 1.5 × IQR.")

st.subheader("Clusters against RFM segments")
crosstab = segmentation.profiles.crosstab
crosstab = crosstab.set_axis(crosstab.index.map(names), axis=0)
long = crosstab.rename_axis(index="segment", columns="rfm").stack().rename("customers")
long = long.reset_index()
columns = list(crosstab.columns)
cells = alt.Chart(long).encode(
    x=alt.X("rfm:N", title="RFM score segment", sort=columns, axis=alt.Axis(labelAngle=-35)),
    y=alt.Y("segment:N", title="Cluster segment", sort=order, axis=alt.Axis(labelOverlap=False)),
)
heat = cells.mark_rect().encode(
    color=alt.Color("customers:Q", title="Customers", scale=alt.Scale(scheme="blues")),
    tooltip=[
        alt.Tooltip("segment:N", title="Cluster segment"),
        alt.Tooltip("rfm:N", title="RFM segment"),
        alt.Tooltip("customers:Q", title="Customers", format=","),
    ],
)
counts = (
    cells.transform_filter("datum.customers > 0")
    .mark_text(fontSize=11)
    .encode(
        text=alt.Text("customers:Q", format=","),
        color=alt.condition(
            f"datum.customers > {long['customers'].max() / 2}",
            alt.value("white"),
            alt.value("black"),
        ),
    )
)
st.altair_chart((heat + counts).properties(height=44 * len(order)), width="stretch")
st.caption(
    f"Agreement of the clusters with the RFM score segments (adjusted Rand index): "
    f"{segmentation.profiles.rfm_agreement:.2f}."
)

st.subheader("Downloads")
left, right = st.columns(2)
left.download_button(
    "Customers with segments (CSV)",
    to_safe_csv(customers),
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
    ),
    file_name="segment_report.html",
    mime="text/html",
    key="download_report",
    icon=":material/description:",
)
