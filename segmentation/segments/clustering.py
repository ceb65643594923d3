"""Clustering of prepared customers: k-means, agglomerative and Gaussian mixtures, and choosing k.

Every method comes from scikit-learn or scipy. Measured on this 2-core machine, the
large-data switches are:

* silhouette: exact up to :data:`SILHOUETTE_SAMPLE_SIZE` customers (distance matrix of
  5,000 customers: 0.2 s, 200 MB, then 0.08 s per k); above, on a seeded random sample
  of that many customers, the same sample for every k.
* k-means: :class:`~sklearn.cluster.KMeans` with k-means++ and 10 initialisations up to
  20,000 customers, 3 above (the sweep of k = 2…10 on 100,000 customers takes 1.4 s with
  3 and 5.5 s with 10, for inertia within 0.2 %).
  :class:`~sklearn.cluster.MiniBatchKMeans` only above :data:`MINIBATCH_THRESHOLD`:
  with 3 features it was no faster than KMeans up to 1,000,000 customers (k = 4, 6, 8:
  4.3 s against 3.7–18 s for batch sizes 4,096–16,384) and up to 4 % worse in inertia.
* agglomerative: the tree of :func:`~segmentation.segments.hierarchy.fit_tree`, of every
  customer up to 10,000 (2.2 s, 1 GB), above of 300 k-means micro-clusters weighted by
  their size, every customer taking its micro-cluster's label (1,000,000 customers: 6 s).
* Gaussian mixture: fitted on a seeded sample of :data:`GMM_MAX_FIT_ROWS` customers above
  that size (the sweep of k = 2…10 takes 3.6 s on 20,000, 7.3 s on 50,000 and 14 s on
  100,000 customers), then every customer gets its most probable component.

All times with one thread (see ``_one_thread``).
"""

from __future__ import annotations

import warnings
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from kneed import KneeLocator
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
)
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from segmentation.choices import METHODS
from segmentation.errors import ModelError
from segmentation.segments.hierarchy import check_linkage_method, fit_tree
from segmentation.segments.preparation import PreparedFeatures, sample_rows

SILHOUETTE_SAMPLE_SIZE = 5_000
KMEANS_FULL_INIT_ROWS = 20_000
MINIBATCH_THRESHOLD = 2_000_000
GMM_MAX_FIT_ROWS = 50_000
#: A recommended k must leave every cluster at least this share of the customers.
MIN_CLUSTER_SHARE = 0.01

#: Fitting runs on one thread. On this 2-core machine, shared with the app and other work,
#: OpenMP and OpenBLAS threads wait for each other and for busy cores (scikit-learn issue
#: 17334): ten k-means fits of 3,000 customers took 0.5–5 s each with the default two
#: threads and 0.02 s with one. With a handful of features threads gain little anyway.
_one_thread = threadpool_limits.wrap(limits=1)

#: The k-means fits and sample silhouettes of the latest sweep of each prepared feature
#: set (freed with it): fitting a k the sweep fitted, with the same settings, is the same
#: seeded model, so :func:`fit_clusters` takes it from there.
_SWEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: Sweep measures that vote on k, with the direction that is better.
_CRITERIA: tuple[tuple[str, str, str], ...] = (
    ("silhouette", "silhouette", "max"),
    ("calinski_harabasz", "Calinski–Harabasz", "max"),
    ("davies_bouldin", "Davies–Bouldin", "min"),
    ("bic", "BIC", "min"),
)


@dataclass(frozen=True, eq=False)
class Clustering:
    """Cluster labels of every customer (prepared order) and how well they separate.

    ``silhouette_values`` is NaN for customers outside the silhouette sample;
    ``silhouette`` is their mean. ``notes`` says which large-data shortcuts were taken.
    """

    method: str
    k: int
    labels: np.ndarray
    silhouette: float
    silhouette_values: np.ndarray
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Settings:
    method: str
    linkage: str
    seed: int
    minibatch_threshold: int


@dataclass(frozen=True)
class _Fits:
    labels: dict[int, np.ndarray]
    bic: dict[int, float]
    notes: tuple[str, ...]


def max_clusters(prepared: PreparedFeatures) -> int:
    """The largest k the customers allow: as many as distinct fitted customers, and fewer
    than the fitted customers (the silhouette needs a cluster with two customers)."""
    fit = prepared.fit_matrix
    return min(len(pd.DataFrame(fit).drop_duplicates()), len(fit) - 1)


