"""Recommendations: EASE against a direct solve, the lists by hand, chunks, fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from segmentation.products import recommend as module
from segmentation.products.recommend import (
    buy_again,
    ease,
    popular_lists,
    recommend,
)


def _pairs(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "stock_code", "orders"])
    return frame.assign(quantity=frame["orders"] * 2.0)


PAIRS = _pairs(
    [
        ("a", "P1", 3),
        ("a", "P2", 1),
        ("b", "P1", 1),
        ("b", "P2", 2),
        ("b", "P3", 1),
        ("c", "P2", 1),
        ("c", "P3", 1),
        ("d", "P1", 1),
        ("d", "P4", 1),
        ("e", "P3", 1),
        ("e", "P4", 2),
    ]
)
CATALOGUE = pd.DataFrame(
    {"stock_code": ["P1", "P2", "P3", "P4"], "description": ["ONE", "TWO", "THREE", "FOUR"]}
)


def test_ease_matches_a_ridge_regression_of_each_product_on_the_others():
    rng = np.random.default_rng(3)
    dense = (rng.random((30, 6)) < 0.4).astype(float)
    weights = ease(sp.csr_matrix(dense), strength=0.5)
    penalty = 0.5 * (dense**2).sum(axis=0).mean()
    for j in range(6):
        others = np.delete(np.arange(6), j)
        x = dense[:, others]
        solved = np.linalg.solve(x.T @ x + penalty * np.eye(5), x.T @ dense[:, j])
        assert weights[others, j] == pytest.approx(solved, abs=1e-5)
        assert weights[j, j] == 0.0


def test_buy_again_by_hand():
    lists = buy_again(PAIRS, CATALOGUE, top=2)
    # re-purchase rate: among buyers with 2+ orders (a, b, e), the share with 2+ orders of it
    # P1: a 3, b 1 -> 1/2; P2: a 1, b 2 -> 1/2; P3: b 1, e 1 -> 0; P4: e 2 -> 1
    a = lists[lists["customer_id"] == "a"]
    assert a["stock_code"].tolist() == ["P1", "P2"]
    assert a["score"].tolist() == pytest.approx([(3 + 0.5) / 4, (1 + 0.5) / 4])
    # c has one order: P2 (rate 1/2) before P3 (rate 0)
    c = lists[lists["customer_id"] == "c"]
    assert c["stock_code"].tolist() == ["P2", "P3"] and c["rank"].tolist() == [1, 2]


def test_popular_unbought_by_hand():
    lists = popular_lists(PAIRS, CATALOGUE, top=2)
    # buyers: P1 3, P2 3, P3 3, P4 2; ties by code
    assert lists[lists["customer_id"] == "a"]["stock_code"].tolist() == ["P3", "P4"]
    assert lists[lists["customer_id"] == "d"]["stock_code"].tolist() == ["P2", "P3"]
    # one place for two products tied on buyers: the smaller code, whichever scored first
    first = popular_lists(PAIRS, CATALOGUE, top=1).set_index("customer_id")["stock_code"]
    assert first[["d", "e"]].tolist() == ["P2", "P1"]


def test_discover_never_offers_what_was_bought_and_new_customers_fall_back():
    segments = pd.Series({"a": "S", "b": "S", "c": "T", "d": "T", "e": "T", "new": "S"})
    found = recommend(PAIRS, CATALOGUE, segments, top=3)
    lists = found.lists
    discover = lists[lists["kind"] == "discover"]
    owned = set(zip(PAIRS["customer_id"], PAIRS["stock_code"], strict=True))
    assert not owned & set(zip(discover["customer_id"], discover["stock_code"], strict=True))
    assert set(discover["customer_id"]) == {"a", "b", "c", "d", "e", "new"}
    new = found.for_customer("new")
    assert new["fallback"].all() and (new["kind"] == "discover").all()
    promoted = found.promote[found.promote["segment"] == "S"]["stock_code"].tolist()
    assert new["stock_code"].tolist() == promoted[: len(new)]
    assert not lists.loc[lists["customer_id"] != "new", "fallback"].any()
    assert set(lists["description"]) <= set(CATALOGUE["description"])
    campaign = found.campaign("T", segments, top=1)
    assert campaign["customer_id"].tolist() == ["c", "d", "e"]
    assert list(campaign.columns) == ["customer_id", "product_1", "description_1"]


def test_chunks_give_the_same_lists(monkeypatch: pytest.MonkeyPatch):
    segments = pd.Series("S", index=list("abcde"))
    whole = recommend(PAIRS, CATALOGUE, segments, top=2).lists
    monkeypatch.setattr(module, "CHUNK_CELLS", 4)  # one customer at a time
    pd.testing.assert_frame_equal(recommend(PAIRS, CATALOGUE, segments, top=2).lists, whole)


def test_inputs_are_not_modified():
    before = PAIRS.copy()
    recommend(PAIRS, CATALOGUE, pd.Series("S", index=list("abcde")))
    pd.testing.assert_frame_equal(PAIRS, before)
