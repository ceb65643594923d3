"""How much two segmentations agree, and how stable a method is under resampling.

Stability of a method at k: fit it on all customers once, then on bootstrap resamples
(drawn with replacement, at most :data:`MAX_RESAMPLE_ROWS` customers each) and compare
each resample's labels with the full fit's labels of the same customers by the adjusted
Rand index (ARI: 1 for the same partition, about 0 for chance). Resamples are capped at
2,000 customers so that Ward's tree stays cheap: measured on this 2-core machine (while
other work ran) with the default 10 resamples of the 4,338 Online Retail customers at
k = 4, k-means takes 0.2–0.4 s, Gaussian mixtures 0.5 s and Ward 2.5 s (3.2–4.3 s with
3,000-customer resamples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import adjusted_rand_score

from segmentation.errors import ModelError
from segmentation.segments.clustering import cluster_labels, max_clusters
from segmentation.segments.preparation import PreparedFeatures

DEFAULT_RESAMPLES = 10
MAX_RESAMPLE_ROWS = 2_000


@dataclass(frozen=True)
class Stability:
    """Mean ARI over the resamples and each resample's ARI."""

    method: str
    k: int
    mean_ari: float
    resample_ari: tuple[float, ...]


def labels_agreement(labels_a: np.ndarray, labels_b: np.ndarray) -> float:
    """The adjusted Rand index between two labellings of the same customers."""
    if len(labels_a) != len(labels_b):
        raise ModelError(
            f"The two labellings cover {len(labels_a):,} and {len(labels_b):,} customers; "
            "compare labels of the same customers."
        )
    return float(adjusted_rand_score(labels_a, labels_b))


def bootstrap_stability(
    prepared: PreparedFeatures,
    k: int,
    method: str = "kmeans",
    *,
    linkage: str = "ward",
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Stability:
    """Mean ARI between the full fit and fits on ``n_resamples`` bootstrap resamples."""
    if n_resamples < 1:
        raise ModelError(f"The number of resamples must be at least 1, not {n_resamples}.")
    largest = max_clusters(prepared)
    if k > largest:
        raise ModelError(
            f"{k} clusters are too many for these customers; choose at most {largest}."
        )
    fit = prepared.fit_matrix
    reference = cluster_labels(fit, k, method, linkage=linkage, seed=seed)
    rng = np.random.default_rng(seed)
    size = min(len(fit), MAX_RESAMPLE_ROWS)
    scores = []
    for resample in range(n_resamples):
        rows = rng.integers(0, len(fit), size=size)
        labels = cluster_labels(fit[rows], k, method, linkage=linkage, seed=seed + 1 + resample)
        scores.append(labels_agreement(reference[rows], labels))
    return Stability(method, k, float(np.mean(scores)), tuple(scores))
