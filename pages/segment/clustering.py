"""Clustering: choose features, transform, scaler, method and k; check how good the clusters are."""

import pandas as pd
import streamlit as st

from app.charts import segment_scale
from app.formats import count
from app.links import link_control
from app.segment_charts import dendrogram_chart, silhouette_chart, stability_chart, sweep_charts
from app.segments import (
    COPHENETIC_ROWS,
    cophenetic,
    current_segmentation,
    segment_names,
    stability,
    tree_view,
)
from app.session import current_bundle
from app.settings import CLUSTER_DEFAULTS, METHOD_LABELS
from segmentation.choices import K_RANGE, LINKAGE_METHODS, METHODS, SCALERS, TRANSFORMS
from segmentation.schema import CUSTOMER_FEATURES
from segmentation.segments.clustering import elbow_k

st.title("Clustering")
link_control()
bundle = current_bundle()
features = [c for c in CUSTOMER_FEATURES if c in bundle.customers.columns]
for key, default in CLUSTER_DEFAULTS.items():
    st.session_state.setdefault(key, default)

with st.form("cluster_form", border=True):
    st.multiselect("Features", features, key="cluster_features")
    left, middle, right = st.columns(3)
    left.selectbox("Transform", TRANSFORMS, key="cluster_transform")
    middle.selectbox("Scaler", SCALERS, key="cluster_scaler")
    middle.selectbox("Method", METHODS, format_func=METHOD_LABELS.get, key="cluster_method")
    middle.selectbox("Linkage (agglomerative)", LINKAGE_METHODS, key="cluster_linkage")
    right.toggle("Choose k automatically", key="cluster_auto_k")
    right.slider("k when chosen by hand", *K_RANGE, key="cluster_k")
    st.form_submit_button("Run clustering", type="primary", key="run_clustering")

if not st.session_state["cluster_features"]:
    st.warning("No feature is chosen, so recency, frequency and monetary value are used.")
segmentation = current_segmentation(bundle)
if segmentation is None:
    st.stop()
names = segment_names(segmentation)
colours = segment_scale(list(names.values()))
k = segmentation.k

columns = st.columns(4)
columns[0].metric("Clusters", k)
columns[1].metric("Silhouette", f"{segmentation.silhouette:.2f}")
columns[2].metric("Method", METHOD_LABELS[segmentation.method])
columns[3].metric("Customers", count(len(segmentation.customers)))
st.info(f"**Recommended k.** {segmentation.k_reason}", icon=":material/recommend:")
for note in segmentation.notes:
    st.caption(note)

st.subheader("How many clusters?")
charts = sweep_charts(segmentation.sweep, k, elbow_k(segmentation.sweep))
for row in (charts[:2], charts[2:]):
    for column, chart in zip(st.columns(2), row, strict=True):
        column.altair_chart(chart, width="stretch")

st.subheader("Silhouette of every customer")
st.altair_chart(
    silhouette_chart(
        segmentation.customers["cluster"],
        segmentation.silhouette_values,
        segmentation.silhouette,
        names,
        colours,
    ),
    width="stretch",
)
st.caption(f"The dashed line is the mean silhouette, {segmentation.silhouette:.2f}.")

st.subheader("Hierarchy")
matrix = segmentation.prepared.fit_matrix
linkage = st.session_state["cluster_linkage"]
with st.spinner("Building the tree…"):
    view = tree_view(matrix, linkage, k)
    correlations = cophenetic(matrix)
left, right = st.columns([3, 2])
left.altair_chart(dendrogram_chart(view.dendrogram, view.cut, linkage, k), width="stretch")
if segmentation.method == "agglomerative":
    fitted = "the tree the clusters above were cut from"
else:
    fitted = (
        "the tree an agglomerative clustering would be cut from; the clusters above are "
        f"{METHOD_LABELS[segmentation.method]}"
    )
held_out = int(segmentation.prepared.held_out.sum())
left.caption(
    f"{view.built}: {fitted}. The last 30 merges are drawn; numbers under the leaves are the "
    "customers in each group, the dashed line is the cut."
    + (f" The {held_out:,} customers held out of fitting are not in it." if held_out else "")
)
right.metric(
    "Cophenetic correlation of this tree",
    f"{view.cophenetic:.3f}",
    help="How well the tree keeps the distances between the customers it joins; 1 is perfect.",
)
right.metric(
    f"k-means vs this tree cut into {k} (adjusted Rand index)",
    f"{view.kmeans_agreement:.2f}",
    help="1: the same clusters; 0: no more alike than chance. On every customer of the tree.",
)
right.dataframe(
    pd.DataFrame(
        {"Linkage": list(correlations), "Cophenetic correlation": list(correlations.values())}
    ),
    hide_index=True,
    column_config={"Cophenetic correlation": st.column_config.NumberColumn(format="%.3f")},
)
compared = len(matrix) if len(matrix) <= COPHENETIC_ROWS else COPHENETIC_ROWS
right.caption(
    f"Each linkage's own tree of all {compared:,} customers."
    if compared == len(matrix)
    else f"Each linkage's own tree of a random sample of {compared:,} of the "
    f"{len(matrix):,} customers, so these figures differ from the tree drawn here."
)

st.subheader("Stability")
with st.spinner("Refitting on bootstrap resamples…"):
    stable = stability(segmentation.prepared, matrix, k, segmentation.method, linkage)
st.metric(
    "Mean agreement with the full fit over 5 bootstrap resamples (adjusted Rand index)",
    f"{stable.mean_ari:.2f}",
)
st.altair_chart(stability_chart(stable.resample_ari), width="stretch")
st.caption("Above 0.8 the clusters come back almost the same on resampled customers.")
