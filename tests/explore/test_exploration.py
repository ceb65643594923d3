"""Exploration tables: statistics, shape sentences, bins, correlations, months, countries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.explore.exploration import (
    MAX_SCATTER_POINTS,
    ExplorationError,
    box_statistics,
    cleaning_funnel,
    correlations,
    country_summary,
    density,
    histogram,
    log_values,
    missing_values,
    monthly_activity,
    sample_points,
    shape_sentence,
    summary_statistics,
)


@pytest.fixture
def customers() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 400
    return pd.DataFrame(
        {
            "customer_id": [str(12000 + i) for i in range(n)],
            "recency": rng.integers(0, 300, n),
            "frequency": rng.integers(1, 20, n),
            "monetary": rng.lognormal(6, 1.2, n),
            "country": rng.choice(["United Kingdom", "EIRE", "France", "Unspecified"], n),
        }
    )


@pytest.fixture
def lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_no": ["1", "1", "2", "3", "4"],
            "customer_id": ["a", "a", "b", "a", "c"],
            "invoice_date": pd.to_datetime(
                [
                    "2024-01-05 10:00",
                    "2024-01-05 10:00",
                    "2024-01-20 09:00",
                    "2024-02-01 08:00",
                    "2024-03-31 23:00",
                ]
            ),
            "total_purchase": [10.0, 5.0, 20.0, 7.5, 1.0],
        }
    )


def test_summary_statistics_match_pandas(customers: pd.DataFrame) -> None:
    before = customers.copy()
    table = summary_statistics(customers, ["recency", "monetary"])
    assert list(table.index) == ["recency", "monetary"]
    assert table.loc["monetary", "skew"] == pytest.approx(customers["monetary"].skew())
    assert table.loc["recency", "median"] == customers["recency"].median()
    assert table.loc["recency", "count"] == len(customers)
    pd.testing.assert_frame_equal(customers, before)


def test_missing_column_raises_exploration_error(customers: pd.DataFrame) -> None:
    with pytest.raises(ExplorationError, match="no column 'nope'"):
        summary_statistics(customers, ["nope"])


def test_shape_sentence_names_right_skew_and_suggests_log(customers: pd.DataFrame) -> None:
    sentence = shape_sentence(customers, "monetary", "Monetary")
    assert sentence.startswith("Monetary is strongly right-skewed")
    assert "log scale" in sentence
    assert sentence.endswith(".")


def test_shape_sentence_calls_uniform_values_symmetric() -> None:
    frame = pd.DataFrame({"x": np.linspace(0, 1, 101)})
    assert "roughly symmetric" in shape_sentence(frame, "x")


def test_histogram_counts_every_value() -> None:
    values = pd.Series([1.0, 2, 2, 3, 10, np.nan])
    bins = histogram(values, bins=5)
    assert bins["count"].sum() == 5
    assert bins["start"].iloc[0] == 1 and bins["end"].iloc[-1] == 10


def test_log_values_drop_non_positive() -> None:
    logged, dropped = log_values(pd.Series([0.0, -1.0, 10.0, 100.0]))
    assert dropped == 2
    assert list(logged) == [1.0, 2.0]


def test_box_statistics_put_far_values_outside_the_whiskers() -> None:
    stats = box_statistics(pd.Series([1.0, 2, 3, 4, 5, 100]))
    assert stats["upper"] == 5 and stats["outliers"] == 1
    assert stats["q1"] <= stats["median"] <= stats["q3"]


def test_density_integrates_to_about_one(customers: pd.DataFrame) -> None:
    curve = density(customers["recency"])
    area = np.trapezoid(curve["density"], curve["value"])
    assert 0.8 < area <= 1.05


def test_density_needs_two_values() -> None:
    with pytest.raises(ExplorationError):
        density(pd.Series([3.0, 3.0]))


def test_correlations_both_methods(customers: pd.DataFrame) -> None:
    columns = ["recency", "frequency", "monetary"]
    pearson = correlations(customers, columns, "pearson")
    spearman = correlations(customers, columns, "spearman")
    assert len(pearson) == 9
    diagonal = pearson[pearson["x"] == pearson["y"]]["correlation"]
    assert np.allclose(diagonal, 1.0)
    expected = customers["recency"].corr(customers["monetary"], method="spearman")
    got = spearman.query("x == 'recency' and y == 'monetary'")["correlation"].iloc[0]
    assert got == pytest.approx(expected)
    with pytest.raises(ExplorationError, match="kendall"):
        correlations(customers, columns, "kendall")


def test_sample_points_caps_large_tables() -> None:
    big = pd.DataFrame({"a": range(MAX_SCATTER_POINTS + 10)})
    assert len(sample_points(big)) == MAX_SCATTER_POINTS
    small = big.head(10)
    assert sample_points(small) is small


def test_monthly_activity_counts_distinct_orders_and_customers(lines: pd.DataFrame) -> None:
    table = monthly_activity(lines)
    assert list(table["month"].dt.month) == [1, 2, 3]
    assert list(table["revenue"]) == [35.0, 7.5, 1.0]
    assert list(table["orders"]) == [2, 1, 1]
    assert list(table["customers"]) == [2, 1, 1]


def test_monthly_activity_refuses_missing_columns(lines: pd.DataFrame) -> None:
    with pytest.raises(ExplorationError, match="total_purchase"):
        monthly_activity(lines.drop(columns="total_purchase"))


def test_missing_values_per_column() -> None:
    frame = pd.DataFrame({"a": [1, None, 3, None], "b": ["x", "y", "z", "w"]})
    table = missing_values(frame)
    assert table.set_index("column")["missing"].to_dict() == {"a": 2, "b": 0}
    assert table.set_index("column")["share"]["a"] == 0.5


def test_country_summary_keeps_unplaced_countries(customers: pd.DataFrame) -> None:
    table, unplaced = country_summary(customers)
    assert table["customers"].sum() == len(customers)
    assert table["revenue"].sum() == pytest.approx(customers["monetary"].sum())
    assert unplaced == ("Unspecified",)
    codes = table.set_index("country")["iso3"]
    assert codes["EIRE"] == "IRL" and pd.isna(codes["Unspecified"])
    assert table["revenue"].is_monotonic_decreasing


def test_cleaning_funnel_follows_the_report() -> None:
    steps = pd.DataFrame(
        {
            "step": ["Missing customer id", "Non-product lines", "Cancellations"],
            "enabled": [True, False, True],
            "rows_removed": [10, 0, 5],
            "revenue_removed": [100.0, 0.0, -20.0],
            "rows_left": [90, 90, 85],
        }
    )
    funnel = cleaning_funnel(steps, rows_in=100, revenue_in=1000.0)
    assert list(funnel["rows"]) == [100, 90, 85]
    assert list(funnel["revenue"]) == [1000.0, 900.0, 920.0]
    assert funnel["stage"].iloc[0] == "Raw data"
