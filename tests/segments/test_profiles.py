"""Cluster profiles, numbering by value, names in words and the RFM cross-check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from segmentation.demo import generate_demo
from segmentation.errors import ModelError
from segmentation.segments.profiles import (
    describe_median,
    format_money,
    order_intervals,
    profile_clusters,
    recency_position,
    value_order,
)
from segmentation.segments.rfm import SEGMENTS, ScoreCuts, rfm_scores
from segmentation.segments.segment import segment_customers
from segmentation.transactions.pipeline import run_features
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
    assert describe_median(159, 8, 2_527.6, 23.2) == (
        "bought 159 days ago on median, 8 orders, one every 23 days, £2.5k"
    )
    assert describe_median(3, 2, 40, 1.2) == (
        "bought 3 days ago on median, 2 orders, one every 1 day, £40"
    )
    assert describe_median(15, 1, 215, 5.0) == "bought 15 days ago on median, 1 order, £215"


def test_one_label_per_customer_is_required():
    with pytest.raises(ModelError, match="10 cluster labels for 11 customers"):
        profile_clusters(TINY, FITTED[:10])


def test_order_intervals_from_first_to_last_order():
    table = pd.DataFrame(
        {
            "recency": [10, 5, 0, 30],
            "frequency": [3, 1, 2, 5],
            "monetary": [1.0, 1.0, 1.0, 1.0],
            "tenure_days": [50, 5, 0, 230],
        }
    )
    # (tenure - recency) days between the first and last order, over frequency - 1 gaps.
    assert order_intervals(table).tolist() == pytest.approx([20, np.nan, 0, 50], nan_ok=True)
    assert order_intervals(table.drop(columns="tenure_days")).isna().all()


@pytest.mark.parametrize(
    ("recency", "interval", "position"),
    [
        (30, 30, 4.0),  # one interval: R 4
        (90, 30, 2.5),  # three intervals: the lapsed boundary
        (270, 30, 1.0),  # nine intervals: 1.5 lower again
        (10, 30, 5.0),  # a third of an interval would be 5.5: clipped
        (3000, 30, 1.0),
        (3, 0, 2.5),  # same-day orders: the interval counts as one day
    ],
)
def test_recency_position_counts_typical_intervals(recency, interval, position):
    assert recency_position(recency, interval) == pytest.approx(position)


def _clusters(*groups: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """A customer table of groups given as medians (``size`` customers each, recency spread
    by up to two days and spend by up to 2% either side) and their labels."""
    rows, labels = [], []
    for label, group in enumerate(groups):
        for offset in np.linspace(-2, 2, group["size"]):
            recency = group["recency"] + round(offset)
            spend = group["spend"] * (1 + offset / 100)
            span = group.get("interval", 0) * (group["orders"] - 1)
            rows.append((recency, group["orders"], spend, recency + span))
            labels.append(label)
    table = pd.DataFrame(rows, columns=["recency", "frequency", "monetary", "tenure_days"])
    table.insert(0, "customer_id", [f"C{i}" for i in range(len(table))])
    return table, np.array(labels)


def test_formerly_frequent_buyers_are_at_risk_not_loyal():
    # The case of the issue: on mostly lapsed customers the quintiles put 202 days in R3,
    # so the rule table called both repeat-buyer groups Loyal Customers.
    table, labels = _clusters(
        {"size": 20, "recency": 202, "orders": 8, "spend": 2500.0, "interval": 25},
        {"size": 20, "recency": 37, "orders": 9, "spend": 3000.0, "interval": 44},
        {"size": 20, "recency": 10, "orders": 1, "spend": 200.0},
        {"size": 40, "recency": 320, "orders": 1, "spend": 100.0},
    )
    scores = rfm_scores(table).groupby(labels)[["r_score", "f_score"]].median()
    assert scores.loc[[0, 1]].values.tolist() == [[3, 4], [4, 5]]  # both Loyal in the grid
    profiles = profile_clusters(table, labels)
    names = profiles.table["segment"].to_numpy()[profiles.labels]  # per customer
    assert dict(zip(labels, names, strict=True)) == {
        0: "At Risk",
        1: "Loyal Customers",
        2: "New Customers",
        3: "Lost",
    }
    at_risk = profiles.table.loc[profiles.table["segment"] == "At Risk"].iloc[0]
    assert at_risk["order_interval"] == 25
    assert at_risk["description"] == (
        "bought 202 days ago on median, 8 orders, one every 25 days, £2.5k. "
        + SEGMENTS["At Risk"].description
    )
    assert at_risk["action"] == SEGMENTS["At Risk"].action
    # Every customer keeps the classic segment of their own scores.
    assert (rfm_scores(table)["rfm_segment"][labels == 0] == "Loyal Customers").all()


def test_lapsed_top_spenders_are_cant_lose_them():
    table, labels = _clusters(
        {"size": 10, "recency": 300, "orders": 6, "spend": 20_000.0, "interval": 20},
        {"size": 10, "recency": 300, "orders": 12, "spend": 500.0, "interval": 20},
        {"size": 10, "recency": 2, "orders": 40, "spend": 10_000.0, "interval": 8},
    )
    names = profile_clusters(table, labels).table.set_index("cluster")["segment"]
    # Numbered by spend: the lapsed top spenders are cluster 0, the champions cluster 1.
    assert names.tolist() == ["Can't Lose Them", "Champions", "At Risk"]


@pytest.mark.parametrize(
    ("first", "second", "names"),
    [
        ({"orders": 12}, {"orders": 6}, ["At Risk (more orders)", "At Risk (fewer orders)"]),
        ({"recency": 200}, {"recency": 300}, ["At Risk (more recent)", "At Risk (less recent)"]),
    ],
)
def test_repeated_names_say_what_separates_the_clusters(first, second, names):
    # Two lapsed repeat-buyer groups outside the top fifth can only be At Risk; champions
    # hold the top fifth of orders and spend.
    lapsed = {"size": 10, "recency": 300, "orders": 6, "spend": 500.0, "interval": 20}
    table, labels = _clusters(
        {"size": 10, "recency": 2, "orders": 40, "spend": 10_000.0, "interval": 8},
        {**lapsed, **first},
        {**lapsed, **second},
    )
    table = profile_clusters(table, labels).table
    assert table["segment"].tolist() == ["Champions", *names]


#: Planted proportions: mostly lapsed customers, mostly new ones, one dominant group.
SCENARIOS = {
    "mostly lapsed": {"champions": 0.04, "loyal": 0.08, "new": 0.08, "at_risk": 0.3, "lost": 0.5},
    "mostly new": {"champions": 0.05, "loyal": 0.12, "new": 0.55, "at_risk": 0.1, "lost": 0.18},
    "one dominant": {"champions": 0.08, "loyal": 0.6, "new": 0.1, "at_risk": 0.12, "lost": 0.1},
}
#: The names that fit each planted group.
FITTING = {
    "champions": {"Champions"},
    "loyal": {"Loyal Customers"},
    "new": {"New Customers", "Promising"},
    "at_risk": {"At Risk", "Can't Lose Them"},
    "lost": {"Lost", "Hibernating"},
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_planted_groups_get_fitting_names_whatever_their_proportions(scenario):
    transactions, planted = generate_demo(seed=20, customers=1500, shares=SCENARIOS[scenario])
    customers = run_features(transactions.to_csv(index=False).encode(), name="demo.csv").customers
    result = segment_customers(customers)
    group = planted.set_index("customer_id")["group"].reindex(customers["customer_id"])
    majority = pd.crosstab(result.customers["cluster"], group.to_numpy()).idxmax(axis=1)
    table = result.profiles.table.assign(group=majority.to_numpy())
    assert set(table["group"]) == set(FITTING)
    for row in table.itertuples():
        assert row.segment in FITTING[row.group], (scenario, row.group, row.segment)
    # A base name repeats (with a qualifier) only where clusters share R and F medians.
    base = table["segment"].str.replace(r" \(.*\)$", "", regex=True)
    medians = table.groupby(base)[["recency_median", "frequency_median"]].nunique()
    assert (medians == 1).all().all()


@pytest.mark.real
def test_online_retail_names_fit_the_medians(online_retail_path):
    customers = run_features(online_retail_path).customers
    table = segment_customers(customers).profiles.table
    assert table[["segment", "recency_median", "frequency_median"]].values.tolist() == [
        ["Champions", 8, 10],
        ["Loyal Customers", 58, 4],
        ["Potential Loyalists", 18, 2],
        ["Hibernating", 183, 1],
    ]
    # The typical interval of the cluster of one-order customers is that of all repeat
    # buyers (53.3 days), so its 183 days are 3.4 intervals: lapsed.
    assert table["order_interval"].round(1).tolist() == [32.0, 63.9, 78.7, 66.5]
