"""What each segment buys more than the average customer: its share of spend per category,
the lift against all customers, and its most typical products.

Lift is a ratio of shares: a segment spending 12% of its money on candles where all
customers together spend 5% has a lift of 2.4 on candles. A product's lift is the share of
the segment that bought it over the share of all customers that did; only products bought
by at least ``min_buyers`` customers of the segment (and :data:`MIN_BUYERS_SHARE` of it)
are ranked, so that one customer cannot make a product typical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.products.categories import OTHER, Categories
from segmentation.schema import CATEGORY, CUSTOMER_ID, DESCRIPTION, STOCK_CODE

SEGMENT = "segment"
#: Products ranked per segment.
TOP_PRODUCTS = 10
#: Fewest buyers in a segment for a product to be ranked ...
MIN_BUYERS = 5
#: ... and the smallest share of the segment that must have bought it.
MIN_BUYERS_SHARE = 0.02
#: A category is offered in :meth:`Affinity.sentence` only with at least this share of the
#: segment's spend.
MIN_OFFER_SHARE = 0.02
TOP_PRODUCT_COLUMNS: tuple[str, ...] = (
    SEGMENT,
    "rank",
    STOCK_CODE,
    DESCRIPTION,
    CATEGORY,
    "lift",
    "buyers",
    "buyers_share",
)


@dataclass(frozen=True)
class Affinity:
    """Per segment: ``shares`` of spend per category (rows sum to 1), their ``lift`` over
    all customers' shares (same shape; index segment, columns category), and
    ``top_products`` (``segment, rank, stock_code, description, category, lift, buyers,
    buyers_share``)."""

    shares: pd.DataFrame
    lift: pd.DataFrame
    top_products: pd.DataFrame

    def sentence(self, segment: str) -> str:
        """The category to offer ``segment`` in words: "Offer Candles: 2.3x the average
        customer's share"."""
        if segment not in self.lift.index:
            return f"{segment} has no purchases of products to compare."
        shares, lift = self.shares.loc[segment], self.lift.loc[segment]
        eligible = lift[(shares >= MIN_OFFER_SHARE) & (lift.index != OTHER)]
        eligible = eligible[np.isfinite(eligible)]
        if eligible.empty or eligible.max() <= 1.0:
            return f"No category stands out for {segment}: it spends like the average customer."
        best = eligible.sort_values(ascending=False, kind="stable").index[0]
        return f"Offer {best}: {lift[best]:.1f}x the average customer's share"

    def top_categories(self, segment: str, top: int = 3) -> pd.DataFrame:
        """The ``top`` categories of ``segment`` by lift among those with at least
        :data:`MIN_OFFER_SHARE` of its spend: ``category, share, lift``."""
        frame = pd.DataFrame({"share": self.shares.loc[segment], "lift": self.lift.loc[segment]})
        frame = frame[(frame["share"] >= MIN_OFFER_SHARE) & (frame.index != OTHER)]
        frame = frame.rename_axis(CATEGORY).reset_index()
        frame = frame.sort_values(["lift", CATEGORY], ascending=[False, True], kind="stable")
        return frame.head(top).reset_index(drop=True)


def segment_affinity(
    customer_products: pd.DataFrame,
    categories: Categories,
    segments: pd.Series,
    catalogue: pd.DataFrame,
    min_buyers: int = MIN_BUYERS,
) -> Affinity:
    """The :class:`Affinity` of every segment. ``segments`` gives each customer's segment
    name (index customer_id); customers it does not name are left out of every figure,
    the average customer included. Nothing passed in is modified."""
    segment = customer_products[CUSTOMER_ID].map(segments)
    known = segment.notna().to_numpy()
    pairs = customer_products.loc[known, [CUSTOMER_ID, STOCK_CODE, "revenue"]]
    pairs = pairs.assign(**{SEGMENT: segment[known].astype("str").to_numpy()})
    pairs[CATEGORY] = categories.of(pairs[STOCK_CODE]).to_numpy()
    present = set(pairs[CATEGORY])
    order = [c for c in categories.table[CATEGORY] if c in present]
    spend = pairs.pivot_table(
        index=SEGMENT, columns=CATEGORY, values="revenue", aggfunc="sum", fill_value=0.0
    )
    spend = spend.reindex(columns=order, fill_value=0.0).sort_index()
    spend.columns.name = CATEGORY
    shares = spend.div(spend.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)
    overall = spend.sum(axis=0) / (spend.to_numpy().sum() or 1.0)
    lift = shares.div(overall.replace(0.0, np.nan), axis=1).fillna(0.0)
    sizes = segments.astype("str").value_counts()
    top = _top_products(pairs, sizes, catalogue, categories, min_buyers)
    return Affinity(shares, lift, top)


def _top_products(
    pairs: pd.DataFrame,
    sizes: pd.Series,
    catalogue: pd.DataFrame,
    categories: Categories,
    min_buyers: int,
) -> pd.DataFrame:
    """Each segment's :data:`TOP_PRODUCTS` products by lift of the share of buyers."""
    buyers = pairs.groupby([SEGMENT, STOCK_CODE]).size().rename("buyers").reset_index()
    everyone = pairs.groupby(STOCK_CODE).size() / sizes.sum()
    buyers["buyers_share"] = buyers["buyers"] / buyers[SEGMENT].map(sizes).to_numpy()
    buyers["lift"] = buyers["buyers_share"] / buyers[STOCK_CODE].map(everyone).to_numpy()
    needed = buyers[SEGMENT].map(lambda s: max(min_buyers, math.ceil(MIN_BUYERS_SHARE * sizes[s])))
    ranked = buyers[buyers["buyers"] >= needed.to_numpy()]
    ranked = ranked.sort_values(
        [SEGMENT, "lift", "buyers", STOCK_CODE], ascending=[True, False, False, True]
    )
    ranked = ranked.groupby(SEGMENT, sort=False).head(TOP_PRODUCTS)
    ranked["rank"] = ranked.groupby(SEGMENT).cumcount() + 1
    names = catalogue.set_index(STOCK_CODE)[DESCRIPTION]
    ranked[DESCRIPTION] = ranked[STOCK_CODE].map(names).to_numpy()
    ranked[CATEGORY] = categories.of(ranked[STOCK_CODE]).to_numpy()
    return ranked[list(TOP_PRODUCT_COLUMNS)].reset_index(drop=True)