@_one_thread
def sweep_k(
    prepared: PreparedFeatures,
    method: str = "kmeans",
    k_values: Iterable[int] = range(2, 11),
    *,
    linkage: str = "ward",
    seed: int = 0,
    silhouette_sample_size: int = SILHOUETTE_SAMPLE_SIZE,
    minibatch_threshold: int = MINIBATCH_THRESHOLD,
) -> pd.DataFrame:
    """Fit every k and measure it: one row per k with inertia (within-cluster sum of squares),
    silhouette, calinski_harabasz, davies_bouldin, the customers in the smallest cluster
    (``smallest_cluster``, ``smallest_share``) and, for ``gmm``, bic.

    Values of k above what the customers allow are left out. A k whose fit leaves a
    cluster empty gets NaN measures.
    """
    settings = _settings(method, linkage, seed, minibatch_threshold)
    largest = max_clusters(prepared)
    wanted = sorted({_check_k(k) for k in k_values})
    feasible = [k for k in wanted if k <= largest]
    if not feasible:
        raise ModelError(_too_few_message(prepared, min(wanted), largest))
    fits = _fit_all(prepared, feasible, settings)
    sample = sample_rows(prepared.n_customers, silhouette_sample_size, seed)
    complete = [k for k in feasible if np.unique(fits.labels[k]).size == k]
    distances = pairwise_distances(prepared.matrix[sample])
    labelings = [fits.labels[k][sample] for k in complete]
    silhouettes = dict(zip(complete, _silhouettes_of_sample(distances, labelings), strict=True))
    del distances
    if method == "kmeans":  # its notes hold for every k
        _SWEPT[prepared] = (settings, silhouette_sample_size, fits, silhouettes)

    def measures(k: int) -> dict[str, float]:
        labels = fits.labels[k]
        row = {"k": k}
        if k in silhouettes:
            values = silhouettes[k]
            sizes = np.bincount(labels, minlength=k)
            row |= {
                "inertia": _within_cluster_sum_of_squares(prepared.matrix, labels, k),
                "silhouette": float(np.mean(values)),
                "calinski_harabasz": float(calinski_harabasz_score(prepared.matrix, labels)),
                "davies_bouldin": float(davies_bouldin_score(prepared.matrix, labels)),
                "smallest_cluster": int(sizes.min()),
                "smallest_share": float(sizes.min() / len(labels)),
            }
        if method == "gmm":
            row["bic"] = fits.bic[k]
        return row

    rows = [measures(k) for k in feasible]
    columns = [
        "k",
        "inertia",
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "smallest_cluster",
        "smallest_share",
    ]
    return pd.DataFrame(rows, columns=[*columns, *(["bic"] if method == "gmm" else [])])


@_one_thread
def fit_clusters(
    prepared: PreparedFeatures,
    k: int,
    method: str = "kmeans",
    *,
    linkage: str = "ward",
    seed: int = 0,
    silhouette_sample_size: int = SILHOUETTE_SAMPLE_SIZE,
    minibatch_threshold: int = MINIBATCH_THRESHOLD,
) -> Clustering:
    """Cluster the customers into ``k`` groups and measure each customer's silhouette."""
    settings = _settings(method, linkage, seed, minibatch_threshold)
    k = _check_k(k)
    largest = max_clusters(prepared)
    if k > largest:
        raise ModelError(_too_few_message(prepared, k, largest))
    swept = _SWEPT.get(prepared)
    if swept and swept[:2] == (settings, silhouette_sample_size) and k in swept[3]:
        fits, sampled = swept[2], swept[3][k]  # the sweep fitted this very model
    else:
        fits, sampled = _fit_all(prepared, [k], settings), None
    labels = fits.labels[k]
    if np.unique(labels).size < k:
        raise ModelError(
            f"The {method} fit left {k - np.unique(labels).size} of {k} clusters empty; "
            "choose a smaller k or another method."
        )
    sample = sample_rows(prepared.n_customers, silhouette_sample_size, seed)
    values = np.full(prepared.n_customers, np.nan)
    if sampled is None:
        distances = pairwise_distances(prepared.matrix[sample])
        sampled = _silhouettes_of_sample(distances, [labels[sample]])[0]
    values[sample] = sampled
    notes = list(fits.notes)
    if len(sample) < prepared.n_customers:
        notes.append(
            f"Silhouette measured on a random sample of {len(sample):,} of "
            f"{prepared.n_customers:,} customers."
        )
    return Clustering(
        method=method,
        k=k,
        labels=labels,
        silhouette=float(np.nanmean(values)),
        silhouette_values=values,
        notes=tuple(notes),
    )


