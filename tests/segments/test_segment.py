"""The one entry point: customer table in, named segments and a JSON summary out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from segmentation.errors import ModelError
from segmentation.segments.rfm import SEGMENTS, rfm_scores
from segmentation.segments.segment import segment_customers
from tests.samples import ONLINE_RETAIL, ROOT
from tests.samples import TINY_CUSTOMERS as TINY

DEMO_TRANSACTIONS = ROOT / "data" / "demo_transactions.csv.gz"
DEMO_GROUPS = ROOT / "data" / "demo_groups.csv"


def classic_customer_table(raw: pd.DataFrame) -> pd.DataFrame:
    """Customers of UCI-layout transactions after the classic cleaning, in plain pandas.

    Keeps rows with a customer id, no cancellation, positive quantity and price, drops
    exact duplicates; recency in whole days to the last invoice + 1 day.
    """
    keep = (
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].astype(str).str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    lines = raw[keep].drop_duplicates()
    lines = lines.assign(
        customer_id=pd.to_numeric(lines["CustomerID"]).astype("int64").astype(str),
        amount=lines["Quantity"] * lines["UnitPrice"],
    )
    snapshot = lines["InvoiceDate"].max() + pd.Timedelta(days=1)
    per_customer = lines.groupby("customer_id")
    countries = (
        lines.groupby(["customer_id", "Country"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["customer_id", "n", "Country"], ascending=[True, False, True])
        .drop_duplicates("customer_id")
        .set_index("customer_id")["Country"]
    )
    return pd.DataFrame(
        {
            "recency": (snapshot - per_customer["InvoiceDate"].max()).dt.days,
            "frequency": per_customer["InvoiceNo"].nunique(),
            "monetary": per_customer["amount"].sum(),
            "country": countries,
        }
    ).reset_index()


@pytest.fixture(scope="module")
def real_customers() -> pd.DataFrame:
    if not ONLINE_RETAIL.is_file():
        pytest.skip(f"real data {ONLINE_RETAIL.name} not found in {ONLINE_RETAIL.parent}")
    return classic_customer_table(pd.read_parquet(ONLINE_RETAIL))


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.Series]:
    """The demo customers and each one's planted group."""
    if not (DEMO_TRANSACTIONS.is_file() and DEMO_GROUPS.is_file()):
        pytest.skip("the demo data (data/demo_transactions.csv.gz, data/demo_groups.csv) is absent")
    raw = pd.read_csv(
        DEMO_TRANSACTIONS,
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str},
        parse_dates=["InvoiceDate"],
    )
    customers = classic_customer_table(raw)
    groups = pd.read_csv(DEMO_GROUPS, dtype=str).set_index("customer_id")["group"]
    return customers, groups.loc[customers["customer_id"]].reset_index(drop=True)


