"""The cached segmentation of the current customers, the names shown for its segments, and
the cached checks of the Clustering page (tree, cophenetic correlations, stability)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from app.bundle import Bundle
from app.errors import last_that_worked
from app.links import pending_names
from app.settings import CLUSTER_DEFAULTS, LABEL_PREFIX
from segmentation.segments.clustering import cluster_labels
from segmentation.segments.hierarchy import (
    Dendrogram,
    cophenetic_correlations,
    cut_height,
    dendrogram_data,
    fit_tree,
)
from segmentation.segments.preparation import DEFAULT_FEATURES, PreparedFeatures, sample_rows
from segmentation.segments.profiles import CLUSTER, SEGMENT
from segmentation.segments.segment import Segmentation, segment_customers
from segmentation.segments.stability import Stability, bootstrap_stability, labels_agreement

#: Session-state key of the last clustering options that worked.
LAST_GOOD_SEGMENTATION = "last_good_segmentation"
#: Customers the linkages are compared on (a seeded sample above it).
COPHENETIC_ROWS = 5_000


def clustering_params() -> dict[str, object]:
    """Options of :func:`segment_customers` from the Clustering page (defaults until set)."""
    value = {key: st.session_state.get(key, default) for key, default in CLUSTER_DEFAULTS.items()}
    return {
        "features": tuple(value["cluster_features"]) or DEFAULT_FEATURES,
        "transform": value["cluster_transform"],
        "scaler": value["cluster_scaler"],
        "method": value["cluster_method"],
        "linkage": value["cluster_linkage"],
        "k": "auto" if value["cluster_auto_k"] else int(value["cluster_k"]),
    }


@st.cache_data(max_entries=8, show_spinner=False)
def segment(customers: pd.DataFrame, **params: object) -> Segmentation:
    """:func:`segment_customers`, cached by the customer table and the options."""
    return segment_customers(customers, **params)


def customers_key(bundle: Bundle) -> tuple[object, ...]:
    """A cheap fingerprint of the customer table of ``bundle``."""
    customers = bundle.customers
    return (
        bundle.source,
        len(customers),
        float(customers["monetary"].sum()),
        int(customers["frequency"].sum()),
        str(bundle.snapshot),
    )


def current_segmentation(bundle: Bundle) -> Segmentation | None:
    """The segmentation of the current customers with the chosen options, or ``None``.

    A failure is shown as one ``st.error`` sentence; the session keeps its last good state:
    the segments of the last options that worked on these customers, if any, else ``None``.
    """
    params = clustering_params()
    with st.spinner("Clustering the customers (a few seconds the first time)…"):
        result = last_that_worked(
            lambda chosen: segment(bundle.customers, **chosen),
            params,
            customers_key(bundle),
            LAST_GOOD_SEGMENTATION,
            "The clustering",
            "The segments of the last options that worked are shown.",
        )
    if result is not None:
        st.session_state["segments_ready"] = True
    return result


def segment_names(segmentation: Segmentation) -> dict[int, str]:
    """Display name of every cluster: the package's label unless the user renamed it.

    Names typed on the Profiles page are kept in session state (``label_<cluster>``) and
    forgotten when the clusters change; a name already taken gets the cluster number added.
    """
    table = segmentation.profiles.table
    signature = tuple(zip(table[CLUSTER].tolist(), table[SEGMENT].tolist(), strict=True))
    if st.session_state.get("labels_signature") != signature:
        for key in [k for k in st.session_state if str(k).startswith(LABEL_PREFIX)]:
            del st.session_state[key]
        st.session_state["labels_signature"] = signature
        for cluster, name in pending_names().items():  # names a shared link gave
            if cluster < len(signature):
                st.session_state[f"{LABEL_PREFIX}{cluster}"] = name
    names: dict[int, str] = {}
    for cluster, label in signature:
        name = str(st.session_state.get(f"{LABEL_PREFIX}{cluster}", "")).strip() or label
        names[int(cluster)] = f"{name} ({cluster})" if name in names.values() else name
    return names


def named_customers(segmentation: Segmentation, names: dict[int, str]) -> pd.DataFrame:
    """The segmented customer table with the display names (``names``, from
    :func:`segment_names`) in ``segment``."""
    customers = segmentation.customers
    return customers.assign(**{SEGMENT: customers[CLUSTER].map(names)})


@dataclass(frozen=True)
class TreeView:
    """What the Clustering page shows of a hierarchy: the last merges of the tree, where it
    is cut for k, how it was built, how well it keeps the distances, and how much its cut
    agrees with k-means on the same customers."""

    dendrogram: Dendrogram
    cut: float
    built: str
    cophenetic: float
    kmeans_agreement: float


@st.cache_data(max_entries=8, show_spinner=False)
def tree_view(matrix: np.ndarray, linkage: str, k: int) -> TreeView:
    """The tree an agglomerative clustering of ``matrix`` with ``linkage`` is cut from."""
    tree = fit_tree(matrix, linkage)
    return TreeView(
        dendrogram=dendrogram_data(tree, last_merges=30),
        cut=cut_height(tree.linkage, k),
        built=tree.description(),
        cophenetic=tree.cophenetic_correlation(),
        kmeans_agreement=labels_agreement(
            cluster_labels(matrix, k, "kmeans"), tree.labels([k])[:, 0]
        ),
    )


@st.cache_data(max_entries=8, show_spinner=False)
def cophenetic(matrix: np.ndarray) -> dict[str, float]:
    """Cophenetic correlation of each linkage, on at most :data:`COPHENETIC_ROWS` customers."""
    return cophenetic_correlations(matrix, max_rows=COPHENETIC_ROWS)


@st.cache_data(max_entries=8, show_spinner=False)
def stability(
    _prepared: PreparedFeatures, matrix: np.ndarray, k: int, method: str, linkage: str
) -> Stability:
    """Bootstrap stability of the method at ``k`` (cached by ``matrix``, the prepared one)."""
    return bootstrap_stability(_prepared, k, method, linkage=linkage, n_resamples=5)


def sample_index(length: int, limit: int = 5_000) -> np.ndarray:
    """Seeded positions of at most ``limit`` of ``length`` rows, for light charts."""
    return sample_rows(length, limit, 0)
