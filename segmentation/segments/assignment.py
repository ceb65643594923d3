"""Segments for customer tables too big for one machine: fit on a sample, assign in the engine.

Choosing k and fitting need the customers in memory (scikit-learn). When the customer
table is too big for that, a seeded random sample of it is brought to pandas and
segmented as usual (:func:`~segmentation.segments.segment.segment_customers`); then every customer
gets the cluster of the nearest centroid, computed in the engine from the sample's
fitted preparation (caps, transform, scaling), so nothing but the sample leaves the
engine. For k-means this is the rule the fitted model itself applies; for the other
methods the centroid is each cluster's mean, which the result says.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from ibis import _

from segmentation.engine import exact_sum, materialise, text_identifiers
from segmentation.errors import ModelError
from segmentation.schema import CUSTOMER_ID, MONETARY
from segmentation.segments.preparation import PreparedFeatures
from segmentation.segments.profiles import CLUSTER, SEGMENT
from segmentation.segments.segment import Segmentation, segment_customers
from segmentation.transactions.features import EngineCustomers

#: Customers brought to memory to choose k and fit; every customer is assigned in the engine.
SAMPLE_SIZE = 50_000
_EPSILON = np.spacing(1.0)  # as scikit-learn's Yeo-Johnson tells a lambda of 0 or 2


@dataclass(frozen=True, eq=False)
class EngineSegmentation:
    """Every customer's cluster and segment, in the engine, and how they were found.

    ``customers`` is the engine's customer table plus ``cluster`` and ``segment``;
    ``sample`` the segmentation of the sample; ``sizes`` one row per cluster with its
    segment, customers, share of customers and share of revenue over all customers.
    """

    customers: ibis.Table
    sample: Segmentation
    sizes: pd.DataFrame
    notes: tuple[str, ...]


def segment_in_engine(
    found: EngineCustomers, *, sample_size: int = SAMPLE_SIZE, seed: int = 0, **options
) -> EngineSegmentation:
    """Segment a sample of the customers in memory, then assign every customer in the engine.

    ``options`` are those of :func:`~segmentation.segments.segment.segment_customers`. The sample
    is the same for the same table and seed (its order is a hash of customer id and seed).
    """
    backend = found.backend
    if sample_size < 2:
        raise ModelError(f"A sample of {sample_size} customers is too small; take thousands.")
    table = materialise(found.table, backend)  # read three times: computed once
    total = int(backend.execute(table.count()))
    key = table[CUSTOMER_ID].cast("string").concat(f"/{seed}").hash()
    picked = table.mutate(_key=key).order_by(["_key", CUSTOMER_ID]).limit(sample_size)
    sample = text_identifiers(backend.to_pandas(picked.drop("_key")))
    sample = sample.sort_values(CUSTOMER_ID, kind="stable").reset_index(drop=True)
    fitted = segment_customers(sample, seed=seed, **options)
    _refuse_negative(table, backend, fitted.prepared)
    centroids = cluster_means(fitted.prepared, fitted.customers[CLUSTER].to_numpy())
    names = fitted.profiles.table[SEGMENT].tolist()  # row i is cluster i
    cluster = nearest_centroid(prepared_columns(table, fitted.prepared), centroids)
    segment = ibis.cases(*((cluster == i, name) for i, name in enumerate(names)))
    assigned = table.mutate(**{CLUSTER: cluster, SEGMENT: segment})
    sizes = backend.to_pandas(
        assigned.group_by(CLUSTER).agg(customers=_.count(), revenue=exact_sum(_[MONETARY]))
    )
    sizes = sizes.sort_values(CLUSTER).reset_index(drop=True)
    sizes.insert(1, SEGMENT, [names[c] for c in sizes[CLUSTER]])
    sizes["customer_share"] = sizes["customers"] / sizes["customers"].sum()
    sizes["revenue_share"] = sizes["revenue"] / sizes["revenue"].sum()
    notes = [
        f"k and the clusters were fitted on a random sample of {len(sample):,} of "
        f"{total:,} customers; every customer has the cluster of the nearest centroid."
    ]
    if fitted.method != "kmeans":
        notes.append(f"The centroid of each {fitted.method} cluster is the mean of its members.")
    return EngineSegmentation(assigned, fitted, sizes, tuple(notes))


def _refuse_negative(table: ibis.Table, backend, prepared: PreparedFeatures) -> None:
    """The log1p transform refuses values below 0 beyond the sample as in it."""
    if prepared.options.transform != "log1p":
        return
    features = prepared.options.features
    lowest = backend.execute(table.aggregate(**{f: table[f].min() for f in features})).iloc[0]
    for feature in features:
        if lowest[feature] < 0:
            raise ModelError(
                f"The log1p transform needs the feature {feature!r} to be at least 0, but "
                "some customers are below 0; choose transform 'yeo-johnson' or 'none'."
            )


def cluster_means(prepared: PreparedFeatures, labels: np.ndarray) -> np.ndarray:
    """The mean of each cluster (0 to k - 1) in the prepared space over the customers it
    was fitted on (held-out customers left out), one row per cluster."""
    k = int(labels.max()) + 1
    fitted = ~prepared.held_out
    sums = np.zeros((k, prepared.matrix.shape[1]))
    np.add.at(sums, labels[fitted], prepared.matrix[fitted])
    return sums / np.maximum(np.bincount(labels[fitted], minlength=k), 1)[:, None]


def prepared_columns(table: ibis.Table, prepared: PreparedFeatures) -> list[ibis.Value]:
    """Each customer's clustering coordinates, in the engine, as
    :func:`~segmentation.segments.preparation.prepare_features` gave them to the sample."""
    options, steps = prepared.options, prepared.fitted
    columns = []
    for i, feature in enumerate(options.features):
        value = table[feature].cast("float64")
        if steps.caps is not None:
            value = ibis.least(value, float(steps.caps[i]))
        if options.transform == "log1p":
            value = (value + 1).ln()
        elif options.transform == "yeo-johnson":
            value = _yeo_johnson(value, float(steps.lambdas[i]))
        columns.append((value - float(steps.center[i])) / float(steps.scale[i]))
    return columns


def nearest_centroid(columns: list[ibis.Value], centroids: np.ndarray) -> ibis.Value:
    """The number of the nearest centroid (Euclidean; ties to the lower number)."""
    distances = [
        sum(((column - float(c)) ** 2 for column, c in zip(columns, centre, strict=True)))
        for centre in centroids
    ]
    nearest = ibis.least(*distances) if len(distances) > 1 else distances[0]
    return ibis.cases(*((d == nearest, i) for i, d in enumerate(distances)), else_=0)


def _yeo_johnson(value: ibis.Value, lam: float) -> ibis.Value:
    """The Yeo-Johnson transform of ``value`` with ``lam``, as scikit-learn computes it."""
    above, below = value + 1, 1 - value
    positive = (above**lam - 1) / lam if abs(lam) > _EPSILON else above.ln()
    negative = -((below ** (2 - lam) - 1) / (2 - lam)) if abs(lam - 2) > _EPSILON else -below.ln()
    return ibis.cases((value >= 0, positive), else_=negative)
