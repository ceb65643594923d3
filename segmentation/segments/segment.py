"""One call from a customer table to named segments: the entry point of the CLI and the app."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from segmentation.choices import K_RANGE
from segmentation.errors import ModelError
from segmentation.segments.clustering import (
    SILHOUETTE_SAMPLE_SIZE,
    fit_clusters,
    recommend_k,
    sweep_k,
)
from segmentation.segments.preparation import (
    DEFAULT_FEATURES,
    DEFAULT_OUTLIER_PERCENTILE,
    DEFAULT_OUTLIERS,
    PreparedFeatures,
    prepare_features,
)
from segmentation.segments.profiles import CLUSTER, SEGMENT, Profiles, profile_clusters
from segmentation.segments.rfm import (
    RFM_SEGMENT,
    SCORE_COLUMNS,
    ScoreCuts,
    rfm_scores,
    score_cut_points,
)

#: Columns :func:`segment_customers` adds; input columns of these names are replaced.
ADDED_COLUMNS: tuple[str, ...] = (CLUSTER, SEGMENT, *SCORE_COLUMNS.values(), RFM_SEGMENT)
#: Smallest k the recommendation considers when the range allows it: two segments
#: rarely support different marketing, and the silhouette often favours them.
SMALLEST_RECOMMENDED_K = 3
#: Digits kept in :meth:`Segmentation.summary`: measures, shares, amounts.
_MEASURE_DIGITS, _SHARE_DIGITS, _AMOUNT_DIGITS = 4, 4, 2


@dataclass(frozen=True, eq=False)
class Segmentation:
    """The result of :func:`segment_customers`.

    ``customers`` is the input table plus :data:`ADDED_COLUMNS` (``cluster``, ``segment``,
    ``r_score``, ``f_score``, ``m_score``, ``rfm_segment``); ``silhouette_values`` shares
    its index (NaN outside the silhouette sample on large tables).
    """

    customers: pd.DataFrame
    prepared: PreparedFeatures
    method: str
    k: int
    k_reason: str
    sweep: pd.DataFrame
    silhouette: float
    silhouette_values: pd.Series
    profiles: Profiles
    score_cuts: ScoreCuts
    notes: tuple[str, ...]

    def summary(self) -> dict:
        """A JSON-serialisable digest, floats rounded so equal runs give equal dicts."""
        options = self.prepared.options
        return {
            "customers": len(self.customers),
            "features": list(options.features),
            "transform": options.transform,
            "scaler": options.scaler,
            "outliers": options.outliers,
            "outlier_percentile": options.outlier_percentile,
            "method": self.method,
            "k": self.k,
            "k_reason": self.k_reason,
            "silhouette": plain(self.silhouette, _MEASURE_DIGITS),
            "sweep": [
                {key: plain(value, _MEASURE_DIGITS) for key, value in row.items()}
                for row in self.sweep.to_dict(orient="records")
            ],
            "clusters": [
                _cluster_summary(row, self.profiles)
                for row in self.profiles.table.to_dict(orient="records")
            ],
            "rfm_agreement": plain(self.profiles.rfm_agreement, _MEASURE_DIGITS),
            "notes": list(self.notes),
        }


def segment_customers(
    customers: pd.DataFrame,
    *,
    features: Sequence[str] = DEFAULT_FEATURES,
    transform: str = "log1p",
    scaler: str = "standard",
    outliers: str = DEFAULT_OUTLIERS,
    outlier_percentile: float = DEFAULT_OUTLIER_PERCENTILE,
    method: str = "kmeans",
    linkage: str = "ward",
    k: int | Literal["auto"] = "auto",
    k_range: tuple[int, int] = K_RANGE,
    seed: int = 0,
    silhouette_sample_size: int = SILHOUETTE_SAMPLE_SIZE,
) -> Segmentation:
    """Cluster the customers, choose or take k, and name and profile the segments.

    ``k="auto"`` takes :func:`~segmentation.segments.clustering.recommend_k` over ``k_range``
    (from 3 up when the range allows). The customer table is not modified. Same input and
    options give the same result.
    """
    low, high = _check_k_range(k_range)
    if k != "auto" and (isinstance(k, bool) or not isinstance(k, (int, np.integer))):
        raise ModelError(f"k must be 'auto' or a whole number of clusters, not {k!r}.")
    customers = customers.drop(columns=list(ADDED_COLUMNS), errors="ignore")
    cuts = score_cut_points(customers)
    scores = rfm_scores(customers, cuts)
    prepared = prepare_features(
        customers,
        features,
        transform=transform,
        scaler=scaler,
        outliers=outliers,
        outlier_percentile=outlier_percentile,
    )
    fit_options = {
        "linkage": linkage,
        "seed": seed,
        "silhouette_sample_size": silhouette_sample_size,
    }
    sweep = sweep_k(prepared, method, range(low, high + 1), **fit_options)
    k_min = min(max(SMALLEST_RECOMMENDED_K, low), int(sweep["k"].max()))
    recommended, reason = recommend_k(sweep, k_min=k_min, k_max=high)
    if k != "auto":
        reason = f"{k} clusters, as requested. The measures recommend {reason}"
        recommended = int(k)
    clustering = fit_clusters(prepared, recommended, method, **fit_options)
    profiles = profile_clusters(customers, clustering.labels, cuts)
    names = profiles.table[SEGMENT].to_numpy()  # row i is cluster i
    table = customers.assign(**{CLUSTER: profiles.labels, SEGMENT: names[profiles.labels]})
    return Segmentation(
        customers=pd.concat([table, scores], axis=1),
        prepared=prepared,
        method=method,
        k=recommended,
        k_reason=reason,
        sweep=sweep,
        silhouette=clustering.silhouette,
        silhouette_values=pd.Series(
            clustering.silhouette_values, index=customers.index, name="silhouette"
        ),
        profiles=profiles,
        score_cuts=cuts,
        notes=(*clustering.notes, *cuts.notes()),
    )


def _check_k_range(k_range: tuple[int, int]) -> tuple[int, int]:
    whole = all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in k_range)
    if len(k_range) != 2 or not whole or not 2 <= k_range[0] <= k_range[1]:
        raise ModelError(
            f"The range of k {tuple(k_range)} is not valid; give two whole numbers, the "
            "lowest k at least 2 and the highest no smaller than it."
        )
    return int(k_range[0]), int(k_range[1])


def _cluster_summary(row: dict, profiles: Profiles) -> dict:
    summary = {}
    for key, value in row.items():
        digits = _SHARE_DIGITS if key.endswith("_share") else _AMOUNT_DIGITS
        summary[key] = plain(value, digits)
    if profiles.countries is not None:
        countries = profiles.countries[profiles.countries[CLUSTER] == row[CLUSTER]]
        summary["top_countries"] = [
            {"country": plain(c), "customers": int(n), "share": plain(s, _SHARE_DIGITS)}
            for c, n, s in countries[["country", "customers", "share"]].itertuples(index=False)
        ]
    return summary


def plain(value: object, digits: int = _MEASURE_DIGITS) -> object:
    """A JSON value: ints as int, floats rounded to ``digits``, missing as None, else text."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), digits) if math.isfinite(value) else None
    if value is None or value is pd.NA:
        return None
    return str(value)