@_one_thread
def cluster_labels(
    matrix: np.ndarray, k: int, method: str = "kmeans", *, linkage: str = "ward", seed: int = 0
) -> np.ndarray:
    """Labels of the rows of a plain matrix, fitted on all of them (used for resampling)."""
    settings = _settings(method, linkage, seed, MINIBATCH_THRESHOLD)
    return _fit_matrix(matrix, matrix, [_check_k(k)], settings).labels[k]


def elbow_k(sweep: pd.DataFrame) -> int | None:
    """The elbow of inertia against k found by :class:`kneed.KneeLocator`, if there is one."""
    rows = sweep.dropna(subset=["inertia"])
    if len(rows) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        knee = KneeLocator(
            rows["k"].tolist(),
            rows["inertia"].tolist(),
            curve="convex",
            direction="decreasing",
        ).knee
    return None if knee is None else int(knee)


def recommend_k(sweep: pd.DataFrame, k_min: int = 3, k_max: int = 10) -> tuple[int, str]:
    """The recommended number of clusters between ``k_min`` and ``k_max``, and why in words.

    Rule: only k whose smallest cluster holds at least 2 customers and
    :data:`MIN_CLUSTER_SHARE` of them are considered (all measured k if none does):
    on small tables Calinski–Harabasz and Davies–Bouldin keep improving as clusters
    shrink to single customers. Each measure (silhouette and Calinski–Harabasz: highest;
    Davies–Bouldin and, for Gaussian mixtures, BIC: lowest) names its best k. A k named by
    more than half of the measures wins. Otherwise the measures' ranks are summed and the
    lowest sum wins; on a tie, the k nearest the elbow of inertia, then the smaller k.
    """
    criteria = [c for c in _CRITERIA if c[0] in sweep.columns]
    measured = sweep[(sweep["k"] >= k_min) & (sweep["k"] <= k_max)].dropna(
        subset=[c[0] for c in criteria]
    )
    if measured.empty:
        raise ModelError(
            f"No number of clusters between {k_min} and {k_max} could be measured; "
            "widen the range of k or add customers."
        )
    large_enough = (measured["smallest_cluster"] >= 2) & (
        measured["smallest_share"] >= MIN_CLUSTER_SHARE
    )
    rows = (measured[large_enough] if large_enough.any() else measured).set_index("k")
    rows = rows.sort_index()
    ranks = pd.DataFrame(
        {
            name: rows[name].rank(method="min", ascending=better == "min")
            for name, _, better in criteria
        }
    )
    best = {name: int(ranks.index[ranks[name] == 1].min()) for name, _, _ in criteria}
    elbow = elbow_k(sweep)
    top_k, votes = Counter(best.values()).most_common(1)[0]
    if votes * 2 > len(criteria):
        chosen = top_k
        decision = f"{votes} of {len(criteria)} measures are best at k = {chosen}."
    else:
        total = ranks.sum(axis=1)
        tied = total.index[total == total.min()].tolist()
        chosen = min(tied, key=lambda k: (0 if elbow is None else abs(k - elbow), k))
        decision = (
            f"The measures disagree, so k = {chosen} was taken: its ranks across them "
            f"add up to the least ({total[chosen]:g})"
        )
        if len(tied) > 1:
            decision += _tie_break_phrase(tied, chosen, elbow)
        decision += "."
    span = _k_span(rows.index.tolist())
    phrases = [
        _criterion_phrase(label, rows[name], ranks[name], chosen, best[name], better, span)
        for name, label, better in criteria
    ]
    elbow_phrase = (
        "inertia shows no clear elbow"
        if elbow is None
        else f"the elbow of inertia is at k = {elbow}"
    )
    reason = f"{chosen} clusters: {'; '.join(phrases)}; {elbow_phrase}. {decision}"
    small = measured.loc[~large_enough, "k"].tolist()
    tiny_cluster = f"a cluster of a single customer or under {MIN_CLUSTER_SHARE:.0%} of them"
    if not large_enough.any():
        reason += f" Every k leaves {tiny_cluster}, so all were compared."
    elif small:
        many = len(small) > 1
        reason += (
            f" k = {_k_span(small)} {'were' if many else 'was'} left out: "
            f"{'they leave' if many else 'it leaves'} {tiny_cluster}."
        )
    return chosen, reason


