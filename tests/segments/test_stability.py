"""Agreement between labellings and bootstrap stability of a method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist
from sklearn.datasets import make_blobs

from segmentation.errors import ModelError
from segmentation.segments.preparation import prepare_features
from segmentation.segments.stability import bootstrap_stability, labels_agreement

FEATURES = ("x", "y", "z")


def prepared(points: np.ndarray):
    table = pd.DataFrame(points, columns=list(FEATURES))
    table.insert(0, "customer_id", [f"C{i}" for i in range(len(table))])
    return prepare_features(table, FEATURES, transform="none", outliers="none")


def four_blobs():
    centres = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], dtype=float)
    assert pdist(centres).min() >= 10
    points, _ = make_blobs(n_samples=400, centers=centres, cluster_std=1.0, random_state=0)
    return prepared(points)


def test_agreement_is_one_for_renamed_labels_and_zero_by_hand():
    assert labels_agreement(np.array([0, 0, 1, 1, 2]), np.array([5, 5, 3, 3, 9])) == 1.0
    # Pairs together: a {01, 23}, b {01, 02, 12}; agreement 1 pair, expected 2*3/6 = 1.
    assert labels_agreement(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 1])) == 0.0


def test_agreement_needs_labels_of_the_same_customers():
    with pytest.raises(ModelError, match="cover 3 and 2 customers"):
        labels_agreement(np.array([0, 1, 1]), np.array([0, 1]))


@pytest.mark.parametrize("method", ["kmeans", "agglomerative", "gmm"])
def test_separated_groups_are_stable_and_uniform_noise_is_not(method):
    blobs = bootstrap_stability(four_blobs(), 4, method, n_resamples=5)
    assert blobs.mean_ari == pytest.approx(1.0)
    assert len(blobs.resample_ari) == 5
    noise = prepared(np.random.default_rng(0).uniform(size=(400, 3)))
    assert bootstrap_stability(noise, 6, method, n_resamples=5).mean_ari < 0.95


def test_stability_is_deterministic_for_a_seed():
    noise = prepared(np.random.default_rng(1).uniform(size=(300, 3)))
    first = bootstrap_stability(noise, 5, n_resamples=4, seed=3)
    assert first == bootstrap_stability(noise, 5, n_resamples=4, seed=3)
    assert first.mean_ari == pytest.approx(np.mean(first.resample_ari))
    assert first != bootstrap_stability(noise, 5, n_resamples=4, seed=4)


def test_impossible_requests_are_refused():
    with pytest.raises(ModelError, match="at least 1, not 0"):
        bootstrap_stability(four_blobs(), 4, n_resamples=0)
    with pytest.raises(ModelError, match="500 clusters are too many"):
        bootstrap_stability(four_blobs(), 500)
