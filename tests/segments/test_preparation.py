"""Choosing, capping, transforming and scaling customer features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import ModelError
from segmentation.segments.preparation import prepare_features, prepare_like, sample_rows


def customers(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Skewed RFM customers with one huge wholesaler (the last row)."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "recency": rng.integers(1, 365, n),
            "frequency": rng.integers(1, 20, n),
            "monetary": np.round(rng.lognormal(6, 1, n), 2),
            "tenure_days": rng.integers(1, 700, n),
            "country": rng.choice(["United Kingdom", "France"], n),
        }
    )
    table.loc[n - 1, ["frequency", "monetary"]] = [200, 250_000.0]
    return table


def standardised(values: np.ndarray) -> np.ndarray:
    return (values - values.mean(axis=0)) / values.std(axis=0)


def test_default_is_log1p_of_values_clipped_at_the_99th_percentile_then_standardised():
    table = customers()
    raw = table[["recency", "frequency", "monetary"]].to_numpy(float)
    expected = standardised(np.log1p(np.minimum(raw, np.percentile(raw, 99, axis=0))))
    prepared = prepare_features(table)
    np.testing.assert_allclose(prepared.matrix, expected, atol=1e-12)
    assert prepared.feature_names == ("recency", "frequency", "monetary")
    assert prepared.customer_ids.tolist() == table["customer_id"].tolist()
    assert not prepared.held_out.any()
    # The wholesaler sits at the cap, like the other customers above the 99th percentile.
    monetary = prepared.matrix[:, 2]
    assert monetary[-1] == pytest.approx(monetary.max())
    assert (monetary == monetary.max()).sum() == 2


def test_holdout_keeps_extreme_customers_out_of_the_fit():
    table = customers()
    prepared = prepare_features(table, outliers="holdout")
    raw = table[["recency", "frequency", "monetary"]].to_numpy(float)
    extreme = (raw > np.percentile(raw, 99, axis=0)).any(axis=1)
    assert prepared.held_out.tolist() == extreme.tolist()
    assert prepared.held_out[-1]
    np.testing.assert_allclose(prepared.fit_matrix.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(prepared.fit_matrix.std(axis=0), 1, atol=1e-12)
    fit_logs = np.log1p(raw[~extreme])
    wholesaler = (np.log1p(raw[-1]) - fit_logs.mean(axis=0)) / fit_logs.std(axis=0)
    np.testing.assert_allclose(prepared.matrix[-1], wholesaler)


def test_no_transform_minmax_scaling_and_any_numeric_feature():
    table = customers()
    prepared = prepare_features(
        table, ("tenure_days", "monetary"), transform="none", scaler="minmax", outliers="none"
    )
    raw = table[["tenure_days", "monetary"]].to_numpy(float)
    expected = (raw - raw.min(axis=0)) / (raw.max(axis=0) - raw.min(axis=0))
    np.testing.assert_allclose(prepared.matrix, expected)


def test_robust_scaling_centres_on_the_median():
    prepared = prepare_features(customers(), scaler="robust", outliers="none")
    np.testing.assert_allclose(np.median(prepared.matrix, axis=0), 0, atol=1e-12)


def test_yeo_johnson_keeps_each_feature_in_order():
    table = customers()
    prepared = prepare_features(table, transform="yeo-johnson")
    clipped = np.minimum(table["monetary"], np.percentile(table["monetary"], 99))
    order = np.argsort(clipped.to_numpy(), kind="stable")
    assert (np.diff(prepared.matrix[order, 2]) >= 0).all()
    np.testing.assert_allclose(prepared.matrix.std(axis=0), 1)


def test_input_is_not_modified_and_arrays_are_read_only():
    table = customers()
    before = table.copy()
    prepared = prepare_features(table, outliers="holdout")
    pd.testing.assert_frame_equal(table, before)
    with pytest.raises(ValueError):
        prepared.matrix[0, 0] = 1.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"features": ("recency", "basket")}, r"Unknown feature 'basket'; choose among recency"),
        ({"features": ("country",)}, r"feature 'country' is not numeric"),
        ({"features": ("customer_id",)}, r"customer_id identifies customers"),
        ({"features": ("recency", "recency")}, r"'recency' is chosen twice"),
        ({"features": ()}, r"No features were chosen"),
        ({"transform": "log"}, r"Unknown transform 'log'; choose one of log1p, yeo-johnson"),
        ({"scaler": "zscore"}, r"Unknown scaler 'zscore'"),
        ({"outliers": "drop"}, r"Unknown outliers 'drop'; choose one of clip, holdout, none"),
        ({"outlier_percentile": 40}, r"outlier percentile 40 is out of range"),
    ],
)
def test_bad_options_are_refused_by_name(options, message):
    with pytest.raises(ModelError, match=message):
        prepare_features(customers(), **options)


def test_non_finite_values_are_refused_naming_feature_and_count():
    table = customers().astype({"monetary": float})
    table.loc[[3, 7], "monetary"] = [np.nan, np.inf]
    with pytest.raises(ModelError, match=r"'monetary' is missing or infinite for 2 customers"):
        prepare_features(table)
    nullable = customers().astype({"frequency": "Int64"})
    nullable.loc[5, "frequency"] = pd.NA
    with pytest.raises(ModelError, match=r"'frequency' is missing or infinite for 1 customer;"):
        prepare_features(nullable)


def test_log1p_refuses_negative_values_and_suggests_another_transform():
    table = customers().assign(balance=lambda t: t["monetary"] - 500)
    below = int((table["balance"] < 0).sum())
    with pytest.raises(ModelError, match=rf"'balance' .* {below} customers are below 0.*yeo"):
        prepare_features(table, ("balance",))
    assert prepare_features(table, ("balance",), transform="yeo-johnson").matrix.shape == (200, 1)


def test_holding_out_nearly_everyone_is_refused():
    three = pd.DataFrame(
        {
            "customer_id": list("abc"),
            "recency": [0, 0, 1],
            "frequency": [1, 2, 1],
            "monetary": [2.0, 1, 1],
        }
    )
    with pytest.raises(ModelError, match=r"leaves 0 of 3 to fit; choose outliers 'clip' or 'none'"):
        prepare_features(three, outliers="holdout")


def test_empty_table_and_missing_ids_are_refused():
    with pytest.raises(ModelError, match="no customers"):
        prepare_features(customers().iloc[:0])
    with pytest.raises(ModelError, match="no customer_id column"):
        prepare_features(customers().drop(columns="customer_id"))


def test_sample_rows_is_seeded_sorted_and_without_repeats():
    rows = sample_rows(1_000, 100, seed=3)
    assert len(set(rows.tolist())) == 100
    assert (np.diff(rows) > 0).all()
    assert rows.tolist() == sample_rows(1_000, 100, seed=3).tolist()
    assert rows.tolist() != sample_rows(1_000, 100, seed=4).tolist()
    assert sample_rows(50, 100, seed=3).tolist() == list(range(50))


@pytest.mark.parametrize("outliers", ["clip", "holdout", "none"])
@pytest.mark.parametrize("scaler", ["standard", "robust", "minmax"])
@pytest.mark.parametrize("transform", ["log1p", "yeo-johnson", "none"])
def test_other_customers_are_prepared_with_the_fitted_steps(transform, scaler, outliers):
    fitted_on = customers()
    prepared = prepare_features(fitted_on, transform=transform, scaler=scaler, outliers=outliers)
    # the customers it was fitted on come out as the fit gave them
    np.testing.assert_allclose(prepare_like(fitted_on, prepared), prepared.matrix, atol=1e-12)
    # others are not fitted again: a customer gets the same coordinates alone or among others
    others = customers(n=50, seed=3)
    alone = prepare_like(others.iloc[[7]], prepared)
    np.testing.assert_allclose(alone, prepare_like(others, prepared)[[7]], atol=1e-12)
    assert prepare_like(others, prepared).shape == (50, 3)


def test_preparing_other_customers_refuses_what_the_fit_refuses():
    prepared = prepare_features(customers())
    negative = customers(n=10).assign(monetary=-5.0)
    with pytest.raises(ModelError, match="log1p transform needs the feature 'monetary'"):
        prepare_like(negative, prepared)
    with pytest.raises(ModelError, match="Unknown feature 'recency'"):
        prepare_like(negative.drop(columns="recency"), prepared)
