"""What each segment buys more than the average customer: its share of spend per category,
the lift against all customers, and its most typical products.

Lift is a ratio of shares: a segment spending 12% of its money on candles where all
customers together spend 5% has a lift of 2.4 on candles. A product's lift is the share of
the segment that bought it over the share of all customers that did; only products bought
by at least ``min_buyers`` customers of the segment (and :data:`MIN_BUYERS_SHARE` of it)
are ranked, so that one customer cannot make a product typical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.products.catalogue import coded
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
    customers, ids = coded(customer_products[CUSTOMER_ID])
    products, codes = coded(customer_products[STOCK_CODE])
    names = segments.astype("str").set_axis(segments.index.astype("str"))
    sizes = names.value_counts().sort_index()
    of_customer = sizes.index.get_indexer(names.reindex(ids))  # -1: no segment
    segment = of_customer[customers]
    known = segment >= 0
    segment, products = segment[known], products[known]
    revenue = customer_products["revenue"].to_numpy(dtype=np.float64)[known]
    order = pd.Index(categories.table[CATEGORY])
    category = order.get_indexer(categories.of(pd.Series(codes)))[products]
    spend = np.bincount(
        segment * len(order) + category, weights=revenue, minlength=len(sizes) * len(order)
    ).reshape(len(sizes), len(order))
    present = spend.sum(axis=0) != 0
    spend = pd.DataFrame(spend[:, present], index=sizes.index, columns=order[present])
    spend.index.name, spend.columns.name = SEGMENT, CATEGORY
    shares = spend.div(spend.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)
    overall = spend.sum(axis=0) / (spend.to_numpy().sum() or 1.0)
    lift = shares.div(overall, axis=1).fillna(0.0)
    buyers = np.bincount(
        segment * len(codes) + products, minlength=len(sizes) * len(codes)
    ).reshape(len(sizes), len(codes))
    top = _top_products(buyers, sizes, codes, catalogue, categories, min_buyers)
    return Affinity(shares, lift, top)


def _top_products(
    buyers: np.ndarray,
    sizes: pd.Series,
    codes: pd.Index,
    catalogue: pd.DataFrame,
    categories: Categories,
    min_buyers: int,
) -> pd.DataFrame:
    """Each segment's :data:`TOP_PRODUCTS` products by lift of the share of buyers, from
    ``buyers`` (segments × products)."""
    counts = sizes.to_numpy(dtype=np.float64)
    everyone = buyers.sum(axis=0) / counts.sum()
    share = buyers / counts[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(everyone > 0, share / everyone, 0.0)
    needed = np.maximum(min_buyers, np.ceil(MIN_BUYERS_SHARE * counts))
    ranked = []
    by_code = np.argsort(np.argsort(codes.to_numpy()))  # ties go to the smaller code
    for row, segment in enumerate(sizes.index):
        eligible = np.flatnonzero(buyers[row] >= needed[row])
        best = eligible[
            np.lexsort((by_code[eligible], -buyers[row, eligible], -lift[row, eligible]))
        ]
        best = best[:TOP_PRODUCTS]
        ranked.append(
            pd.DataFrame(
                {
                    SEGMENT: segment,
                    "rank": np.arange(1, len(best) + 1),
                    STOCK_CODE: codes[best],
                    "lift": lift[row, best],
                    "buyers": buyers[row, best],
                    "buyers_share": share[row, best],
                }
            )
        )
    frame = pd.concat(ranked, ignore_index=True) if ranked else pd.DataFrame(columns=[SEGMENT])
    names = catalogue.set_index(STOCK_CODE)[DESCRIPTION]
    frame[DESCRIPTION] = frame[STOCK_CODE].map(names).astype("str")
    frame[CATEGORY] = categories.of(frame[STOCK_CODE]).to_numpy()
    return frame.reindex(columns=list(TOP_PRODUCT_COLUMNS)).reset_index(drop=True)
