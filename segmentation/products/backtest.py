"""How well the lists would have done: fitted on the lines up to a calibration end, scored
against what each customer bought after it.

For a customer with relevant products ``R`` after the calibration end and a list ``L`` of
``k`` products made from the lines up to it:

* hit rate@k is the share of such customers for whom ``L ∩ R`` is not empty;
* recall@k is the mean over them of ``|L ∩ R| / min(k, |R|)``, so a list that holds ``k``
  of a customer's relevant products, or all of them when there are fewer, scores 1.

Discover is scored on the customers of the calibration period who bought afterwards a
product they had not bought before (``R``: those products, new ones in the catalogue
included), against the baseline of the most-bought products they had not bought. Buy
again is scored on those who bought again afterwards a product they had bought before
(``R``: those products), against the baseline of their own products ranked by the number
of orders with each (then quantity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from segmentation.errors import DataError
from segmentation.products.catalogue import catalogue as product_catalogue
from segmentation.products.catalogue import customer_products
from segmentation.products.recommend import (
    BUY_AGAIN,
    DISCOVER,
    Recommendations,
    most_bought,
    popular_lists,
    recommend,
)
from segmentation.schema import CUSTOMER_ID, STOCK_CODE
from segmentation.transactions.cleaning import NON_PRODUCT_CODES, CleanResult
from segmentation.transactions.features import parse_snapshot

#: The figures are rounded to this many digits.
_DIGITS = 4


@dataclass(frozen=True)
class RecommendationBacktest:
    """Hit rate and recall of both lists after ``calibration_end``, beside their baselines.

    ``discover`` and ``buy_again``: ``{customers, hit_rate, recall, baseline: {hit_rate,
    recall}}`` (see the module's description); ``top`` is the length of the lists."""

    calibration_end: date
    discover: dict
    buy_again: dict
    top: int = 10

    def to_dict(self) -> dict:
        """The backtest as JSON-ready values."""
        return {
            "calibration_end": f"{self.calibration_end:%Y-%m-%d}",
            "top": self.top,
            "discover": self.discover,
            "buy_again": self.buy_again,
        }

    def sentences(self) -> list[str]:
        """The result in words, one sentence per list."""
        end = f"{self.calibration_end:%Y-%m-%d}"
        parts = (
            (
                self.discover,
                "bought something new to them",
                "the most popular products they had not bought",
            ),
            (
                self.buy_again,
                "bought again something they had bought before",
                "their own most-bought products",
            ),
        )
        sentences = []
        for (figures, did, baseline), name in zip(parts, ("Discover", "Buy again"), strict=True):
            if not figures["customers"]:
                sentences.append(f"{name}: no customer {did} after {end}, so nothing to score.")
                continue
            sentences.append(
                f"{name}: of the {figures['customers']:,} customers who {did} after {end}, "
                f"{figures['hit_rate']:.0%} had one of those products among the {self.top} "
                f"suggested ({figures['baseline']['hit_rate']:.0%} with {baseline})."
            )
        return sentences


def backtest_recommendations(
    clean: CleanResult,
    calibration_end: date | str,
    top: int = 10,
    non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES,
) -> RecommendationBacktest:
    """Fit the lists on the lines up to ``calibration_end`` and score them on what each
    customer bought after it. Raises :class:`DataError` (one sentence) for a date that is
    not one, or that leaves no days before or after it."""
    end, before, after = split_purchases(clean, calibration_end, non_product_codes)
    catalogue = product_catalogue(clean, non_product_codes)
    return score_backtest(before, after, catalogue, end, top)


def split_purchases(
    clean: CleanResult,
    calibration_end: date | str,
    non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES,
) -> tuple[date, pd.DataFrame, pd.DataFrame]:
    """The calibration end (checked by :func:`check_calibration_end`) and the customer ×
    product tables (:func:`customer_products`) of the lines up to it and after it: all the
    backtest needs of the lines, which can be freed once these are made."""
    end = check_calibration_end(clean, calibration_end)
    before = customer_products(clean, end, non_product_codes)
    after = customer_products(clean, non_product_codes=non_product_codes, after=end)
    return end, before, after


def check_calibration_end(clean: CleanResult, calibration_end: date | str) -> date:
    """``calibration_end`` as a date, if it leaves purchases on both sides; else a
    :class:`DataError` naming the dates to choose between."""
    end = parse_snapshot(calibration_end, "calibration end").date()
    orders = clean.orders
    span = clean.backend.execute(
        orders.aggregate(first=orders["first_purchase"].min(), last=orders["last_purchase"].max())
    ).iloc[0]
    first, last = pd.Timestamp(span["first"]).date(), pd.Timestamp(span["last"]).date()
    if not first <= end < last:
        where = "is the last purchase date" if end == last else "is outside the data"
        raise DataError(
            f"The calibration end {end} {where}; choose a date from {first} to the day "
            f"before {last}, so that purchases are left after it to score."
        )
    return end


def score_backtest(
    before: pd.DataFrame,
    after: pd.DataFrame,
    catalogue: pd.DataFrame,
    calibration_end: date,
    top: int = 10,
    lists: Recommendations | None = None,
) -> RecommendationBacktest:
    """Score ``lists`` (made from ``before``, the customer × product table up to the
    calibration end; by default for every customer in it) on ``after`` (the same table
    after it, :func:`split_purchases` makes both); the baselines are made from ``before``
    and the ``catalogue``."""
    if lists is None:
        everyone = pd.Index(before[CUSTOMER_ID].unique(), name=CUSTOMER_ID)
        lists = recommend(before, catalogue, pd.Series("All", index=everyone), top)
    made = lists.lists
    discover, buy_again, had, bought, popular, own = _coded(
        made[made["kind"] == DISCOVER],
        made[made["kind"] == BUY_AGAIN],
        before,
        after,
        popular_lists(before, catalogue, top),
        most_bought(before, catalogue, top),
    )
    known = bought[bought[CUSTOMER_ID].isin(had[CUSTOMER_ID].unique())]
    seen = known.merge(had, how="left", indicator=True)
    new = seen.loc[seen["_merge"] == "left_only", [CUSTOMER_ID, STOCK_CODE]]
    again = seen.loc[seen["_merge"] == "both", [CUSTOMER_ID, STOCK_CODE]]
    return RecommendationBacktest(
        calibration_end=calibration_end,
        discover=_compared(discover, popular, new, top),
        buy_again=_compared(buy_again, own, again, top),
        top=top,
    )


def _coded(*frames: pd.DataFrame) -> list[pd.DataFrame]:
    """The ``customer_id, stock_code`` columns of ``frames`` as integer codes shared by all
    of them (ids compared as text): the tables are compared without a Python string per
    row."""
    coded: list[dict[str, np.ndarray]] = [{} for _ in frames]
    for column in (CUSTOMER_ID, STOCK_CODE):
        parts = [_as_text(frame[column]) for frame in frames]
        known = pd.Index(pd.unique(np.concatenate([p.categories for p in parts])))
        for codes, part in zip(coded, parts, strict=True):
            codes[column] = known.get_indexer(part.categories)[part.codes]
    return [pd.DataFrame(codes) for codes in coded]


def _as_text(values: pd.Series) -> pd.Categorical:
    """``values`` as a categorical of text (a categorical's own codes kept)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(
            values.cat.codes, values.cat.categories.astype("str").to_numpy(dtype=object)
        )
    return pd.Categorical(values.astype("str").to_numpy(dtype=object))


def hit_rate_and_recall(lists: pd.DataFrame, relevant: pd.DataFrame, top: int) -> dict:
    """Hit rate@top and recall@top (see the module's description) of ``lists`` (rows of
    ``customer_id, stock_code``, at most ``top`` per customer) on ``relevant`` (the same
    columns): over the customers with a relevant product."""
    wanted = relevant.groupby(CUSTOMER_ID).size()
    if wanted.empty:
        return {"customers": 0, "hit_rate": None, "recall": None}
    hits = lists[[CUSTOMER_ID, STOCK_CODE]].merge(relevant, on=[CUSTOMER_ID, STOCK_CODE])
    found = hits.groupby(CUSTOMER_ID).size().reindex(wanted.index, fill_value=0)
    recall = found / wanted.clip(upper=top)
    return {
        "customers": len(wanted),
        "hit_rate": round(float((found > 0).mean()), _DIGITS),
        "recall": round(float(recall.mean()), _DIGITS),
    }


def _compared(
    lists: pd.DataFrame, baseline: pd.DataFrame, relevant: pd.DataFrame, top: int
) -> dict:
    figures = hit_rate_and_recall(lists, relevant, top)
    base = hit_rate_and_recall(baseline, relevant, top)
    return {**figures, "baseline": {"hit_rate": base["hit_rate"], "recall": base["recall"]}}
