"""Linkage trees, their cuts, cophenetic correlation and dendrogram data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster import hierarchy as sch
from scipy.spatial.distance import pdist
from sklearn.metrics import adjusted_rand_score

from segmentation.errors import ModelError
from segmentation.segments import hierarchy
from segmentation.segments.clustering import fit_clusters, sweep_k
from segmentation.segments.hierarchy import (
    cophenetic_correlations,
    cut_height,
    dendrogram_data,
    fit_tree,
    linkage_matrix,
    tree_labels,
)

#: Two pairs on a line: single linkage merges at heights 1, 1 and 8.
LINE = np.array([[0.0], [1.0], [9.0], [10.0]])


def test_single_linkage_heights_and_cut_height():
    linkage = linkage_matrix(LINE, "single")
    assert linkage[:, 2].tolist() == [1.0, 1.0, 8.0]
    assert cut_height(linkage, 2) == 4.5  # half-way between 1 and 8
    assert cut_height(linkage, 3) == 1.0  # both pairs merge at 1: no cut gives exactly 3
    labels = tree_labels(linkage, [2])[:, 0]
    assert labels[0] == labels[1] != labels[2] == labels[3]


def test_cut_height_outside_the_tree_is_refused():
    linkage = linkage_matrix(LINE, "ward")
    with pytest.raises(ModelError, match="2 to 3 clusters, not 4"):
        cut_height(linkage, 4)
    with pytest.raises(ModelError, match="cannot be cut into 4 clusters"):
        tree_labels(linkage, [4])


def test_cophenetic_correlation_matches_a_hand_computation():
    # Single linkage: cophenetic distances 1 within pairs, 8 across; true distances 9, 10, 8, 9.
    cophenetic = [1, 8, 8, 8, 8, 1]
    distances = [1, 9, 10, 8, 9, 1]
    expected = np.corrcoef(cophenetic, distances)[0, 1]
    result = cophenetic_correlations(LINE, ("single", "ward"))
    assert result["single"] == pytest.approx(expected)
    assert set(result) == {"single", "ward"}


def test_cophenetic_correlation_samples_large_tables_with_a_seed():
    points = np.random.default_rng(0).normal(size=(600, 3))
    first = cophenetic_correlations(points, max_rows=200, seed=1)
    assert first == cophenetic_correlations(points, max_rows=200, seed=1)
    assert first != cophenetic_correlations(points, max_rows=200, seed=2)
    assert set(first) == {"ward", "complete", "average", "single"}
    assert all(-1 <= value <= 1 for value in first.values())


def test_tree_cuts_give_k_nested_clusters_even_with_duplicate_rows():
    rng = np.random.default_rng(4)
    points = np.repeat(rng.normal(size=(60, 2)).round(1), 3, axis=0)
    for method in hierarchy.LINKAGE_METHODS:
        labels = tree_labels(linkage_matrix(points, method), range(2, 11))
        for column, k in enumerate(range(2, 11)):
            assert np.unique(labels[:, column]).size == k
            if k > 2:  # every cluster at k lies inside one cluster at k - 1
                pairs = set(zip(labels[:, column], labels[:, column - 1], strict=True))
                assert len({a for a, _ in pairs}) == len(pairs)


def test_truncated_dendrogram_keeps_the_last_merges_and_counts_every_customer():
    points = np.random.default_rng(2).normal(size=(50, 3))
    tree = dendrogram_data(fit_tree(points), last_merges=6)
    assert len(tree.leaf_labels) == 6
    assert sum(tree.leaf_counts) == 50
    assert len(tree.icoord) == len(tree.dcoord) == 5
    assert all(len(path) == 4 for path in tree.icoord)
    full = dendrogram_data(fit_tree(LINE, "single"))
    assert sorted(full.leaf_labels) == ["0", "1", "2", "3"]
    assert full.leaf_counts == [1, 1, 1, 1]
    assert max(max(path) for path in full.dcoord) == 8.0


def test_the_tree_of_every_customer_up_to_the_limit():
    points = np.random.default_rng(3).normal(size=(40, 2))
    tree = fit_tree(points, "average")
    assert tree.micro_clusters == 0 and tree.customers == 40
    assert tree.description() == "Average linkage of all 40 customers"
    expected = tree_labels(linkage_matrix(points, "average"), [2, 5])
    assert (tree.labels([2, 5]) == expected).all()
    distances = pdist(points)
    cophenetic = np.corrcoef(distances, sch.cophenet(linkage_matrix(points, "average")))[0, 1]
    assert tree.cophenetic_correlation() == pytest.approx(cophenetic)


def test_above_the_limit_the_tree_joins_micro_clusters_weighted_by_size(monkeypatch):
    rng = np.random.default_rng(4)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    sizes = [300, 60, 30]
    points = np.vstack(
        [rng.normal(c, 0.4, size=(n, 2)) for c, n in zip(centres, sizes, strict=True)]
    )
    monkeypatch.setattr(hierarchy, "MAX_TREE_ROWS", 200)
    monkeypatch.setattr(hierarchy, "MICRO_CLUSTERS", 20)
    monkeypatch.setattr(hierarchy, "MICRO_CLUSTER_ROWS", 100)
    tree = fit_tree(points, "ward")
    assert tree.micro_clusters == 20 and tree.customers == 390
    assert len(tree.rows) <= 200
    assert "20 k-means micro-clusters of the 390 customers" in tree.description()
    labels = tree.labels([3])[:, 0]
    truth = np.repeat([0, 1, 2], sizes)
    assert adjusted_rand_score(truth, labels) == pytest.approx(1.0)
    drawn = dendrogram_data(tree, last_merges=3)
    assert sorted(drawn.leaf_counts) == sorted(sizes)


def test_unknown_linkage_too_few_and_too_many_rows_are_refused(monkeypatch):
    with pytest.raises(ModelError, match="Unknown linkage 'centroid'; choose one of ward"):
        linkage_matrix(LINE, "centroid")
    with pytest.raises(ModelError, match="at least 2 customers"):
        linkage_matrix(LINE[:1])
    monkeypatch.setattr(hierarchy, "MAX_TREE_ROWS", 3)
    with pytest.raises(ModelError, match="4 customers would not fit in memory"):
        linkage_matrix(LINE)


def test_a_tree_is_built_once_for_the_same_rows(monkeypatch):
    """The sweep, the chosen fit, the dendrogram and the stability reference of one page
    run ask for the same tree: it is built once, and again only for other rows, another
    method or, above the limit, another seed."""
    built = []
    build = hierarchy.linkage_matrix

    def counted(matrix, method="ward"):
        built.append(method)
        return build(matrix, method)

    monkeypatch.setattr(hierarchy, "linkage_matrix", counted)
    points = np.random.default_rng(11).normal(size=(60, 2))
    tree = fit_tree(points, "ward")
    assert fit_tree(points.copy(), "ward", seed=5) is tree and built == ["ward"]
    assert fit_tree(points, "complete") is not tree and built == ["ward", "complete"]
    assert fit_tree(points + 1.0, "ward") is not tree and len(built) == 3
    monkeypatch.setattr(hierarchy, "MAX_TREE_ROWS", 50)
    monkeypatch.setattr(hierarchy, "MICRO_CLUSTERS", 10)
    monkeypatch.setattr(hierarchy, "MICRO_CLUSTER_ROWS", 40)
    micro = fit_tree(points, "ward")
    assert micro is not tree and micro.micro_clusters == 10 and len(built) == 4
    assert fit_tree(points, "ward", seed=1) is not micro and len(built) == 5


def test_a_page_run_of_agglomerative_clustering_builds_one_tree(monkeypatch):
    from tests.segments.test_clustering import prepared_blobs

    built = []
    build = hierarchy.linkage_matrix
    monkeypatch.setattr(
        hierarchy,
        "linkage_matrix",
        lambda m, method="ward": built.append(method) or build(m, method),
    )
    prepared, _ = prepared_blobs(4, seed=21)
    sweep_k(prepared, "agglomerative", range(2, 7))
    fit_clusters(prepared, 4, "agglomerative")
    tree = fit_tree(prepared.matrix, "ward")
    assert built == ["ward"] and tree.labels([4]).shape == (len(prepared.matrix), 1)
