"""Fit on a sample, assign every customer in the engine: the engine's coordinates equal
the in-memory preparation, and the clusters agree with a fit on every customer."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from segmentation.engine import connect, text_identifiers
from segmentation.segments.assignment import nearest_centroid, prepared_columns, segment_in_engine
from segmentation.segments.preparation import prepare_features
from segmentation.segments.segment import segment_customers
from segmentation.transactions.features import engine_customers


def _customers(seed: int, negative: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "recency": rng.integers(1, 370, n),
            "frequency": rng.geometric(0.3, n),
            "monetary": rng.lognormal(6, 1.5, n),
        }
    )
    if negative:
        frame["monetary"] -= 300  # returns exceed purchases for some customers
    return frame


@pytest.mark.parametrize("outliers", ["clip", "holdout", "none"])
@pytest.mark.parametrize("scaler", ["standard", "robust", "minmax"])
@pytest.mark.parametrize("transform", ["log1p", "yeo-johnson", "none"])
def test_engine_coordinates_equal_the_in_memory_preparation(transform, scaler, outliers):
    customers = _customers(7, negative=transform != "log1p")
    prepared = prepare_features(customers, transform=transform, scaler=scaler, outliers=outliers)
    backend = connect()
    table = ibis.memtable(customers)
    columns = prepared_columns(table, prepared)
    computed = backend.to_pandas(table.select(*(c.name(f"x{i}") for i, c in enumerate(columns))))
    np.testing.assert_allclose(computed.to_numpy(), prepared.matrix, rtol=1e-9, atol=1e-9)


def test_nearest_centroid_by_hand():
    backend = connect()
    table = ibis.memtable(pd.DataFrame({"x": [0.0, 0.9, 2.0, 5.0, 1.0], "y": [0.0, 0, 0, 5, 0]}))
    centroids = np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 5.0]])
    labels = backend.execute(nearest_centroid([table.x, table.y], centroids))
    # 1.0 lies as near to the first centroid as to the second: the lower number wins
    assert labels.tolist() == [0, 0, 1, 2, 0]


def test_a_sample_fit_assigns_every_customer_as_a_full_fit_does(demo_run):
    found = engine_customers(demo_run.cleaned)
    result = segment_in_engine(found, sample_size=1_000, k=5)
    assigned = text_identifiers(found.backend.to_pandas(result.customers))
    assigned = assigned.sort_values("customer_id").reset_index(drop=True)
    full = segment_customers(demo_run.customers, k=5)
    assert len(assigned) == len(demo_run.customers) == int(result.sizes["customers"].sum())
    assert assigned["customer_id"].tolist() == demo_run.customers["customer_id"].tolist()
    assert adjusted_rand_score(full.customers["cluster"], assigned["cluster"]) >= 0.9
    # the sample's own customers keep the clusters their fit gave them
    sample = result.sample.customers.merge(assigned, on="customer_id", suffixes=("", "_all"))
    assert len(sample) == 1_000
    assert (sample["cluster"] == sample["cluster_all"]).mean() >= 0.99
    assert result.sizes["revenue_share"].sum() == pytest.approx(1.0)
    names = dict(zip(result.sizes["cluster"], result.sizes["segment"], strict=True))
    assert all(names[c] == s for c, s in zip(assigned["cluster"], assigned["segment"], strict=True))
    assert "random sample of 1,000" in result.notes[0]


def test_held_out_customers_do_not_move_the_centroids(demo_run):
    found = engine_customers(demo_run.cleaned)
    result = segment_in_engine(
        found, sample_size=3_000, k=4, outliers="holdout", outlier_percentile=90
    )
    assigned = text_identifiers(found.backend.to_pandas(result.customers))
    sample = result.sample.customers.merge(assigned, on="customer_id", suffixes=("", "_all"))
    # every customer the fit saw keeps its cluster; held-out ones get the nearest, as in memory
    assert (sample["cluster"] == sample["cluster_all"]).mean() >= 0.999


def test_the_same_table_and_seed_give_the_same_sample(demo_run):
    found = engine_customers(demo_run.cleaned)
    first = segment_in_engine(found, sample_size=500, k=4)
    again = segment_in_engine(found, sample_size=500, k=4)
    other = segment_in_engine(found, sample_size=500, k=4, seed=1)
    ids = [r.sample.customers["customer_id"].tolist() for r in (first, again, other)]
    assert ids[0] == ids[1] != ids[2]
    pd.testing.assert_frame_equal(first.sizes, again.sizes)
