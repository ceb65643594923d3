"""The backtest's measures by hand on three customers, and its dates."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.errors import DataError
from segmentation.products.backtest import backtest_recommendations, hit_rate_and_recall
from segmentation.transactions.cleaning import clean_transactions
from tests.products.test_catalogue import lines


def _rows(pairs: str) -> pd.DataFrame:
    """``"a:P1 a:P2"`` as rows of customer_id, stock_code."""
    return pd.DataFrame(
        [p.split(":") for p in pairs.split()], columns=["customer_id", "stock_code"]
    )


def test_hit_rate_and_recall_by_hand():
    lists = _rows("a:P1 a:P2 b:P3 b:P4 c:P1 c:P5")
    relevant = _rows("a:P2 a:P9 a:P8 b:P7 c:P1 c:P5 c:P6")
    found = hit_rate_and_recall(lists, relevant, top=2)
    # a: 1 hit of min(2, 3) = 1/2; b: 0 of 1; c: 2 of min(2, 3) = 1
    assert found == {"customers": 3, "hit_rate": round(2 / 3, 4), "recall": 0.5}


def test_customers_without_relevant_products_do_not_count():
    found = hit_rate_and_recall(_rows("a:P1 d:P2"), _rows("a:P1"), top=10)
    assert found == {"customers": 1, "hit_rate": 1.0, "recall": 1.0}


LINES = lines(
    [
        ("1", "A", "RED MUG", 1, "2024-01-01 10:00", 5.0, "x"),
        ("1", "K", "WHITE CANDLE", 1, "2024-01-01 10:00", 5.0, "x"),
        ("2", "A", "RED MUG", 1, "2024-01-02 10:00", 5.0, "y"),
        ("3", "A", "RED MUG", 1, "2024-02-01 10:00", 5.0, "x"),
        ("4", "K", "WHITE CANDLE", 1, "2024-02-02 10:00", 5.0, "y"),
    ]
)


def test_backtest_of_a_tiny_shop():
    result = backtest_recommendations(clean_transactions(LINES), "2024-01-15", top=1)
    # x bought A again; before the end x had A and K in one order, a tie that A wins by
    # its code. y bought K, new to them, and K is the only product y had not bought.
    assert result.buy_again["customers"] == 1 and result.buy_again["hit_rate"] == 1.0
    assert result.discover["customers"] == 1 and result.discover["hit_rate"] == 1.0
    assert result.discover["baseline"]["hit_rate"] == 1.0
    assert result.to_dict()["calibration_end"] == "2024-01-15"
    assert result.sentences()[0].startswith("Discover: of the 1 customers who bought")


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2023-12-01", "outside the data"),
        ("2024-02-02", "is the last purchase date"),
        ("2024-13-45", "is not a date"),
    ],
)
def test_bad_calibration_ends_are_one_sentence(day: str, message: str):
    with pytest.raises(DataError, match=message):
        backtest_recommendations(clean_transactions(LINES), day)
