"""Charts of the Clustering and Profiles pages: built from the segmentation's tables, drawn
by the pages. Segments keep one colour and one order on every chart."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from app.charts import heat_map
from app.text import chart_text
from segmentation.schema import FEATURE_LABELS
from segmentation.segments.hierarchy import Dendrogram
from segmentation.segments.preparation import sample_rows

#: Measures of the sweep over k besides inertia: title, which way is better, number format.
MEASURES = {
    "silhouette": ("Silhouette", "higher is better", ".2f"),
    "calinski_harabasz": ("Calinski–Harabasz", "higher is better", ",.0f"),
    "davies_bouldin": ("Davies–Bouldin", "lower is better", ".2f"),
}
CHOSEN, ELBOW = "#e15759", "#59a14f"
#: Height of one row of a heat map or a bar chart of segments, in pixels.
ROW_STEP = 40


def sweep_charts(sweep: pd.DataFrame, k: int, knee: int | None) -> list[alt.LayerChart]:
    """Inertia (the elbow) and every other measure against k, the chosen k and the elbow
    marked on each."""
    marks = pd.DataFrame(
        {"k": [k, *([knee] if knee else [])], "what": ["chosen k", *(["elbow"] if knee else [])]}
    )
    marker = alt.Color(
        "what:N", title=None, scale=alt.Scale(domain=["chosen k", "elbow"], range=[CHOSEN, ELBOW])
    )
    rules = alt.Chart(marks[marks["what"] == "chosen k"]).mark_rule(size=5, opacity=0.6).encode(
        x="k:Q", color=marker
    ) + alt.Chart(marks[marks["what"] == "elbow"]).mark_rule(strokeDash=[5, 4], size=2).encode(
        x="k:Q", color=marker
    )
    k_axis = alt.X("k:Q", title="Number of clusters (k)", axis=alt.Axis(tickMinStep=1))
    inertia = (
        alt.Chart(sweep.dropna(subset=["inertia"]))
        .mark_line(point=True)
        .encode(
            x=k_axis,
            y=alt.Y("inertia:Q", title="Inertia", axis=alt.Axis(format="~s")),
            tooltip=[alt.Tooltip("k:Q"), alt.Tooltip("inertia:Q", title="Inertia", format=",.0f")],
        )
    )
    charts = [
        (inertia + rules).properties(title="Elbow: within-cluster sum of squares", height=260)
    ]
    for measure, (title, better, fmt) in MEASURES.items():
        line = (
            alt.Chart(sweep.dropna(subset=[measure]))
            .mark_line(point=True)
            .encode(
                x=k_axis,
                y=alt.Y(f"{measure}:Q", title=title, scale=alt.Scale(zero=False)),
                tooltip=[alt.Tooltip("k:Q"), alt.Tooltip(f"{measure}:Q", title=title, format=fmt)],
            )
        )
        charts.append((line + rules).properties(title=f"{title} ({better})", height=260))
    return charts


def silhouette_chart(
    clusters: pd.Series,
    values: np.ndarray,
    mean: float,
    names: dict[int, str],
    scale: alt.Scale,
    limit: int = 3_000,
) -> alt.LayerChart:
    """Every customer's silhouette, sorted within each segment (a seeded sample of ``limit``
    customers drawn), with the mean as a dashed line."""
    frame = pd.DataFrame({"cluster": clusters.to_numpy(), "silhouette": values}).dropna()
    frame = frame.sort_values(["cluster", "silhouette"], ascending=[True, False])
    frame["position"] = range(len(frame))
    frame["segment"] = frame["cluster"].map(names)
    frame = frame.iloc[sample_rows(len(frame), limit, 0)]
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("silhouette:Q", title="Silhouette (−1 to 1; higher: better placed)"),
            y=alt.Y("position:O", title="Customers, sorted within each segment", axis=None),
            color=alt.Color("segment:N", title="Segment", scale=scale),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("silhouette:Q", format=".2f"),
            ],
        )
        .properties(height=360)
    )
    mean_rule = (
        alt.Chart(pd.DataFrame({"mean": [mean]}))
        .mark_rule(color=CHOSEN, strokeDash=[5, 4], size=2)
        .encode(x="mean:Q")
    )
    return bars + mean_rule


def dendrogram_chart(tree: Dendrogram, cut: float, linkage: str, k: int) -> alt.LayerChart:
    """The last merges of a tree as lines, the cut for ``k`` clusters as a dashed line and
    the customers under each leaf."""
    paths = pd.DataFrame(
        [
            {"merge": i, "order": j, "x": x, "height": y}
            for i, (xs, ys) in enumerate(zip(tree.icoord, tree.dcoord, strict=True))
            for j, (x, y) in enumerate(zip(xs, ys, strict=True))
        ]
    )
    leaves = pd.DataFrame(
        {"x": [5 + 10 * i for i in range(len(tree.leaf_counts))], "customers": tree.leaf_counts}
    )
    lines = (
        alt.Chart(paths)
        .mark_line(color="#4e79a7")
        .encode(
            x=alt.X("x:Q", title="Groups of customers", axis=None),
            y=alt.Y("height:Q", title="Merge distance"),
            detail="merge:N",
            order="order:Q",
        )
    )
    cut_line = (
        alt.Chart(pd.DataFrame({"height": [cut]}))
        .mark_rule(color=CHOSEN, strokeDash=[6, 4], size=2)
        .encode(y="height:Q")
    )
    leaf_text = (  # written downwards, so counts of thousands do not run into each other
        alt.Chart(leaves)
        .mark_text(angle=270, align="right", dx=-4, fontSize=9)
        .encode(x="x:Q", y=alt.datum(0), text=alt.Text("customers:Q", format="~s"))
    )
    return (lines + cut_line + leaf_text).properties(
        title=f"Dendrogram ({linkage} linkage), cut into {k} clusters", height=320
    )


def stability_chart(resample_ari: list[float]) -> alt.Chart:
    """Agreement of each bootstrap refit with the full fit."""
    resamples = pd.DataFrame({"resample": range(1, len(resample_ari) + 1), "ari": resample_ari})
    return (
        alt.Chart(resamples)
        .mark_bar()
        .encode(
            x=alt.X("resample:O", title="Bootstrap resample", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("ari:Q", title="Adjusted Rand index", scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip("ari:Q", title="ARI", format=".3f")],
        )
        .properties(height=200)
    )


def snake_chart(
    snake: pd.DataFrame, names: dict[int, str], scale: alt.Scale, order: list[str]
) -> alt.Chart:
    """Each segment's feature means against the average customer (a snake plot)."""
    snake = snake.assign(
        segment=lambda f: f["cluster"].map(names),
        feature=lambda f: f["feature"].map(FEATURE_LABELS),
    )
    return (
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
        .properties(height=340)
    )