def _k_span(ks: list[int]) -> str:
    """'3–10' for consecutive k, else '3, 5, 6'."""
    if len(ks) > 2 and ks == list(range(ks[0], ks[-1] + 1)):
        return f"{ks[0]}–{ks[-1]}"
    return ", ".join(str(k) for k in ks)


def _tie_break_phrase(tied: list[int], chosen: int, elbow: int | None) -> str:
    rest = [k for k in tied if k != chosen]
    if elbow is None:
        how = "the smaller"
    elif all(abs(k - elbow) > abs(chosen - elbow) for k in rest):
        how = "nearer the elbow"
    else:
        how = "the smaller of those nearest the elbow"
    return f"; it ties with {', '.join(str(k) for k in rest)} and is {how}"


def _criterion_phrase(
    label: str,
    values: pd.Series,
    ranks: pd.Series,
    chosen: int,
    best_k: int,
    better: str,
    span: str,
) -> str:
    value = _format_measure(values[chosen])
    if ranks[chosen] == 1:
        extreme = "highest" if better == "max" else "lowest"
        return f"{label} {value} is the {extreme} of {span}"
    return (
        f"{label} {value} ranks {_ordinal(int(ranks[chosen]))} "
        f"(best {_format_measure(values[best_k])} at k = {best_k})"
    )


def _format_measure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _settings(method: str, linkage: str, seed: int, minibatch_threshold: int) -> _Settings:
    if method not in METHODS:
        raise ModelError(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}.")
    check_linkage_method(linkage)
    return _Settings(method, linkage, int(seed), int(minibatch_threshold))


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ModelError(f"The number of clusters must be a whole number of at least 2, not {k!r}.")
    return int(k)


def _too_few_message(prepared: PreparedFeatures, k: int, largest: int) -> str:
    features = ", ".join(prepared.feature_names)
    if largest < 2:
        n = prepared.n_customers
        return (
            f"{'A single customer' if n == 1 else f'The {n:,} customers'} cannot be split into "
            f"clusters: it takes at least 3 customers with at least 2 different values of "
            f"{features}."
        )
    return (
        f"{k} clusters are too many for {prepared.n_customers:,} customers: their values of "
        f"{features} allow at most {largest}; choose a smaller k."
    )


def _fit_all(prepared: PreparedFeatures, k_values: Sequence[int], settings: _Settings) -> _Fits:
    fits = _fit_matrix(prepared.fit_matrix, prepared.matrix, k_values, settings)
    held_out = int(prepared.held_out.sum())
    if not held_out:
        return fits
    note = (
        f"{held_out:,} extreme customers (above the {prepared.options.outlier_percentile:g}th "
        "percentile of a feature) were held out of fitting and assigned to the nearest cluster."
    )
    return _Fits(fits.labels, fits.bic, (*fits.notes, note))


def _fit_matrix(
    fit: np.ndarray, full: np.ndarray, k_values: Sequence[int], settings: _Settings
) -> _Fits:
    """Fit every k on ``fit`` and label every row of ``full`` (held-out rows included)."""
    if settings.method == "kmeans":
        return _kmeans_fits(fit, full, k_values, settings)
    if settings.method == "gmm":
        return _gmm_fits(fit, full, k_values, settings)
    return _agglomerative_fits(fit, full, k_values, settings)


def _kmeans_fits(
    fit: np.ndarray, full: np.ndarray, k_values: Sequence[int], settings: _Settings
) -> _Fits:
    minibatch = len(fit) > settings.minibatch_threshold
    n_init = 10 if len(fit) <= KMEANS_FULL_INIT_ROWS else 3

    def labels(k: int) -> np.ndarray:
        model = (
            MiniBatchKMeans(k, n_init=3, batch_size=16_384, random_state=settings.seed)
            if minibatch
            else KMeans(k, n_init=n_init, random_state=settings.seed)
        )
        return model.fit(fit).predict(full)

    notes = (f"k-means fitted with MiniBatchKMeans ({len(fit):,} customers).",) if minibatch else ()
    return _Fits({k: labels(k) for k in k_values}, {}, notes)


