"""The product stage in one call, for the command line and the app: the catalogue, its
categories, each segment's affinity, every customer's lists and, with a calibration end,
their backtest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from segmentation.products.affinity import Affinity, segment_affinity
from segmentation.products.backtest import (
    RecommendationBacktest,
    score_backtest,
    split_purchases,
)
from segmentation.products.catalogue import catalogue as product_catalogue
from segmentation.products.catalogue import customer_products
from segmentation.products.categories import Categories, categorise
from segmentation.products.recommend import Recommendations, recommend
from segmentation.schema import CATEGORY, CUSTOMER_ID, DESCRIPTION, STOCK_CODE
from segmentation.segments.profiles import SEGMENT
from segmentation.segments.rfm import RFM_SEGMENT
from segmentation.segments.segment import Segmentation, plain
from segmentation.transactions.cleaning import NON_PRODUCT_CODES
from segmentation.transactions.pipeline import FeatureRun

#: Categories, typical products and products to promote listed per segment in the summary.
SUMMARY_CATEGORIES, SUMMARY_PRODUCTS = 3, 5
_SHARE_DIGITS = 4


@dataclass(frozen=True)
class ProductRun:
    """Everything the product stage makes; ``affinity`` is by cluster segment name,
    ``rfm_affinity`` by RFM segment; ``backtest`` is None without a calibration end."""

    catalogue: pd.DataFrame
    categories: Categories
    affinity: Affinity
    rfm_affinity: Affinity
    recommendations: Recommendations
    backtest: RecommendationBacktest | None
    #: Customers per cluster segment and per RFM segment.
    sizes: dict[str, pd.Series]

    def summary(self) -> dict:
        """``summary.json``'s product part: ``products, categories, segments,
        rfm_segments`` and, with a calibration end, ``backtest``."""
        table = self.categories.table
        summary = {
            "products": len(self.catalogue),
            "categories_source": self.categories.source,
            "categories": [
                {
                    "name": row[CATEGORY],
                    "products": int(row["products"]),
                    "revenue_share": plain(row["revenue_share"], _SHARE_DIGITS),
                    "words": row["words"],
                }
                for row in table.to_dict(orient="records")
            ],
            "segments": self._segments(self.affinity, self.sizes[SEGMENT], promote=True),
            "rfm_segments": self._segments(self.rfm_affinity, self.sizes[RFM_SEGMENT]),
        }
        if self.backtest is not None:
            summary["backtest"] = self.backtest.to_dict()
        return summary

    def _segments(self, affinity: Affinity, sizes: pd.Series, promote: bool = False) -> list:
        rows = []
        for name, customers in sizes.items():
            products = affinity.top_products[affinity.top_products[SEGMENT] == name]
            row = {
                "segment": name,
                "customers": int(customers),
                "offer": affinity.sentence(name),
                "top_categories": [],
                "top_products": [
                    {
                        STOCK_CODE: p[STOCK_CODE],
                        DESCRIPTION: p[DESCRIPTION],
                        "lift": plain(p["lift"], 2),
                        "buyers_share": plain(p["buyers_share"], _SHARE_DIGITS),
                    }
                    for p in products.head(SUMMARY_PRODUCTS).to_dict(orient="records")
                ],
            }
            if name in affinity.lift.index:
                top = affinity.top_categories(name, SUMMARY_CATEGORIES)
                row["top_categories"] = [
                    {
                        "category": c[CATEGORY],
                        "share": plain(c["share"], _SHARE_DIGITS),
                        "lift": plain(c["lift"], 2),
                    }
                    for c in top.to_dict(orient="records")
                ]
            if promote:
                listed = self.recommendations.promote
                listed = listed[listed[SEGMENT] == name].head(SUMMARY_PRODUCTS)
                row["promote"] = [
                    {
                        STOCK_CODE: p[STOCK_CODE],
                        DESCRIPTION: p[DESCRIPTION],
                        "score": plain(p["score"], _SHARE_DIGITS),
                    }
                    for p in listed.to_dict(orient="records")
                ]
            rows.append(row)
        return rows


def run_products(
    run: FeatureRun,
    segmentation: Segmentation,
    *,
    categories: Categories | None = None,
    calibration_end: date | str | None = None,
    top: int = 10,
    non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES,
) -> ProductRun:
    """The product stage of ``run`` with the segments of ``segmentation``: ``categories``
    when given (uploaded or renamed), else :func:`categorise`'s. With ``calibration_end``
    the lists are made from the lines up to it, for the customers of that period, and
    scored on the lines after it (:mod:`segmentation.products.backtest`)."""
    clean = run.cleaned
    if calibration_end is not None:  # a bad date is said before the rest is computed
        end, before, after = split_purchases(clean, calibration_end, non_product_codes)
    bought = customer_products(clean, non_product_codes=non_product_codes)
    catalogue = product_catalogue(clean, non_product_codes, bought)
    categories = categories or categorise(clean, catalogue, bought)
    customers = segmentation.customers.set_index(CUSTOMER_ID)
    segments, rfm = customers[SEGMENT].astype("str"), customers[RFM_SEGMENT].astype("str")
    affinity = segment_affinity(bought, categories, segments, catalogue)
    rfm_affinity = segment_affinity(bought, categories, rfm, catalogue)
    backtest = None
    if calibration_end is None:
        lists = recommend(bought, catalogue, segments, top)
    else:
        known = segments[segments.index.isin(set(before[CUSTOMER_ID]))]
        lists = recommend(before, catalogue, known, top)
        backtest = score_backtest(before, after, catalogue, end, top, lists)
    sizes = {
        SEGMENT: _sizes(segments),
        RFM_SEGMENT: _sizes(rfm),
    }
    return ProductRun(catalogue, categories, affinity, rfm_affinity, lists, backtest, sizes)


def _sizes(segments: pd.Series) -> pd.Series:
    """Customers per segment, most first (ties by name)."""
    sizes = segments.value_counts()
    return sizes.sort_index().sort_values(ascending=False, kind="stable")
