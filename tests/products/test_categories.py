"""Categories: derived from descriptions, mapped from a column, uploaded, renamed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import DataError
from segmentation.products.catalogue import catalogue, customer_products
from segmentation.products.categories import (
    OTHER,
    _name,
    categorise,
    derive_categories,
    kind_words,
    read_category_csv,
    rename_categories,
)
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.pipeline import run_features
from tests.products.test_catalogue import lines


def test_kind_words_drop_looks_and_make_plurals_singular():
    assert kind_words("SET OF 3 CAKE TINS PANTRY DESIGN") == ["CAKE", "TIN"]
    assert kind_words("WHITE HANGING HEART T-LIGHT HOLDER") == ["T-LIGHT", "HOLDER"]
    assert kind_words("RED RETROSPOT") == []
    # TOP and SET are looks ("ROUND TOP", "SET OF 3"), but kinds at the end after a gerund
    assert kind_words("GOLD CHRISTMAS SPINNING TOP") == ["CHRISTMAS", "SPINNING TOP"]
    assert kind_words("IVORY LACE BAKING SET") == ["BAKING SET"]
    assert kind_words("WOODEN CROQUET GARDEN SET") == ["CROQUET", "GARDEN"]
    assert kind_words("HANGING SET") == []


def test_gerund_and_generic_ending_name_the_category():
    assert _name([("SPINNING TOP", 14)]) == "Spinning tops"
    assert _name([("BAKING SET", 12)]) == "Baking sets"
    assert _name([("BUNTING", 8)]) == "Bunting"


def _shop() -> pd.DataFrame:
    """Mugs, candles and bags in several colours; one odd product bought with the mugs."""
    kinds = {"MUG": ["RED", "BLUE", "PINK", "GREEN"], "CANDLE": ["RED", "WHITE", "IVORY"]}
    kinds["LUNCH BAG"] = ["RED", "PINK", "BLACK"]
    products = [(f"{k[:3]}{i}", f"{c} {k}") for k, cs in kinds.items() for i, c in enumerate(cs)]
    products.append(("ODD", "SPOTTY TEAPOT"))
    rows = []
    for n in range(12):  # customer n buys every product of one kind in one order
        kind = list(kinds)[n % 3]
        chosen = [(s, d) for s, d in products if d.endswith(kind)]
        if kind == "MUG":
            chosen.append(("ODD", "SPOTTY TEAPOT"))
        day = f"2024-01-{n + 1:02d} 10:00"
        rows += [(str(n), s, d, 1, day, 2.0 + n, f"c{n}") for s, d in chosen]
    return lines(rows)


def test_derived_categories_are_the_kinds():
    clean = clean_transactions(_shop())
    table = catalogue(clean)
    found = categorise(clean, table)
    assert found.source == "derived"
    by_code = found.products.set_index("stock_code")["category"]
    assert set(by_code) == {"Mugs", "Candles", "Lunch bags"}
    assert by_code["MUG0"] == by_code["MUG3"] == "Mugs"
    assert by_code["ODD"] == "Mugs"  # named by no kind: bought with the mugs
    assert found.table["revenue_share"].sum() == pytest.approx(1.0)
    assert found.table.set_index("category").loc["Lunch bags", "words"].startswith("bag")


def test_every_product_exactly_once():
    clean = clean_transactions(_shop())
    table = catalogue(clean)
    found = derive_categories(table, customer_products(clean))
    assert sorted(found.products["stock_code"]) == sorted(table["stock_code"])
    assert found.table["products"].sum() == len(table)


def test_category_column_is_used():
    frame = _shop().assign(category=lambda f: np.where(f["stock_code"] == "ODD", "Tea", "Gifts"))
    run = run_features(frame.to_csv(index=False).encode(), name="shop.csv")
    assert "category" in run.cleaned.table.columns
    found = categorise(run.cleaned, catalogue(run.cleaned))
    assert found.source == "column"
    assert found.products.set_index("stock_code")["category"]["ODD"] == "Tea"
    assert set(found.table["category"]) == {"Gifts", "Tea"}


def test_uploaded_csv_and_its_errors():
    table = catalogue(clean_transactions(_shop()))
    found = read_category_csv(b"code,kind\nMUG0,Drinkware\nODD,Drinkware\n", "k.csv", table)
    assert found.source == "uploaded"
    by_code = found.products.set_index("stock_code")["category"]
    assert by_code["ODD"] == "Drinkware" and by_code["CAN0"] == OTHER
    with pytest.raises(DataError, match=r"k\.csv names none of the products"):
        read_category_csv(b"a,b\nX,Y\n", "k.csv", table)
    with pytest.raises(DataError, match="not a CSV of product codes and categories"):
        read_category_csv(b"just one column\n", "k.csv", table)


def test_rename_merges_two_categories():
    clean = clean_transactions(_shop())
    found = categorise(clean, catalogue(clean))
    merged = rename_categories(found, {"Mugs": "Kitchen", "Candles": "Kitchen"})
    assert set(merged.table["category"]) == {"Kitchen", "Lunch bags"}
    before = found.table.set_index("category")
    after = merged.table.set_index("category")
    assert after.loc["Kitchen", "revenue"] == pytest.approx(
        before.loc["Mugs", "revenue"] + before.loc["Candles", "revenue"]
    )
    assert after.loc["Kitchen", "products"] == 8
    assert "mug" in after.loc["Kitchen", "words"] and "candle" in after.loc["Kitchen", "words"]


@pytest.mark.real
def test_online_retail_categories_are_kinds_named_in_words(online_retail_path):
    run = run_features(online_retail_path)
    table = catalogue(run.cleaned)
    found = categorise(run.cleaned, table)
    named = found.table[found.table["category"] != OTHER]
    assert 4 <= len(named) <= 40
    other = found.table.set_index("category")["revenue_share"].get(OTHER, 0.0)
    assert other <= 0.2
    assert named["category"].str.fullmatch(r"[A-Z][a-z\- ]+").all()
    assert {"Bags", "Mugs", "Candles", "T-light holders"} <= set(named["category"])
    # kinds, not price bands: categories explain at most half the variance of log price
    prices = table.merge(found.products, on="stock_code")
    price = np.log(prices["median_price"].clip(lower=0.01))
    fitted = price.groupby(prices["category"]).transform("mean")
    r2 = 1 - ((price - fitted) ** 2).sum() / ((price - price.mean()) ** 2).sum()
    assert r2 <= 0.5


def test_similarities_in_blocks_give_the_same_categories(monkeypatch: pytest.MonkeyPatch):
    from segmentation.products import categories as module

    clean = clean_transactions(_shop())
    table = catalogue(clean)
    bought = customer_products(clean)
    whole = derive_categories(table, bought)
    monkeypatch.setattr(module, "SIMILARITY_CELLS", 1)  # one product at a time
    pd.testing.assert_frame_equal(derive_categories(table, bought).products, whole.products)