def _gmm_fits(
    fit: np.ndarray, full: np.ndarray, k_values: Sequence[int], settings: _Settings
) -> _Fits:
    notes = []
    sample = fit[sample_rows(len(fit), GMM_MAX_FIT_ROWS, settings.seed)]
    if len(sample) < len(fit):
        notes.append(
            f"Gaussian mixtures fitted on a random sample of {len(sample):,} of "
            f"{len(fit):,} customers."
        )
    labels, bic = {}, {}
    for k in k_values:
        model = GaussianMixture(k, covariance_type="full", random_state=settings.seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(sample)
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            notes.append(f"The Gaussian mixture with {k} components did not converge.")
        labels[k] = _compact(model.predict(full))
        bic[k] = float(model.bic(sample))
    return _Fits(labels, bic, tuple(notes))


def _agglomerative_fits(
    fit: np.ndarray, full: np.ndarray, k_values: Sequence[int], settings: _Settings
) -> _Fits:
    tree = fit_tree(fit, settings.linkage, settings.seed)
    fit_labels = tree.labels(k_values)
    notes = (f"{tree.description()}.",) if tree.micro_clusters else ()
    labels = {}
    for column, k in enumerate(k_values):
        labels[k] = (
            fit_labels[:, column]
            if len(fit) == len(full)
            else _nearest_cluster(full, fit, fit_labels[:, column], k)
        )
    return _Fits(labels, {}, notes)


def _nearest_cluster(
    full: np.ndarray, fit: np.ndarray, fit_labels: np.ndarray, k: int
) -> np.ndarray:
    """Label every row of ``full`` by the nearest centroid of the fitted clusters."""
    centroids = _cluster_means(fit, fit_labels, k)
    return pairwise_distances(full, centroids).argmin(axis=1)


def _cluster_means(matrix: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    counts = np.bincount(labels, minlength=k)
    sums = np.column_stack(
        [np.bincount(labels, weights=matrix[:, j], minlength=k) for j in range(matrix.shape[1])]
    )
    return sums / counts[:, None]


def _within_cluster_sum_of_squares(matrix: np.ndarray, labels: np.ndarray, k: int) -> float:
    return float(((matrix - _cluster_means(matrix, labels, k)[labels]) ** 2).sum())


def _silhouettes_of_sample(
    distances: np.ndarray, labelings: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """Silhouette of each sampled customer under each labelling; NaN for a labelling with
    fewer than 2 clusters in the sample.

    The same values as sklearn's silhouette_samples on precomputed distances, with every
    customer's distance sums per cluster, of all labellings at once, taken in one matrix
    product: the distance matrix is read once, not once per labelling.
    """
    n = len(distances)
    coded = [np.unique(labels, return_inverse=True)[1] for labels in labelings]
    widths = [int(codes.max()) + 1 if n else 0 for codes in coded]
    offsets = np.concatenate([[0], np.cumsum(widths)])
    members = np.zeros((n, int(offsets[-1])))
    rows = np.arange(n)
    for codes, offset in zip(coded, offsets, strict=False):
        members[rows, offset + codes] = 1.0
    all_sums = distances @ members
    results = []
    for codes, k, offset in zip(coded, widths, offsets, strict=False):
        if not 2 <= k <= n - 1:
            results.append(np.full(n, np.nan))
            continue
        sums = all_sums[:, offset : offset + k]
        sizes = members[:, offset : offset + k].sum(axis=0)
        own_size = sizes[codes]
        within = sums[rows, codes] / np.maximum(own_size - 1, 1)
        between = sums / sizes
        between[rows, codes] = np.inf
        nearest = between.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = (nearest - within) / np.maximum(within, nearest)
        values = np.nan_to_num(values)
        values[own_size == 1] = 0.0
        results.append(values)
    return results


def _compact(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, … without gaps (a mixture can leave components empty)."""
    return np.unique(labels, return_inverse=True)[1].reshape(-1)
