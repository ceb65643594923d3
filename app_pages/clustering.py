"""Clustering: choose features, transform, scaler, method and k; check how good the clusters are."""

import altair as alt
import pandas as pd
import streamlit as st

import ui
from segmentation.clustering import METHODS, elbow_k
from segmentation.hierarchy import LINKAGE_METHODS
from segmentation.preparation import SCALERS, TRANSFORMS
from segmentation.schema import CUSTOMER_FEATURES

METHOD_LABELS = {
    "kmeans": "k-means",
    "agglomerative": "Agglomerative (hierarchical)",
    "gmm": "Gaussian mixture",
}
MEASURES = {
    "silhouette": ("Silhouette", "higher is better", ".2f"),
    "calinski_harabasz": ("Calinski–Harabasz", "higher is better", ",.0f"),
    "davies_bouldin": ("Davies–Bouldin", "lower is better", ".2f"),
}

st.title("Clustering")
bundle = ui.current_bundle()
features = [c for c in CUSTOMER_FEATURES if c in bundle.customers.columns]
for key, default in ui.CLUSTER_DEFAULTS.items():
    st.session_state.setdefault(key, default)

with st.form("cluster_form", border=True):
    left, middle, right = st.columns(3)
    left.multiselect("Features", features, key="cluster_features")
    left.selectbox("Transform", TRANSFORMS, key="cluster_transform")
    middle.selectbox("Scaler", SCALERS, key="cluster_scaler")
    middle.selectbox("Method", METHODS, format_func=METHOD_LABELS.get, key="cluster_method")
    middle.selectbox("Linkage (agglomerative)", LINKAGE_METHODS, key="cluster_linkage")
    right.toggle("Choose k automatically", key="cluster_auto_k")
    right.slider("k when chosen by hand", 2, 10, key="cluster_k")
    st.form_submit_button("Run clustering", type="primary", key="run_clustering")

if not st.session_state["cluster_features"]:
    st.warning("No feature is chosen, so recency, frequency and monetary value are used.")
segmentation = ui.current_segmentation(bundle)
if segmentation is None:
    st.stop()
names = ui.segment_names(segmentation)
colours = ui.segment_scale(list(names.values()))
sweep = segmentation.sweep
k = segmentation.k

columns = st.columns(4)
columns[0].metric("Clusters", k)
columns[1].metric("Silhouette", f"{segmentation.silhouette:.2f}")
columns[2].metric("Method", METHOD_LABELS[segmentation.method])
columns[3].metric("Customers", ui.count(len(segmentation.customers)))
st.info(f"**Recommended k.** {segmentation.k_reason}", icon=":material/recommend:")
for note in segmentation.notes:
    st.caption(note)

