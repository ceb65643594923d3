"""The catalogue and the customer × product table, by hand on a tiny table."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.products.catalogue import (
    ProductsUnavailable,
    catalogue,
    customer_products,
)
from segmentation.transactions.cleaning import CleaningOptions, clean_transactions


def lines(rows: list[tuple]) -> pd.DataFrame:
    """Canonical transaction lines from (invoice, code, description, quantity, date, price,
    customer) tuples."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "invoice_no",
            "stock_code",
            "description",
            "quantity",
            "invoice_date",
            "unit_price",
            "customer_id",
        ],
    )
    frame["invoice_date"] = pd.to_datetime(frame["invoice_date"])
    frame = frame.astype({"quantity": "float64", "unit_price": "float64"})
    text = ("invoice_no", "stock_code", "description", "customer_id")
    return frame.astype({c: "str" for c in text})


LINES = lines(
    [
        ("1", "A", "RED MUG", 2, "2024-01-01 10:00", 5.0, "x"),
        ("1", "K", "WHITE CANDLE", 1, "2024-01-01 10:00", 10.0, "x"),
        ("1", "POST", "POSTAGE", 1, "2024-01-01 10:00", 18.0, "x"),
        ("2", "A", "RED MUG", 4, "2024-01-20 18:00", 4.0, "x"),
        ("3", "A", "MUG RED", 1, "2024-01-30 12:00", 6.0, "y"),
        ("3", "M", "Manual", 1, "2024-01-30 12:00", 100.0, "y"),
        ("3", "C", "BLUE CANDLE", 3, "2024-01-30 12:00", 2.0, "y"),
    ]
)


def test_catalogue_by_hand():
    table = catalogue(clean_transactions(LINES))
    assert table["stock_code"].tolist() == ["A", "K", "C"]  # revenue 32, 10, 6
    a = table.iloc[0]
    assert a.description == "RED MUG"  # its most frequent description
    assert (a.customers, a.orders, a.quantity, a.revenue) == (2, 3, 7.0, 32.0)
    assert a.median_price == 5.0
    assert a.first_sale == pd.Timestamp("2024-01-01 10:00")
    assert a.last_sale == pd.Timestamp("2024-01-30 12:00")


@pytest.mark.parametrize("step", [False, True])
def test_non_product_codes_never_appear(step: bool):
    clean = clean_transactions(LINES, CleaningOptions(non_product=step))
    assert not {"POST", "M"} & set(catalogue(clean)["stock_code"])
    assert not {"POST", "M"} & set(customer_products(clean)["stock_code"])


def test_codes_of_the_options_are_left_out_too():
    clean = clean_transactions(LINES)
    codes = ("C", "POST", "M")
    assert catalogue(clean, codes)["stock_code"].tolist() == ["A", "K"]


def test_customer_products_by_hand_and_until():
    clean = clean_transactions(LINES)
    pairs = customer_products(clean)
    assert pairs[["customer_id", "stock_code"]].values.tolist() == [
        ["x", "A"],
        ["x", "K"],
        ["y", "A"],
        ["y", "C"],
    ]
    xa = pairs.iloc[0]
    assert (xa.orders, xa.quantity, xa.revenue) == (2, 6.0, 26.0)
    assert xa.first_purchase == pd.Timestamp("2024-01-01 10:00")
    # lines on or before the day: the purchase at 18:00 on the 20th counts
    until = customer_products(clean, until="2024-01-20")
    assert until[["customer_id", "stock_code", "orders"]].values.tolist() == [
        ["x", "A", 2],
        ["x", "K", 1],
    ]


def test_no_descriptions_is_one_sentence():
    clean = clean_transactions(LINES.drop(columns="description"))
    with pytest.raises(ProductsUnavailable, match="no product description column"):
        catalogue(clean)


def test_the_query_memory_limit_is_lifted_after_and_spills_go_to_the_temp_folder():
    from segmentation.products import catalogue as module

    clean = clean_transactions(LINES)
    setting = "SELECT current_setting('memory_limit')"
    before = clean.backend.raw_sql(setting).fetchone()[0]
    customer_products(clean)
    assert clean.backend.raw_sql(setting).fetchone()[0] == before
    spill = clean.backend.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]
    assert spill == str(module.SPILL_DIRECTORY)
