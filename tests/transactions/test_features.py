"""Customer features computed by hand on a tiny table."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.errors import DataError
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.features import customer_features, default_snapshot


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