def radar_chart(ranks: pd.DataFrame, names: dict[int, str], colours: dict[str, str]):
    """Each segment's mean percentile ranks on a radar (Plotly)."""
    import plotly.graph_objects as go

    radar = go.Figure()
    axes = ["Recent (low recency)", "Frequent", "High spend"]
    for cluster, row in ranks.iterrows():
        name = names[int(cluster)]
        radar.add_trace(
            go.Scatterpolar(
                r=[*row.to_list(), row.iloc[0]],
                theta=[*axes, axes[0]],
                name=chart_text(name),
                line={"color": colours[name], "width": 3},
            )
        )
    radar.update_layout(
        # The percentage ticks run between the "Recent" and "Frequent" spokes, clear of both.
        polar={
            "radialaxis": {"range": [0, 1], "tickformat": ".0%", "angle": 60, "tickangle": 60},
            "bgcolor": "rgba(0,0,0,0)",
        },
        title="Radar: average percentile rank of the segment's customers",
        height=420,
        margin={"l": 40, "r": 40, "t": 60, "b": 30},
    )
    return radar


def plane_chart(
    points: pd.DataFrame,
    coordinates: np.ndarray,
    explained: tuple[float, float],
    scale: alt.Scale,
    order: list[str],
) -> alt.Chart:
    """Customers on the two principal components of the clustering features."""
    frame = points[["customer_id", "segment"]].assign(pc1=coordinates[:, 0], pc2=coordinates[:, 1])
    return (
        alt.Chart(frame)
        .mark_circle(size=22, opacity=0.6)
        .encode(
            x=alt.X("pc1:Q", title=f"First principal component ({explained[0]:.0%} of variance)"),
            y=alt.Y("pc2:Q", title=f"Second principal component ({explained[1]:.0%} of variance)"),
            color=alt.Color("segment:N", title="Segment", scale=scale, sort=order),
            tooltip=[alt.Tooltip("customer_id:N", title="Customer"), alt.Tooltip("segment:N")],
        )
        .properties(title="Customers on the two main axes of the clustering features", height=400)
    )


def rfm_cube(points: pd.DataFrame, colours: dict[str, str], order: list[str]):
    """Recency, frequency and monetary value in three dimensions (Plotly), F and M on log
    axes."""
    import plotly.express as px

    scatter = px.scatter_3d(
        points.assign(
            segment=points["segment"].map(chart_text),
            customer_id=points["customer_id"].map(chart_text),
        ),
        x="recency",
        y="frequency",
        z="monetary",
        color="segment",
        color_discrete_map={chart_text(name): colour for name, colour in colours.items()},
        category_orders={"segment": [chart_text(name) for name in order]},
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
        # One label per power of ten on the log axes (Plotly also labels 2 and 5 between).
        scene={"yaxis": {"dtick": 1}, "zaxis": {"dtick": 1}},
    )
    return scatter


def crosstab_heat(crosstab: pd.DataFrame, names: dict[int, str], order: list[str]) -> alt.Chart:
    """Customers by cluster segment (rows) and RFM rule segment (columns)."""
    crosstab = crosstab.set_axis(crosstab.index.map(names), axis=0)
    long = crosstab.rename_axis(index="segment", columns="rfm").stack().rename("customers")
    long = long.reset_index()
    chart = heat_map(
        long,
        x=("rfm", "RFM score segment", list(crosstab.columns)),
        y=("segment", "Cluster segment", order),
        value=("customers", "Customers", ","),
        colour=alt.Scale(scheme="blues"),
        dark_above=f"datum.customers > {long['customers'].max() / 2}",
        tooltip=[
            alt.Tooltip("segment:N", title="Cluster segment"),
            alt.Tooltip("rfm:N", title="RFM segment"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
        ],
        text_where="datum.customers > 0",
    )
    return chart.properties(height=alt.Step(ROW_STEP))
