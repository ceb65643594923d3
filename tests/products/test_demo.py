"""The demo's planted kinds of product and tastes are found again."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.demo import DEMO_GROUPS, DEMO_PRODUCTS, DEMO_TRANSACTIONS, KINDS, TASTES
from segmentation.products.affinity import segment_affinity
from segmentation.products.catalogue import catalogue, customer_products
from segmentation.products.categories import OTHER, categorise, read_category_csv
from segmentation.transactions.pipeline import run_features


@pytest.fixture(scope="module")
def demo() -> tuple:
    run = run_features(DEMO_TRANSACTIONS)
    bought = customer_products(run.cleaned)
    products = catalogue(run.cleaned, bought=bought)
    return run, bought, products


def _kinds() -> pd.Series:
    return pd.read_csv(DEMO_PRODUCTS, dtype=str).set_index("stock_code")["kind"]


def _groups() -> pd.Series:
    return pd.read_csv(DEMO_GROUPS, dtype=str).set_index("customer_id")["group"]


def test_derived_categories_are_pure_kinds_not_noise(demo):
    run, bought, products = demo
    found = categorise(run.cleaned, products, bought)
    kinds = found.products.assign(kind=found.products["stock_code"].map(_kinds()))
    assert kinds["kind"].notna().all() and set(kinds["kind"]) == set(KINDS)
    named = kinds[kinds["category"] != OTHER]
    purity = named.groupby("category")["kind"].agg(lambda k: k.value_counts(normalize=True).max())
    assert (purity >= 0.9).all(), purity[purity < 0.9]
    assert (named.groupby("category").size() >= 3).all()  # no category of one or two products
    other = found.table.set_index("category")["revenue_share"].get(OTHER, 0.0)
    assert other <= 0.05
    # every planted kind is found: most of its products sit in categories of that kind
    assert named.groupby("kind").size().div(kinds.groupby("kind").size()).min() >= 0.9


def test_each_group_prefers_its_planted_kinds(demo):
    run, bought, products = demo
    groups = _groups()
    found = categorise(run.cleaned, products, bought)
    derived = segment_affinity(bought, found, groups, products)
    kind_of = found.products.assign(kind=found.products["stock_code"].map(_kinds()))
    kind_of = kind_of.groupby("category")["kind"].agg(lambda k: k.value_counts().index[0])
    for group, tastes in TASTES.items():
        top = derived.top_categories(group, 3)["category"]
        assert set(top.map(kind_of)) <= set(tastes), (group, top.tolist())
    # with the planted kinds as categories, each group's preferred kinds have its top lifts
    table = pd.read_csv(DEMO_PRODUCTS, dtype=str)[["stock_code", "kind"]]
    planted = read_category_csv(table.to_csv(index=False).encode(), "kinds.csv", products)
    by_kind = segment_affinity(bought, planted, groups, products)
    for group, tastes in TASTES.items():
        ranked = by_kind.lift.loc[group].sort_values(ascending=False)
        assert set(ranked.index[: len(tastes)]) == set(tastes), (group, ranked.round(2))
        assert ranked.iloc[len(tastes) - 1] > 1.5
