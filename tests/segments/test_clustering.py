"""Clustering methods, the sweep over k and the recommendation of k."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist
from sklearn.datasets import make_blobs
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

from segmentation.errors import ModelError
from segmentation.segments import clustering, hierarchy
from segmentation.segments.clustering import (
    elbow_k,
    fit_clusters,
    max_clusters,
    recommend_k,
    sweep_k,
)
from segmentation.segments.preparation import prepare_features, sample_rows

FEATURES = ("x", "y", "z")


def blobs(centres: int, seed: int = 0, per_blob: int = 120) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers in ``centres`` clearly separated groups: centres at least 8 apart, sd 1."""
    rng = np.random.default_rng(seed)
    while True:
        centre_points = rng.uniform(-10, 10, size=(centres, 3))
        if pdist(centre_points).min() >= 8:
            break
    points, truth = make_blobs(
        n_samples=per_blob * centres, centers=centre_points, cluster_std=1.0, random_state=seed
    )
    table = pd.DataFrame(points, columns=list(FEATURES))
    table.insert(0, "customer_id", [f"C{i}" for i in range(len(table))])
    return table, truth


def prepared_blobs(centres: int, seed: int = 0, **options):
    table, truth = blobs(centres, seed)
    options = {"transform": "none", "outliers": "none", **options}
    return prepare_features(table, FEATURES, **options), truth


@pytest.mark.parametrize("method", ["kmeans", "agglomerative", "gmm"])
@pytest.mark.parametrize("centres", [3, 4, 5, 6])
def test_recommended_k_is_the_number_of_blobs(centres, method):
    prepared, truth = prepared_blobs(centres, seed=centres)
    k, reason = recommend_k(sweep_k(prepared, method))
    assert k == centres, reason
    assert reason.startswith(f"{centres} clusters: silhouette ")
    labels = fit_clusters(prepared, k, method).labels
    assert adjusted_rand_score(truth, labels) == pytest.approx(1.0)