st.subheader("How many clusters?")
knee = elbow_k(sweep)
marks = pd.DataFrame(
    {"k": [k, *([knee] if knee else [])], "what": ["chosen k", *(["elbow"] if knee else [])]}
)
inertia = alt.Chart(sweep.dropna(subset=["inertia"])).encode(
    x=alt.X("k:Q", title="Number of clusters (k)", axis=alt.Axis(tickMinStep=1)),
    y=alt.Y("inertia:Q", title="Inertia", axis=alt.Axis(format="~s")),
    tooltip=[alt.Tooltip("k:Q"), alt.Tooltip("inertia:Q", title="Inertia", format=",.0f")],
)
marker = alt.Color(
    "what:N",
    title=None,
    scale=alt.Scale(domain=["chosen k", "elbow"], range=["#e15759", "#59a14f"]),
)
rules = alt.Chart(marks[marks["what"] == "chosen k"]).mark_rule(size=5, opacity=0.6).encode(
    x="k:Q", color=marker
) + alt.Chart(marks[marks["what"] == "elbow"]).mark_rule(strokeDash=[5, 4], size=2).encode(
    x="k:Q", color=marker
)
charts = [
    (inertia.mark_line(point=True) + rules).properties(
        title="Elbow: within-cluster sum of squares", height=260
    )
]
for measure, (title, better, fmt) in MEASURES.items():
    line = (
        alt.Chart(sweep.dropna(subset=[measure]))
        .mark_line(point=True)
        .encode(
            x=alt.X("k:Q", title="Number of clusters (k)", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(f"{measure}:Q", title=title, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("k:Q"), alt.Tooltip(f"{measure}:Q", title=title, format=fmt)],
        )
    )
    charts.append((line + rules).properties(title=f"{title} ({better})", height=260))
for row in (charts[:2], charts[2:]):
    for column, chart in zip(st.columns(2), row, strict=True):
        column.altair_chart(chart, width="stretch")

st.subheader("Silhouette of every customer")
silhouette = pd.DataFrame(
    {
        "cluster": segmentation.customers["cluster"],
        "silhouette": segmentation.silhouette_values,
    }
).dropna()
silhouette = silhouette.sort_values(["cluster", "silhouette"], ascending=[True, False])
silhouette["position"] = range(len(silhouette))
silhouette["segment"] = silhouette["cluster"].map(names)
silhouette = silhouette.iloc[ui.sample_index(len(silhouette), 3_000)]
chart = (
    alt.Chart(silhouette)
    .mark_bar()
    .encode(
        x=alt.X("silhouette:Q", title="Silhouette (−1 to 1; higher: better placed)"),
        y=alt.Y("position:O", title="Customers, sorted within each segment", axis=None),
        color=alt.Color("segment:N", title="Segment", scale=colours),
        tooltip=[
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("silhouette:Q", format=".2f"),
        ],
    )
    .properties(height=360)
)
mean_rule = (
    alt.Chart(pd.DataFrame({"mean": [segmentation.silhouette]}))
    .mark_rule(color="#e15759", strokeDash=[5, 4], size=2)
    .encode(x="mean:Q")
)
st.altair_chart(chart + mean_rule, width="stretch")
st.caption(f"The dashed line is the mean silhouette, {segmentation.silhouette:.2f}.")

st.subheader("Hierarchy")
matrix = segmentation.prepared.fit_matrix
linkage = st.session_state["cluster_linkage"]
with st.spinner("Building the tree…"):
    tree, cut, rows = ui.dendrogram(matrix, linkage, k)
    cophenetic = ui.cophenetic(matrix)
    agreement = ui.kmeans_tree_agreement(matrix, k, linkage)
paths = pd.DataFrame(
    [
        {"merge": i, "order": j, "x": x, "height": y}
        for i, (xs, ys) in enumerate(zip(tree.icoord, tree.dcoord, strict=True))
        for j, (x, y) in enumerate(zip(xs, ys, strict=True))
    ]
)
leaves = pd.DataFrame(
    {
        "x": [5 + 10 * i for i in range(len(tree.leaf_counts))],
        "customers": tree.leaf_counts,
    }
)
lines = (
    alt.Chart(paths)
    .mark_line(color="#4e79a7")
    .encode(
        x=alt.X("x:Q", title=f"Groups of customers (the last 30 merges of {rows:,})", axis=None),
        y=alt.Y("height:Q", title="Merge distance"),
        detail="merge:N",
        order="order:Q",
    )
)
cut_line = (
    alt.Chart(pd.DataFrame({"height": [cut]}))
    .mark_rule(color="#e15759", strokeDash=[6, 4], size=2)
    .encode(y="height:Q")
)
leaf_text = (
    alt.Chart(leaves)
    .mark_text(dy=10, fontSize=9)
    .encode(x="x:Q", y=alt.datum(0), text="customers:Q")
)
left, right = st.columns([3, 2])
left.altair_chart(
    (lines + cut_line + leaf_text).properties(
        title=f"Dendrogram ({linkage} linkage), cut into {k} clusters", height=320
    ),
    width="stretch",
)
left.caption("Numbers under the leaves: customers in each group. The dashed line is the cut.")
right.markdown("**Cophenetic correlation** (how well each tree keeps the distances; 1 is perfect)")
right.dataframe(
    pd.DataFrame(
        {"Linkage": list(cophenetic), "Cophenetic correlation": list(cophenetic.values())}
    ),
    hide_index=True,
    column_config={"Cophenetic correlation": st.column_config.NumberColumn(format="%.3f")},
)
right.metric(
    f"k-means vs {linkage} tree agreement (adjusted Rand index)",
    f"{agreement:.2f}",
    help="1: the same clusters; 0: no more alike than chance. On a sample of customers.",
)

st.subheader("Stability")
with st.spinner("Refitting on bootstrap resamples…"):
    stable = ui.stability(segmentation.prepared, matrix, k, segmentation.method, linkage)
st.metric(
    "Mean agreement with the full fit over 5 bootstrap resamples (adjusted Rand index)",
    f"{stable.mean_ari:.2f}",
)
resamples = pd.DataFrame(
    {"resample": range(1, len(stable.resample_ari) + 1), "ari": stable.resample_ari}
)
st.altair_chart(
    alt.Chart(resamples)
    .mark_bar()
    .encode(
        x=alt.X("resample:O", title="Bootstrap resample", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("ari:Q", title="Adjusted Rand index", scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("ari:Q", title="ARI", format=".3f")],
    )
    .properties(height=200),
    width="stretch",
)
st.caption("Above 0.8 the clusters come back almost the same on resampled customers.")
