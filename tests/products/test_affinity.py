"""Segment affinity by hand on a tiny table."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.products.affinity import segment_affinity
from segmentation.products.categories import Categories

CATALOGUE = pd.DataFrame(
    {"stock_code": ["M1", "M2", "C1"], "description": ["RED MUG", "BLUE MUG", "CANDLE"]}
)
CATEGORIES = Categories(
    products=pd.DataFrame(
        {"stock_code": ["M1", "M2", "C1"], "category": ["Mugs"] * 2 + ["Candles"]}
    ),
    table=pd.DataFrame(
        {
            "category": ["Mugs", "Candles"],
            "products": [2, 1],
            "revenue": [0.0, 0.0],
            "revenue_share": [0.5, 0.5],
            "words": ["mug", "candle"],
        }
    ),
    source="uploaded",
)


def _pairs(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "stock_code", "revenue"])


def test_shares_and_lift_by_hand():
    pairs = _pairs([("a", "M1", 30.0), ("a", "C1", 10.0), ("b", "M2", 20.0), ("c", "C1", 40.0)])
    segments = pd.Series({"a": "Mugs fans", "b": "Mugs fans", "c": "Candle fans"})
    found = segment_affinity(pairs, CATEGORIES, segments, CATALOGUE, min_buyers=1)
    # Mugs fans: 50 of 60 on mugs; everyone: 50 of 100 on mugs
    assert found.shares.loc["Mugs fans", "Mugs"] == pytest.approx(50 / 60)
    assert found.shares.sum(axis=1).tolist() == pytest.approx([1.0, 1.0])
    assert found.lift.loc["Mugs fans", "Mugs"] == pytest.approx((50 / 60) / 0.5)
    assert found.lift.loc["Candle fans", "Candles"] == pytest.approx(1.0 / 0.5)
    assert found.sentence("Candle fans") == "Offer Candles: 2.0x the average customer's share"
    # C1: bought by 1 of 1 candle fans, 2 of 3 customers -> lift 1.5
    top = found.top_products.set_index(["segment", "stock_code"])
    assert top.loc[("Candle fans", "C1"), "lift"] == pytest.approx(1.5)
    assert top.loc[("Mugs fans", "M1"), "buyers_share"] == pytest.approx(0.5)
    assert top.loc[("Mugs fans", "M1"), "lift"] == pytest.approx(0.5 / (1 / 3))


def test_one_buyer_cannot_make_a_product_typical():
    pairs = _pairs([("a", "M1", 30.0), ("b", "M2", 20.0), ("c", "C1", 40.0)])
    segments = pd.Series({"a": "S", "b": "S", "c": "T"})
    found = segment_affinity(pairs, CATEGORIES, segments, CATALOGUE, min_buyers=2)
    assert found.top_products.empty
    assert pairs.equals(_pairs([("a", "M1", 30.0), ("b", "M2", 20.0), ("c", "C1", 40.0)]))
