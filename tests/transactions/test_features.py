"""Customer features computed by hand on a tiny table."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.errors import DataError
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.features import (
    customer_features,
    customers_as_of,
    default_snapshot,
)


def _clean(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=[
            "invoice_no",
            "stock_code",
            "quantity",
            "invoice_date",
            "unit_price",
            "customer_id",
            "country",
        ],
    )
    frame["invoice_date"] = pd.to_datetime(frame["invoice_date"])
    frame = frame.astype({"quantity": "float64", "unit_price": "float64"})
    return frame.astype({c: "str" for c in ("invoice_no", "stock_code", "customer_id", "country")})


LINES = _clean(
    [
        ("1", "A", 2, "2024-01-01 10:00", 5.0, "b", "France"),
        ("1", "B", 1, "2024-01-01 10:00", 10.0, "b", "France"),
        ("2", "A", 4, "2024-01-20 18:00", 5.0, "b", "Germany"),
        ("3", "C", 1, "2024-01-30 12:00", 3.5, "a", "Spain"),
        ("4", "C", 1, "2024-01-30 12:00", 3.5, "a", "EIRE"),
    ]
)


def test_rfm_by_hand():
    result = clean_transactions(LINES)
    customers = customer_features(result)
    assert customers["customer_id"].tolist() == ["a", "b"]
    a, b = customers.iloc[0], customers.iloc[1]
    # Snapshot: last date 2024-01-30 12:00 + 1 day = 2024-01-31 12:00.
    assert default_snapshot(result) == pd.Timestamp("2024-01-31 12:00")
    assert (a.recency, a.frequency, a.monetary) == (1, 2, 7.0)
    # b: last purchase 2024-01-20 18:00 -> 10 days 18 hours -> 10 whole days.
    assert (b.recency, b.frequency, b.monetary) == (10, 2, 40.0)
    assert b.total_quantity == 7 and b.avg_order_value == 20.0
    assert b.tenure_days == 30 and b.distinct_products == 2
    # Ties between countries go to the first name alphabetically.
    assert a.country == "EIRE" and b.country == "France"


def test_frame_and_clean_result_give_the_same_table():
    result = clean_transactions(LINES)
    pd.testing.assert_frame_equal(customer_features(result), customer_features(result.data))


def test_guests_kept_are_one_customer_with_every_feature():
    from segmentation.transactions.cleaning import CleaningOptions

    rows = [("5", "A", 1, "2024-01-02 10:00", 2.0, None, "France")]
    lines = pd.concat([LINES, _clean(rows).assign(customer_id=None)], ignore_index=True)
    options = CleaningOptions(missing_customer_id=False)
    customers = customer_features(clean_transactions(lines, options))
    guest = customers[customers["customer_id"].isna()].iloc[0]
    assert (guest.frequency, guest.distinct_products, guest.country) == (1, 1, "France")
    assert customers["distinct_products"].dtype == "int64"


def test_snapshot_date_can_be_set():
    result = clean_transactions(LINES)
    customers = customer_features(result, "2024-02-10")
    assert customers["recency"].tolist() == [10, 20]
    with pytest.raises(
        DataError, match="snapshot date 2024-01-15 00:00 is before the last purchase"
    ):
        customer_features(result, "2024-01-15")
    with pytest.raises(DataError, match="'tomorrow' is not a date; write it as YYYY-MM-DD"):
        customer_features(result, "tomorrow")


def test_input_is_not_mutated_and_total_purchase_is_required():
    before = LINES.copy()
    customer_features(clean_transactions(LINES))
    pd.testing.assert_frame_equal(LINES, before)
    with pytest.raises(DataError, match="pass them through clean_transactions first"):
        customer_features(LINES)


def test_amount_only_without_country():
    frame = pd.DataFrame(
        {
            "invoice_no": ["x", "y"],
            "invoice_date": pd.to_datetime(["2024-03-01", "2024-03-05"]),
            "customer_id": ["7", "7"],
            "amount": [12.0, 8.0],
        }
    ).astype({"invoice_no": "str", "customer_id": "str"})
    customers = customer_features(clean_transactions(frame))
    assert customers.columns.tolist() == [
        "customer_id",
        "recency",
        "frequency",
        "monetary",
        "avg_order_value",
        "tenure_days",
    ]
    assert customers.iloc[0].tolist() == ["7", 1, 2, 20.0, 10.0, 5]


#: An order table by hand: x buys on 03-01, late on 03-05 and just after midnight; y at
#: midnight on 03-05; z after the dates asked.
ORDERS = pd.DataFrame(
    {
        "customer_id": ["x", "x", "x", "y", "z"],
        "invoice_no": ["1", "2", "3", "4", "5"],
        "invoice_date": pd.to_datetime(
            [
                "2024-03-01 09:00",
                "2024-03-05 23:59",
                "2024-03-06 00:30",
                "2024-03-05 00:00",
                "2024-03-10 12:00",
            ]
        ),
        "revenue": [0.1, 0.2, 5.0, 10.0, 99.0],
        "total_quantity": [1.0, 2.0, 1.0, 4.0, 1.0],
        "lines": [1, 2, 1, 1, 1],
        "country": ["Spain", "France", "Spain", "EIRE", "Italy"],
    }
)


def test_customers_as_of_a_date_by_hand():
    original = ORDERS.copy()
    table = customers_as_of(ORDERS, "2024-03-05")
    assert table.snapshot_date == pd.Timestamp("2024-03-06")
    customers = table.customers
    assert customers.columns.tolist() == [
        "customer_id",
        "recency",
        "frequency",
        "monetary",
        "total_quantity",
        "avg_order_value",
        "tenure_days",
        "country",
    ]
    x, y = customers.set_index("customer_id").loc[["x", "y"]].to_dict("records")
    # an order at 23:59 and one at midnight both belong to 03-05: recency 1 to 03-06
    assert (x["recency"], x["frequency"], x["tenure_days"], x["total_quantity"]) == (1, 2, 5, 3)
    assert x["monetary"] == 0.3 and 0.1 + 0.2 != 0.3  # summed exactly, as the engine does
    assert x["avg_order_value"] == 0.15
    assert x["country"] == "France"  # two lines in France, one in Spain
    assert (y["recency"], y["frequency"], y["tenure_days"], y["country"]) == (1, 1, 1, "EIRE")
    pd.testing.assert_frame_equal(ORDERS, original)


def test_the_next_day_adds_its_orders_and_ties_go_to_the_first_country():
    customers = customers_as_of(ORDERS, pd.Timestamp("2024-03-09 18:00")).customers
    x = customers.set_index("customer_id").loc["x"]
    assert (x["recency"], x["frequency"], x["monetary"], x["tenure_days"]) == (4, 3, 5.3, 9)
    assert x["country"] == "France"  # two lines in France, two in Spain
    assert customers["customer_id"].tolist() == ["x", "y"]


def test_customers_as_of_the_wall_clock_date_and_before_any_order():
    local = ORDERS.assign(invoice_date=ORDERS["invoice_date"].dt.tz_localize("Europe/London"))
    pd.testing.assert_frame_equal(
        customers_as_of(local, "2024-03-05").customers,
        customers_as_of(ORDERS, "2024-03-05").customers,
    )
    empty = customers_as_of(ORDERS, "2024-02-29").customers
    assert empty.empty and "recency" in empty.columns