def test_tiny_table_end_to_end():
    before = TINY.copy()
    result = segment_customers(TINY, k=3)
    pd.testing.assert_frame_equal(TINY, before)
    table = result.customers
    assert table.columns.tolist() == [
        "customer_id",
        "recency",
        "frequency",
        "monetary",
        "cluster",
        "segment",
        "r_score",
        "f_score",
        "m_score",
        "rfm_segment",
    ]
    assert table["cluster"].tolist() == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert table["segment"].tolist() == ["Champions"] * 3 + ["Need Attention"] * 4 + ["Lost"] * 4
    assert table["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 1]
    assert table["f_score"].tolist() == [4, 5, 5, 2, 3, 3, 4, 1, 1, 1, 2]
    assert table["rfm_segment"].tolist()[:4] == [
        "Champions",
        "Champions",
        "Loyal Customers",
        "Potential Loyalists",
    ]
    assert result.k == 3
    assert result.k_reason.startswith("3 clusters, as requested. The measures recommend 3 clusters")
    assert result.silhouette == pytest.approx(result.sweep.set_index("k").loc[3, "silhouette"])
    assert result.silhouette_values.index.equals(TINY.index)


def test_tiny_table_summary_is_json_with_rounded_figures():
    summary = segment_customers(TINY, k="auto").summary()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["method"] == "kmeans"
    assert summary["k"] == 3
    assert [row["k"] for row in summary["sweep"]] == list(range(2, 11))
    first = summary["clusters"][0]
    assert first["cluster"] == 0
    assert first["segment"] == "Champions"
    assert first["description"].startswith("bought 2 days ago on median, 40 orders, £12k.")
    assert first["action"] == SEGMENTS["Champions"].action
    assert first["customers"] == 3
    assert first["revenue_share"] == round(36_000 / 41_060, 4)
    assert (first["recency_median"], first["frequency_median"], first["monetary_median"]) == (
        2,
        40,
        12_000,
    )
    assert summary["silhouette"] == round(summary["silhouette"], 4)


@pytest.mark.parametrize(
    ("table", "options", "message"),
    [
        (TINY.iloc[:1], {}, r"A single customer cannot be split into clusters"),
        (TINY.assign(recency=5, frequency=2, monetary=10.0), {}, r"cannot be split"),
        (TINY, {"k": 12}, r"12 clusters are too many for 11 customers"),
        (TINY, {"k": "five"}, r"k must be 'auto' or a whole number of clusters, not 'five'"),
        (TINY, {"k_range": (1, 5)}, r"range of k \(1, 5\) is not valid"),
        (TINY, {"features": ("recency", "loyalty")}, r"Unknown feature 'loyalty'"),
        (TINY.assign(monetary=np.inf), {}, r"'monetary' is missing or infinite for 11 customers"),
        (TINY, {"method": "kmedoids"}, r"Unknown method 'kmedoids'"),
    ],
)
def test_impossible_requests_raise_a_model_error(table, options, message):
    with pytest.raises(ModelError, match=message):
        segment_customers(table, **options)


def test_a_segmented_table_can_be_segmented_again():
    first = segment_customers(TINY, k=3)
    again = segment_customers(first.customers, k=3)
    pd.testing.assert_frame_equal(again.customers, first.customers)


customer_rows = st.lists(
    st.tuples(
        st.integers(0, 400),
        st.integers(1, 60),
        st.floats(1, 100_000, allow_nan=False, allow_infinity=False),
    ),
    min_size=3,
    max_size=30,
)


@given(
    rows=customer_rows,
    k=st.sampled_from([2, 3, "auto"]),
    method=st.sampled_from(["kmeans", "agglomerative", "gmm"]),
    outliers=st.sampled_from(["clip", "holdout", "none"]),
)
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
# Found by Hypothesis: a tree cut into as many clusters as fitted customers (scipy's
# cut_tree mislabels it), and holding out every customer.
@example(
    rows=[(0, 1, 1.0), (0, 1, 2.0), (1, 1, 1.0), (1, 1, 3.0)],
    k=2,
    method="agglomerative",
    outliers="holdout",
)
@example(rows=[(0, 1, 2.0), (0, 2, 1.0), (1, 1, 1.0)], k=2, method="kmeans", outliers="holdout")
def test_every_customer_gets_exactly_one_cluster_and_segment_and_runs_repeat(
    rows, k, method, outliers
):
    table = pd.DataFrame(rows, columns=["recency", "frequency", "monetary"])
    table.insert(0, "customer_id", [f"C{i}" for i in range(len(table))])
    options = {"k": k, "method": method, "outliers": outliers}
    try:
        first = segment_customers(table, **options)
    except ModelError as error:  # too few different customers for k
        assert any(reason in str(error) for reason in ("cannot be split", "too many", "to fit")), (
            error
        )
        return
    customers = first.customers
    assert customers["customer_id"].tolist() == table["customer_id"].tolist()
    assert sorted(customers["cluster"].unique()) == list(range(first.k))
    names = dict(zip(first.profiles.table["cluster"], first.profiles.table["segment"], strict=True))
    assert customers["segment"].tolist() == [names[c] for c in customers["cluster"]]
    assert len(set(names.values())) == first.k
    assert set(customers["rfm_segment"]) <= set(SEGMENTS)
    assert customers[["r_score", "f_score", "m_score"]].isin(range(1, 6)).all().all()
    second = segment_customers(table, **options)
    assert first.summary() == second.summary()
    pd.testing.assert_frame_equal(first.customers, second.customers)


@pytest.mark.real
def test_real_data_segments(real_customers):
    result = segment_customers(real_customers)
    assert 3 <= result.k <= 8
    assert result.k_reason.startswith(f"{result.k} clusters: silhouette ")
    table = result.profiles.table
    assert table["customers"].sum() == len(real_customers) == 4_338
    assert table["revenue_share"].sum() == pytest.approx(1.0)
    assert table["revenue"].sum() == pytest.approx(8_887_208.894, rel=1e-9)
    assert table["segment"].is_unique
    means = table["monetary_mean"].tolist()
    assert means == sorted(means, reverse=True)
    summary = result.summary()
    assert summary == segment_customers(real_customers).summary()
    assert json.loads(json.dumps(summary)) == summary


@pytest.mark.real
def test_real_data_rfm_scores_follow_the_quintiles(real_customers):
    table = real_customers.join(rfm_scores(real_customers))
    # Frequency cut points are 1, 2, 3 and 6 orders (README median 2): one score per value.
    f_by_frequency = table.groupby("frequency")["f_score"].agg(["min", "max"])
    assert (f_by_frequency["min"] == f_by_frequency["max"]).all()
    assert f_by_frequency.loc[[1, 2, 3, 4, 6, 7], "min"].tolist() == [1, 2, 3, 4, 4, 5]
    assert (table["r_score"].value_counts(normalize=True) - 0.2).abs().max() < 0.02


def test_demo_finds_the_five_planted_groups_and_names_them(demo):
    customers, groups = demo
    result = segment_customers(customers)
    assert result.k == 5, result.k_reason
    assert adjusted_rand_score(groups, result.customers["cluster"]) >= 0.9
    name_of_group = (
        pd.DataFrame({"group": groups, "segment": result.customers["segment"]})
        .groupby("group")["segment"]
        .agg(lambda names: names.mode().iloc[0])
    )
    assert name_of_group["champions"] == "Champions"
    assert name_of_group["loyal"] in {"Loyal Customers", "Champions", "Potential Loyalists"}
    assert name_of_group["loyal"] != name_of_group["champions"]
    assert name_of_group["new"] in {"New Customers", "Promising"}
    assert name_of_group["at_risk"] in {"At Risk", "Can't Lose Them", "About to Sleep"}
    assert name_of_group["lost"] in {"Lost", "Hibernating"}