def test_sweep_measures_agree_with_scikit_learn_on_the_final_labels():
    prepared, _ = prepared_blobs(4)
    sweep = sweep_k(prepared, "kmeans", [3, 4, 5])
    assert sweep.columns.tolist() == [
        "k",
        "inertia",
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "smallest_cluster",
        "smallest_share",
    ]
    row = sweep.set_index("k").loc[4]
    result = fit_clusters(prepared, 4)
    x, labels = prepared.matrix, result.labels
    means = np.array([x[labels == c].mean(axis=0) for c in range(4)])
    assert row["inertia"] == pytest.approx(((x - means[labels]) ** 2).sum())
    assert row["silhouette"] == pytest.approx(silhouette_score(x, labels))
    assert result.silhouette == pytest.approx(row["silhouette"])
    assert row["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(x, labels))
    assert row["davies_bouldin"] == pytest.approx(davies_bouldin_score(x, labels))
    assert row["smallest_cluster"] == 120
    assert row["smallest_share"] == pytest.approx(0.25)
    assert "bic" in sweep_k(prepared, "gmm", [3, 4]).columns


def test_sweep_is_deterministic_and_skips_k_beyond_the_customers():
    prepared, _ = prepared_blobs(3)
    pd.testing.assert_frame_equal(sweep_k(prepared, "gmm"), sweep_k(prepared, "gmm"))
    small = prepare_features(blobs(3)[0].iloc[:6], FEATURES, transform="none", outliers="none")
    assert sweep_k(small, "kmeans").k.tolist() == [2, 3, 4, 5]


def test_a_fit_after_a_sweep_is_the_fit_without_one():
    swept, _ = prepared_blobs(4, outliers="holdout")
    sweep_k(swept, silhouette_sample_size=200)
    fresh, _ = prepared_blobs(4, outliers="holdout")  # equal features, never swept
    for k, size in ((4, 200), (3, 200), (4, 300)):  # taken from the sweep, then not
        after = fit_clusters(swept, k, silhouette_sample_size=size)
        alone = fit_clusters(fresh, k, silhouette_sample_size=size)
        np.testing.assert_array_equal(after.labels, alone.labels)
        # the sweep sums all its ks' distances in one product: the last digit may differ
        np.testing.assert_allclose(after.silhouette_values, alone.silhouette_values, rtol=1e-12)
        assert after.silhouette == pytest.approx(alone.silhouette, rel=1e-12)
        assert after.notes == alone.notes


def test_silhouette_above_the_sample_size_uses_a_stated_seeded_sample():
    prepared, _ = prepared_blobs(3)
    result = fit_clusters(prepared, 3, silhouette_sample_size=100, seed=5)
    sample = sample_rows(360, 100, seed=5)
    assert np.isnan(result.silhouette_values).sum() == 260
    assert not np.isnan(result.silhouette_values[sample]).any()
    expected = silhouette_score(prepared.matrix[sample], result.labels[sample])
    assert result.silhouette == pytest.approx(expected)
    assert "random sample of 100 of 360 customers" in " ".join(result.notes)


def test_held_out_customers_join_the_nearest_fitted_cluster():
    table, _ = blobs(3)
    prepared = prepare_features(table, FEATURES, transform="none", outliers="holdout")
    assert prepared.held_out.sum() > 0
    result = fit_clusters(prepared, 3, "agglomerative")
    fitted = result.labels[~prepared.held_out]
    centroids = np.array([prepared.fit_matrix[fitted == c].mean(axis=0) for c in range(3)])
    held = prepared.matrix[prepared.held_out]
    nearest = np.linalg.norm(held[:, None, :] - centroids[None], axis=2).argmin(axis=1)
    assert result.labels[prepared.held_out].tolist() == nearest.tolist()
    assert "held out of fitting" in " ".join(result.notes)


def test_large_data_paths_still_find_the_blobs_and_say_so(monkeypatch):
    prepared, truth = prepared_blobs(3)
    minibatch = fit_clusters(prepared, 3, minibatch_threshold=100)
    assert adjusted_rand_score(truth, minibatch.labels) == pytest.approx(1.0)
    assert "MiniBatchKMeans" in " ".join(minibatch.notes)
    monkeypatch.setattr(hierarchy, "MAX_TREE_ROWS", 200)
    monkeypatch.setattr(hierarchy, "MICRO_CLUSTERS", 40)
    monkeypatch.setattr(hierarchy, "MICRO_CLUSTER_ROWS", 150)
    micro = fit_clusters(prepared, 3, "agglomerative")
    assert adjusted_rand_score(truth, micro.labels) == pytest.approx(1.0)
    assert "40 k-means micro-clusters of the 360 customers" in " ".join(micro.notes)
    monkeypatch.setattr(clustering, "GMM_MAX_FIT_ROWS", 150)
    mixture = fit_clusters(prepared, 3, "gmm")
    assert adjusted_rand_score(truth, mixture.labels) == pytest.approx(1.0)
    assert "random sample of 150 of 360 customers" in " ".join(mixture.notes)


def sweep_table(**columns) -> pd.DataFrame:
    """A hand-made sweep: every cluster large enough unless said otherwise."""
    table = pd.DataFrame(columns)
    table["smallest_cluster"] = columns.get("smallest_cluster", 50)
    table["smallest_share"] = columns.get("smallest_share", 0.1)
    return table


def test_recommendation_takes_the_k_most_measures_pick():
    sweep = sweep_table(
        k=[3, 4, 5],
        inertia=[300.0, 200.0, 180.0],
        silhouette=[0.5, 0.6, 0.4],
        calinski_harabasz=[100.0, 200.0, 150.0],
        davies_bouldin=[0.9, 0.8, 0.7],
    )
    k, reason = recommend_k(sweep)
    assert k == 4
    assert reason == (
        "4 clusters: silhouette 0.600 is the highest of 3–5; Calinski–Harabasz 200 is the "
        "highest of 3–5; Davies–Bouldin 0.800 ranks 2nd (best 0.700 at k = 5); inertia shows "
        "no clear elbow. 2 of 3 measures are best at k = 4."
    )


def test_recommendation_falls_back_to_the_lowest_sum_of_ranks():
    # Ranks: silhouette 1,2,3,4; CH 4,2,1,3; DB 3,1,2,4 -> sums 8, 5, 6, 11.
    sweep = sweep_table(
        k=[3, 4, 5, 6],
        inertia=[400.0, 300.0, 200.0, 100.0],
        silhouette=[0.60, 0.55, 0.50, 0.30],
        calinski_harabasz=[100.0, 150.0, 300.0, 120.0],
        davies_bouldin=[0.9, 0.5, 0.8, 1.0],
    )
    k, reason = recommend_k(sweep)
    assert k == 4
    assert "silhouette 0.550 ranks 2nd (best 0.600 at k = 3)" in reason
    assert reason.endswith(
        "The measures disagree, so k = 4 was taken: its ranks across them add up to the least (5)."
    )


def test_rank_sum_ties_go_to_the_k_nearest_the_elbow():
    # Ranks: silhouette 2,1,3,4; CH 1,3,2,4; DB 3,2,1,4 -> sums 6, 6, 6, 12 at k = 3, 4, 5.
    sweep = sweep_table(
        k=[2, 3, 4, 5, 6, 7],
        inertia=[1000.0, 800.0, 600.0, 200.0, 180.0, 170.0],
        silhouette=[0.9, 0.5, 0.6, 0.4, 0.3, 0.2],
        calinski_harabasz=[999.0, 300.0, 100.0, 200.0, 50.0, 40.0],
        davies_bouldin=[0.1, 0.7, 0.6, 0.5, 0.9, 0.95],
    )
    assert elbow_k(sweep) == 5
    k, reason = recommend_k(sweep, k_min=3, k_max=6)
    assert k == 5
    assert "the elbow of inertia is at k = 5" in reason
    assert "it ties with 3, 4 and is nearer the elbow." in reason


def test_k_leaving_a_single_customer_or_under_one_percent_is_left_out():
    sweep = sweep_table(
        k=[3, 4, 5],
        inertia=[30.0, 20.0, 10.0],
        silhouette=[0.80, 0.70, 0.10],
        calinski_harabasz=[100.0, 150.0, 300.0],
        davies_bouldin=[0.3, 0.35, 0.05],
        smallest_cluster=[30, 1, 20],
        smallest_share=[0.3, 0.01, 0.005],
    )
    k, reason = recommend_k(sweep)
    assert k == 3
    assert reason.endswith(
        "k = 4, 5 were left out: they leave a cluster of a single customer or under 1% of them."
    )


def test_bic_votes_for_gaussian_mixtures_and_unmeasured_k_are_ignored():
    sweep = sweep_table(
        k=[3, 4, 5, 6],
        inertia=[40.0, 30.0, 20.0, np.nan],
        silhouette=[0.5, 0.4, 0.45, np.nan],
        calinski_harabasz=[100.0, 150.0, 120.0, np.nan],
        davies_bouldin=[0.6, 0.5, 0.7, np.nan],
        bic=[900.0, 800.0, 850.0, 10.0],
    )
    k, reason = recommend_k(sweep)
    assert k == 4
    assert "3 of 4 measures are best at k = 4." in reason
    with pytest.raises(ModelError, match="No number of clusters between 7 and 10"):
        recommend_k(sweep, k_min=7)


@pytest.mark.parametrize(
    ("k", "message"),
    [
        (1, r"whole number of at least 2, not 1"),
        (2.5, r"whole number of at least 2, not 2.5"),
        (400, r"400 clusters are too many for 360 customers: .* allow at most 359"),
    ],
)
def test_impossible_k_is_refused(k, message):
    prepared, _ = prepared_blobs(3)
    with pytest.raises(ModelError, match=message):
        fit_clusters(prepared, k)


def test_too_few_distinct_customers_and_unknown_options_are_refused():
    same = pd.DataFrame({"customer_id": list("abcd"), "x": 1.0, "y": 2.0, "z": 3.0})
    prepared = prepare_features(same, FEATURES, transform="none", outliers="none")
    assert max_clusters(prepared) == 1
    with pytest.raises(ModelError, match="4 customers cannot be split into clusters"):
        sweep_k(prepared)
    three = prepare_features(
        same.assign(x=[1.0, 1.0, 2.0, 2.0]), FEATURES, transform="none", outliers="none"
    )
    with pytest.raises(ModelError, match=r"3 clusters are too many .* allow at most 2"):
        fit_clusters(three, 3)
    good, _ = prepared_blobs(3)
    with pytest.raises(ModelError, match="Unknown method 'dbscan'; choose one of kmeans"):
        sweep_k(good, "dbscan")
    with pytest.raises(ModelError, match="Unknown linkage 'median'"):
        fit_clusters(good, 3, "agglomerative", linkage="median")


def test_silhouette_values_equal_scikit_learns():
    from sklearn.metrics import pairwise_distances, silhouette_samples

    from segmentation.segments.clustering import _silhouettes_of_sample

    rng = np.random.default_rng(3)
    points = np.vstack([rng.normal(0, 1, (40, 3)), rng.normal(4, 1, (25, 3)), [[9, 9, 9]]])
    points = np.vstack([points, points[:3]])  # identical customers too
    labels = np.r_[np.zeros(40), np.ones(25), [2], np.zeros(3)].astype(int)
    other = np.arange(len(points)) % 4  # a second labelling, measured in the same product
    distances = pairwise_distances(points)
    first, second, single = _silhouettes_of_sample(
        distances, [labels, other, np.zeros(len(points), dtype=int)]
    )
    expected = silhouette_samples(distances, labels, metric="precomputed")
    np.testing.assert_allclose(first, expected, atol=1e-12)
    expected = silhouette_samples(distances, other, metric="precomputed")
    np.testing.assert_allclose(second, expected, atol=1e-12)
    assert np.isnan(single).all()  # one cluster has no silhouette
