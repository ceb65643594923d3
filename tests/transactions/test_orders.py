"""Order totals computed by hand on a tiny table."""

from __future__ import annotations

import pandas as pd

from segmentation.engine import as_table, connect
from segmentation.transactions.orders import LINES, PRODUCTS, order_purchases, order_totals

FRAME = pd.DataFrame(
    {
        "step": [0, 0, 0, 0, 1, 0, 0],
        "invoice_no": ["1", "1", "2", "3", "3", "4", "3"],
        "stock_code": ["A", "B", "A", "C", "D", "E", None],
        "quantity": [2.0, 1.0, 4.0, 1.0, 5.0, 3.0, 1.0],
        "invoice_date": pd.to_datetime(
            [
                "2024-01-01 10:00",
                "2024-01-01 10:05",
                "2024-01-20 18:00",
                "2024-01-30 12:00",
                "2024-01-30 12:00",
                "2024-02-02 09:00",
                "2024-01-30 12:00",
            ]
        ),
        "total_purchase": [10.0, 10.0, 20.0, 3.5, 7.0, 6.0, 1.0],
        "customer_id": ["b", "b", "b", "a", "a", None, "a"],
        "country": ["France", "France", "Germany", "Spain", "Spain", "EIRE", "Spain"],
    }
)


def _orders(*keys: str) -> pd.DataFrame:
    backend = connect()
    orders = backend.to_pandas(order_totals(as_table(FRAME, backend), *keys))
    by = [*keys, "invoice_no"]
    return orders.sort_values(by).set_index(by)


def test_one_row_per_order_with_exact_sums():
    orders = _orders()
    assert orders.index.tolist() == ["1", "2", "3", "4"]
    first = orders.loc["1"]
    assert (first[LINES], first["monetary"], first["total_quantity"]) == (2, 20, 3)
    assert first["first_purchase"] == pd.Timestamp("2024-01-01 10:00")
    assert first["last_purchase"] == pd.Timestamp("2024-01-01 10:05")
    # customer b bought A and B in order 1 and A again in order 2: two products, on both
    assert orders.loc[["1", "2"], PRODUCTS].tolist() == [2, 2]
    # C, D and a line without a stock code, which counts as one product
    assert orders.loc["3", LINES] == 3 and orders.loc["3", PRODUCTS] == 3
    # a line without a customer id is an order of its own, with its products
    assert pd.isna(orders.loc["4", "customer_id"]) and orders.loc["4", PRODUCTS] == 1


def test_keys_split_orders_and_products():
    orders = _orders("step")
    assert orders.loc[(0, "3"), LINES] == 2 and orders.loc[(1, "3"), LINES] == 1
    assert orders.loc[(0, "3"), PRODUCTS] == 2 and orders.loc[(1, "3"), PRODUCTS] == 1
    assert orders.loc[(0, "1"), PRODUCTS] == 2


def test_purchases_are_one_row_per_customer_and_order_by_hand():
    backend = connect()
    purchases = order_purchases(order_totals(as_table(FRAME, backend)), backend)
    # the guest order 4 is left out; a's order 3 is one purchase of its three lines
    assert purchases.columns.tolist() == [
        "customer_id",
        "invoice_no",
        "invoice_date",
        "revenue",
        "total_quantity",
        "lines",
        "country",
    ]
    assert purchases["customer_id"].tolist() == ["a", "b", "b"]
    assert purchases["invoice_no"].tolist() == ["3", "1", "2"]
    assert purchases["revenue"].tolist() == [11.5, 20.0, 20.0]
    assert purchases["total_quantity"].tolist() == [7.0, 3.0, 4.0]
    assert purchases["lines"].tolist() == [3, 2, 1]
    assert purchases["country"].tolist() == ["Spain", "France", "Germany"]
    assert purchases["invoice_date"].tolist() == [
        pd.Timestamp("2024-01-30 12:00"),
        pd.Timestamp("2024-01-01 10:00"),
        pd.Timestamp("2024-01-20 18:00"),
    ]


def test_an_order_in_two_countries_is_one_purchase_on_its_first_date():
    frame = FRAME.assign(country=["France", "Spain", "Germany", "Spain", "Spain", "EIRE", "Spain"])
    backend = connect()
    orders = order_totals(as_table(frame, backend))
    assert backend.to_pandas(orders)["invoice_no"].value_counts()["1"] == 2
    purchases = order_purchases(orders, backend).set_index("invoice_no")
    assert purchases.loc["1", "revenue"] == 20.0
    assert purchases.loc["1", "invoice_date"] == pd.Timestamp("2024-01-01 10:00")
    # one line in France, one in Spain: the tie goes to the first name alphabetically
    assert purchases.loc["1", ["lines", "country"]].tolist() == [2, "France"]
    # a's order 3: two lines in Spain, one in EIRE
    three = frame.assign(country=["France", "Spain", "Germany", "Spain", "Spain", "EIRE", "EIRE"])
    purchases = order_purchases(order_totals(as_table(three, backend)), backend)
    assert purchases.set_index("invoice_no").loc["3", ["lines", "country"]].tolist() == [3, "Spain"]
