"""Movement between two dates, worked out by hand on a tiny shop, and its properties.

The shop has six customers by 2024-06-30 and one more after it; the dates compared are
2024-03-31 and 2024-06-30, so recency counts days to 2024-04-01 and to 2024-07-01:

======  ==============================================  ==============  ==============
who     orders (one line each, £)                       on 2024-03-31   on 2024-06-30
======  ==============================================  ==============  ==============
A       01-10, 02-10, 03-10 (100 each); 04-10, 05-10,   R 22, F 3       R 11, F 6
        06-20 (100 each); 07-05 (1,000, after the end)
B       01-05, 02-05, 03-25 (50 each); then nothing     R 7, F 3        R 98, F 3
C       01-15 (20), 03-31 at 15:00 (30)                 R 1, F 2        R 92, F 2
D       01-20 (10); 06-25 (40), 06-30 at 15:00 (60)     R 72, F 1       R 1, F 3
E       05-15 (25), 06-01 (35): new                     --              R 30, F 2
H       2023-12-01 (5)                                  R 122, F 1      R 213, F 1
G       07-10 (999): after the later date               --              --
======  ==============================================  ==============  ==============

With six customers the 20/40/60/80th percentiles are the 2nd to 5th smallest values, so
the cut points of 2024-06-30 are recency 11, 30, 92, 98 and frequency 2, 2, 3, 3 (R = 5 -
cut points at or below, F = 1 + cut points strictly below). Scored against them:

* A: (4, 3) Potential Loyalists -> (4, 5) Loyal Customers
* B: (5, 3) Potential Loyalists -> (1, 3) At Risk (lapsed)
* C: (5, 1) New Customers -> (2, 1) Hibernating (the purchase at 15:00 on 03-31 counts
  for the first date; without it C would be About to Sleep there)
* D: (3, 1) About to Sleep -> (5, 3) Potential Loyalists (came back)
* E: New since 2024-03-31 -> (3, 1) About to Sleep
* H: (1, 1) Lost -> (1, 1) Lost (stayed)
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmentation.demo import DEMO_TRANSACTIONS
from segmentation.errors import ModelError
from segmentation.movement.flows import FROM_SEGMENT, TO_SEGMENT, largest_flow_sentence, migrate
from segmentation.movement.snapshots import customer_snapshots, default_dates
from segmentation.read.loading import Transactions, load_transactions
from segmentation.segments.preparation import prepare_like
from segmentation.segments.profiles import CLUSTER, SEGMENT
from segmentation.segments.rfm import RFM_SEGMENT, rfm_scores, score_cut_points
from segmentation.segments.segment import segment_customers
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.features import customers_as_of
from segmentation.transactions.orders import order_purchases
from tests.test_properties import PROPERTY_SETTINGS

COLUMNS = ["invoice_no", "stock_code", "quantity", "invoice_date", "unit_price", "customer_id"]
ORDERS = {
    "A": [
        ("2024-01-10", 100),
        ("2024-02-10", 100),
        ("2024-03-10", 100),
        ("2024-04-10", 100),
        ("2024-05-10", 100),
        ("2024-06-20", 100),
        ("2024-07-05", 1000),
    ],
    "B": [("2024-01-05", 50), ("2024-02-05", 50), ("2024-03-25", 50)],
    "C": [("2024-01-15", 20), ("2024-03-31 15:00", 30)],
    "D": [("2024-01-20", 10), ("2024-06-25", 40), ("2024-06-30 15:00", 60)],
    "E": [("2024-05-15", 25), ("2024-06-01", 35)],
    "H": [("2023-12-01", 5)],
    "G": [("2024-07-10", 999)],
}
FROM, TO = "2024-03-31", "2024-06-30"
#: (from segment, to segment, customers, revenue before, revenue after), in matrix order.
FLOWS = [
    ("Potential Loyalists", "Loyal Customers", 1, 300.0, 300.0),
    ("Potential Loyalists", "At Risk", 1, 150.0, 0.0),
    ("New Customers", "Hibernating", 1, 50.0, 0.0),
    ("About to Sleep", "Potential Loyalists", 1, 10.0, 100.0),
    ("Lost", "Lost", 1, 5.0, 0.0),
    ("New since 2024-03-31", "About to Sleep", 1, 0.0, 60.0),
]


def shop() -> pd.DataFrame:
    rows = [
        (f"i{who}{n}", "P", 1.0, pd.Timestamp(day), float(price), who)
        for who, orders in ORDERS.items()
        for n, (day, price) in enumerate(orders)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def orders_of(lines: Transactions | pd.DataFrame) -> pd.DataFrame:
    """The order table of the clean ``lines``, as the pipeline fetches it."""
    cleaned = clean_transactions(lines)
    return order_purchases(cleaned.orders, cleaned.backend)


@pytest.fixture(scope="module")
def orders():
    return orders_of(shop())


@pytest.fixture(scope="module")
def snapshots(orders):
    return customer_snapshots(orders, FROM, TO)


def test_each_date_has_its_own_customer_table(snapshots):
    before, after = (
        snapshots.before.set_index("customer_id"),
        snapshots.after.set_index("customer_id"),
    )
    assert before.index.tolist() == ["A", "B", "C", "D", "H"]
    assert after.index.tolist() == ["A", "B", "C", "D", "E", "H"]
    assert before["recency"].to_dict() == {"A": 22, "B": 7, "C": 1, "D": 72, "H": 122}
    assert before["frequency"].to_dict() == {"A": 3, "B": 3, "C": 2, "D": 1, "H": 1}
    assert after["recency"].to_dict() == {"A": 11, "B": 98, "C": 92, "D": 1, "E": 30, "H": 213}
    assert after["frequency"].to_dict() == {"A": 6, "B": 3, "C": 2, "D": 3, "E": 2, "H": 1}
    assert after.loc["A", "monetary"] == 600.0  # the 1,000 of 07-05 is after the later date
    assert (snapshots.first_date, snapshots.last_date) == (date(2023, 12, 1), date(2024, 7, 10))


def test_a_purchase_during_the_day_belongs_to_that_date(orders):
    on_the_day = customers_as_of(orders, "2024-03-31")
    the_day_before = customers_as_of(orders, "2024-03-30").customers.set_index("customer_id")
    c = on_the_day.customers.set_index("customer_id").loc["C"]
    assert on_the_day.snapshot_date == pd.Timestamp("2024-04-01")
    assert (c["recency"], c["frequency"], c["monetary"]) == (1, 2, 50.0)
    assert the_day_before.loc["C", "frequency"] == 1


def test_rfm_flows_by_hand(snapshots):
    movement = migrate(snapshots, "rfm")
    flows = [tuple(row) for row in movement.transitions.itertuples(index=False)]
    assert flows == FLOWS
    by_customer = movement.customers.set_index("customer_id")
    assert by_customer.loc["C", FROM_SEGMENT] == "New Customers"
    assert by_customer.loc["H", TO_SEGMENT] == "Lost"
    assert movement.from_order == (
        "Potential Loyalists",
        "New Customers",
        "About to Sleep",
        "Lost",
        "New since 2024-03-31",
    )
    matrix = movement.matrix()
    assert matrix.loc["Potential Loyalists"].sum() == 2
    shares = movement.matrix(shares=True)
    assert shares.loc["Potential Loyalists", "At Risk"] == 0.5
    assert np.allclose(shares.sum(axis=1), 1)


def test_the_cut_points_of_the_later_date_judge_both_dates(snapshots):
    movement = migrate(snapshots, "rfm")
    assert movement.model["recency"] == [11, 30, 92, 98]
    assert movement.model["frequency"] == [2, 2, 3, 3]
    assert movement.model["cut_points_of"] == "the customers on 2024-06-30"
    held = rfm_scores(snapshots.before, score_cut_points(snapshots.after))[RFM_SEGMENT]
    assert (
        movement.customers.set_index("customer_id")
        .loc[snapshots.before["customer_id"], FROM_SEGMENT]
        .tolist()
        == held.tolist()
    )
    # the earlier date's own cut points would name its customers differently
    assert rfm_scores(snapshots.before)[RFM_SEGMENT].tolist() != held.tolist()


def test_flows_in_words(snapshots):
    movement = migrate(snapshots, "rfm")
    assert largest_flow_sentence(movement) == (
        "1 customer of Potential Loyalists on 2024-03-31 is Loyal Customers by 2024-06-30: "
        "£300 of revenue up to 2024-03-31, £300 since."
    )
    sentences = movement.sentences()
    assert sentences[-2] == (
        "1 of the 5 customers of 2024-03-31 (20%) is in the same segment on 2024-06-30."
    )
    assert sentences[-1] == (
        "1 customer new since 2024-03-31 is About to Sleep by 2024-06-30: £60 of revenue since."
    )
    summary = movement.summary()
    assert summary["customers_from"] == 5 and summary["customers_to"] == 6
    assert summary["new_customers"] == 1
    assert summary["revenue_before"] == 515.0 and summary["revenue_after"] == 460.0
    counts = {s["segment"]: (s["customers_from"], s["customers_to"]) for s in summary["segments"]}
    assert counts["Potential Loyalists"] == (2, 1) and counts["At Risk"] == (0, 1)


def test_the_customers_of_one_flow(snapshots):
    movement = migrate(snapshots, "rfm")
    lapsed = movement.flow_customers("Potential Loyalists", "At Risk")
    assert lapsed["customer_id"].tolist() == ["B"]
    assert lapsed[["revenue_before", "revenue_after", "recency"]].iloc[0].tolist() == [150, 0, 98]


def test_default_dates():
    assert default_dates(date(2010, 12, 1), date(2011, 12, 9)) == (
        date(2011, 9, 10),
        date(2011, 12, 9),
    )
    # data shorter than 90 days: the middle of the period
    assert default_dates(date(2024, 1, 1), date(2024, 1, 31)) == (
        date(2024, 1, 16),
        date(2024, 1, 31),
    )


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (TO, FROM, "The dates are in the wrong order: 2024-06-30 is not before 2024-03-31"),
        (FROM, FROM, "The dates are in the wrong order"),
        (FROM, "2024-08-01", "The date 2024-08-01 is after the end of the data (2024-07-10)"),
        ("2023-11-30", TO, "No customer had bought anything by 2023-11-30"),
        ("2023-01-01", "2023-02-01", "No customer had bought anything by 2023-01-01"),
        ("31/03/2024", TO, "The first date '31/03/2024' is not a date; write it as YYYY-MM-DD."),
    ],
)
def test_bad_dates_are_one_sentence(orders, start, end, message):
    with pytest.raises(ModelError) as error:
        customer_snapshots(orders, start, end)
    text = str(error.value)
    assert text.startswith(message) and text.endswith(".") and "\n" not in text


def test_unknown_kind(snapshots):
    with pytest.raises(ModelError, match="Unknown kind of segments 'tribe'"):
        migrate(snapshots, "tribe")


@pytest.fixture(scope="module")
def demo_snapshots():
    return customer_snapshots(orders_of(load_transactions(DEMO_TRANSACTIONS)))


def test_clusters_of_the_later_fit_at_both_dates(demo_snapshots):
    snapshots = demo_snapshots
    fitted = segment_customers(snapshots.after, k=4)
    movement = migrate(snapshots, "cluster", fitted=fitted)
    names = fitted.profiles.table[SEGMENT].tolist()
    by_customer = movement.customers.set_index("customer_id")
    # the later date: the fit's own clusters
    assert by_customer[TO_SEGMENT].tolist() == [names[c] for c in fitted.customers[CLUSTER]]
    # the earlier date: the same preparation, the nearest cluster mean
    matrix = prepare_like(snapshots.before, fitted.prepared)
    labels = fitted.customers[CLUSTER].to_numpy()
    means = np.array([fitted.prepared.matrix[labels == c].mean(axis=0) for c in range(4)])
    nearest = ((matrix[:, None] - means[None]) ** 2).sum(axis=2).argmin(axis=1)
    then = by_customer.loc[snapshots.before["customer_id"], FROM_SEGMENT]
    assert then.tolist() == [names[c] for c in nearest]
    assert set(movement.from_order) <= {*names, movement.new_label}
    assert movement.model["k"] == 4 and movement.model["fitted_on"].endswith(
        f"{snapshots.to_date:%Y-%m-%d}"
    )
    assert movement.model["nearest_mean_agrees_with_fit"] > 0.98
    # options instead of a fit give the same movement
    again = migrate(snapshots, "cluster", k=4)
    pd.testing.assert_frame_equal(again.transitions, movement.transitions)


def test_features_the_orders_cannot_give_by_date_are_left_out_with_a_note(demo_snapshots):
    chosen = ("recency", "frequency", "distinct_products")
    movement = migrate(demo_snapshots, "cluster", features=chosen, k=3)
    assert movement.model["features"] == ["recency", "frequency"]
    assert movement.notes[-1] == (
        "The segments at 2024-12-08 leave out distinct_products, which the orders do not give "
        "by date."
    )
    with pytest.raises(ModelError, match="cannot use distinct_products"):
        migrate(demo_snapshots, "cluster", features=("distinct_products",))


def test_every_customer_of_the_later_date_is_in_exactly_one_flow_on_the_demo(demo_snapshots):
    for kind in ("rfm", "cluster"):
        movement = migrate(demo_snapshots, kind)
        customers = movement.customers
        assert customers["customer_id"].is_unique
        assert customers["customer_id"].tolist() == demo_snapshots.after["customer_id"].tolist()
        assert movement.transitions["customers"].sum() == len(demo_snapshots.after)
        assert movement.matrix().to_numpy().sum() == len(demo_snapshots.after)


#: Lines of a small shop over a year: customer, date, amount.
purchase = st.tuples(
    st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31)),
    st.sampled_from([0, 9, 15, 23]),
    st.sampled_from([1.5, 10.0, 99.99]),
)


@PROPERTY_SETTINGS
@given(
    lines=st.lists(purchase, min_size=2, max_size=25),
    cut=st.floats(0.05, 0.95),
    end=st.floats(0.5, 1.0),
)
def test_every_customer_who_bought_by_the_later_date_is_in_exactly_one_flow(lines, cut, end):
    frame = pd.DataFrame(
        [
            (f"i{n}", "P", 1.0, pd.Timestamp(day) + pd.Timedelta(hours=hour), price, who)
            for n, (who, day, hour, price) in enumerate(lines)
        ],
        columns=COLUMNS,
    )
    days = frame["invoice_date"].dt.normalize()
    first, last = days.min(), days.max()
    if first == last:
        return
    later = first + pd.Timedelta(days=round((last - first).days * end))
    earlier = first + pd.Timedelta(days=round((later - first).days * cut))
    if earlier >= later:
        return
    snapshots = customer_snapshots(orders_of(frame), earlier.date(), later.date())
    movement = migrate(snapshots, "rfm")
    bought = frame[days <= later]
    before = frame[days <= earlier]
    customers = movement.customers.set_index("customer_id")
    assert sorted(customers.index) == sorted(bought["customer_id"].unique())
    assert movement.transitions["customers"].sum() == bought["customer_id"].nunique()
    new = customers[FROM_SEGMENT] == movement.new_label
    assert sorted(customers.index[~new]) == sorted(before["customer_id"].unique())
    spent_before = before.groupby("customer_id")["unit_price"].sum()
    spent = bought.groupby("customer_id")["unit_price"].sum()
    assert np.allclose(customers.loc[spent_before.index, "revenue_before"], spent_before)
    assert np.allclose(
        customers.loc[spent.index, "revenue_after"],
        spent - spent_before.reindex(spent.index, fill_value=0),
    )
    assert np.isclose(
        movement.transitions["revenue_before"].sum() + movement.transitions["revenue_after"].sum(),
        bought["unit_price"].sum(),
    )
