"""Cluster profiles, numbering by value, names in words and the RFM cross-check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from segmentation.errors import ModelError
from segmentation.models.profiles import (
    describe_median,
    format_money,
    profile_clusters,
    value_order,
)
from segmentation.models.rfm import SEGMENTS, ScoreCuts
from tests.samples import TINY_CUSTOMERS

#: The hand-made table with a country per customer.
TINY = TINY_CUSTOMERS.assign(
    country=["UK", "France", "UK", "EIRE", "UK", "EIRE", "UK", "UK", "UK", "Spain", "UK"]
)

#: Fitted labels in no particular order: T = 7, M = 3, G = 5.
FITTED = np.array([7, 7, 7, 3, 3, 3, 3, 5, 5, 5, 5])


def test_clusters_are_numbered_by_value_named_and_described():
    profiles = profile_clusters(TINY, FITTED)
    assert profiles.labels.tolist() == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    table = profiles.table
    assert table["segment"].tolist() == ["Champions", "Need Attention", "Lost"]
    # Median customers: recency 2 / 27.5 / 330 and frequency 40 / 6.5 / 2.5.
    assert table["r_score"].tolist() == [5, 3, 1]
    assert table["f_score"].tolist() == [5, 3, 1]
    assert table["description"].tolist() == [
        "bought 2 days ago on median, 40 orders, £12k. " + SEGMENTS["Champions"].description,
        "bought 27.5 days ago on median, 6.5 orders, £1.2k. "
        + SEGMENTS["Need Attention"].description,
        "bought 330 days ago on median, 2.5 orders, £65. " + SEGMENTS["Lost"].description,
    ]
    assert table["action"].tolist() == [
        SEGMENTS[name].action for name in ["Champions", "Need Attention", "Lost"]
    ]
    assert table["customers"].tolist() == [3, 4, 4]
    assert table["customer_share"].tolist() == pytest.approx([3 / 11, 4 / 11, 4 / 11])
    assert table["revenue"].tolist() == pytest.approx([36_000, 4_800, 260])
    assert table["revenue_share"].tolist() == pytest.approx(
        [36_000 / 41_060, 4_800 / 41_060, 260 / 41_060]
    )
    assert table["recency_median"].tolist() == [2, 27.5, 330]
    assert table["frequency_mean"].tolist() == pytest.approx([40, 6.5, 2.5])
    assert table["monetary_mean"].tolist() == pytest.approx([12_000, 1_200, 65])


def test_snake_data_is_relative_to_the_overall_mean():
    snake = profile_clusters(TINY, FITTED).snake
    assert snake.columns.tolist() == [
        "cluster",
        "segment",
        "feature",
        "mean",
        "overall_mean",
        "relative_difference",
    ]
    assert len(snake) == 3 * 3
    row = snake[(snake["cluster"] == 0) & (snake["feature"] == "monetary")].iloc[0]
    assert row["segment"] == "Champions"
    assert row["overall_mean"] == pytest.approx(41_060 / 11)
    assert row["relative_difference"] == pytest.approx(12_000 / (41_060 / 11) - 1)


def test_top_countries_per_cluster():
    countries = profile_clusters(TINY, FITTED).countries
    assert countries.values.tolist() == [
        [0, "UK", 2, pytest.approx(2 / 3)],
        [0, "France", 1, pytest.approx(1 / 3)],
        [1, "EIRE", 2, 0.5],
        [1, "UK", 2, 0.5],
        [2, "UK", 3, 0.75],
        [2, "Spain", 1, 0.25],
    ]
    assert profile_clusters(TINY.drop(columns="country"), FITTED).countries is None


def test_crosstab_against_rfm_segments_and_their_agreement():
    profiles = profile_clusters(TINY, FITTED)
    crosstab = profiles.crosstab
    assert crosstab.columns.tolist()[:3] == ["Champions", "Loyal Customers", "Potential Loyalists"]
    assert crosstab.loc[0, "Champions"] == 2
    assert crosstab.loc[0, "Loyal Customers"] == 1
    assert crosstab.loc[1, ["Potential Loyalists", "Need Attention", "At Risk"]].tolist() == [
        1,
        2,
        1,
    ]
    assert crosstab.loc[2, ["Hibernating", "Lost"]].tolist() == [1, 3]
    assert crosstab.to_numpy().sum() == 11
    rfm = ["Champions"] * 2 + ["Loyal Customers", "Potential Loyalists"]
    rfm += ["Need Attention"] * 2 + ["At Risk", "Hibernating"] + ["Lost"] * 3
    assert profiles.rfm_agreement == pytest.approx(adjusted_rand_score(profiles.labels, rfm))


@pytest.mark.parametrize(
    ("groups", "names"),
    [
        (2, ["New Customers (high spend)", "New Customers (low spend)"]),
        (3, [f"New Customers ({q} spend)" for q in ("high", "mid", "low")]),
        (4, [f"New Customers (spend tier {n})" for n in range(1, 5)]),
    ],
)
def test_clusters_sharing_a_name_get_distinct_spend_qualifiers(groups, names):
    # Cut points far above every value: every median customer scores R 5, F 1.
    everyone_new = ScoreCuts((1e6,) * 4, (1e6,) * 4, (1e6,) * 4)
    table = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(2 * groups)],
            "recency": 5,
            "frequency": 1,
            "monetary": np.repeat(np.arange(groups, 0, -1) * 100.0, 2),
        }
    )
    labels = np.repeat(np.arange(groups), 2)
    assert profile_clusters(table, labels, everyone_new).table["segment"].tolist() == names


def test_value_order_breaks_ties_by_recency_then_label():
    table = pd.DataFrame(
        {"monetary": [10.0, 10.0, 10.0, 10.0], "recency": [50, 5, 9, 9], "frequency": [1, 1, 1, 1]}
    )
    assert value_order(table, np.array([4, 8, 2, 6])).tolist() == [3, 0, 1, 2]


def test_numbering_and_names_do_not_depend_on_fitted_label_values():
    renamed = np.array([{7: 0, 3: 2, 5: 1}[label] for label in FITTED])
    first, second = profile_clusters(TINY, FITTED), profile_clusters(TINY, renamed)
    assert first.labels.tolist() == second.labels.tolist()
    pd.testing.assert_frame_equal(first.table, second.table)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (3.75, "£4"),
        (668.57, "£669"),
        (999.6, "£1.0k"),
        (1_234, "£1.2k"),
        (9_960, "£10k"),
        (14_000, "£14k"),
        (999_600, "£1.0M"),
        (1_230_000, "£1.2M"),
    ],
)
def test_money_is_short(amount, text):
    assert format_money(amount) == text


def test_median_description_in_words():
    assert describe_median(1, 1, 5) == "bought 1 day ago on median, 1 order, £5"
    assert describe_median(9, 27, 14_250) == "bought 9 days ago on median, 27 orders, £14k"


def test_one_label_per_customer_is_required():
    with pytest.raises(ModelError, match="10 cluster labels for 11 customers"):
        profile_clusters(TINY, FITTED[:10])
