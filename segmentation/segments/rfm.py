"""RFM quintile scores and the named RFM segments of the classic R-by-F grid.

Scores run from 1 to 5 against four cut points per feature: the 20th, 40th, 60th and
80th percentiles of the customers (numpy's linear interpolation). Each cut point a value
beats adds one to the lowest score: F and M score 1 + the number of cut points strictly
below the value, R scores 5 - the number of cut points at or below the recency (the more
recent, the higher R). So equal values always share a score, and a value on a cut point
gets the lower score. Heavily tied values can make two cut points equal; the bin between
them is then empty and its score is skipped (see :meth:`ScoreCuts.notes`).
On Online Retail frequency's cut points are 1, 2, 3 and 6, so no bin merges there.

Segments come from one rule table over the R and F scores that covers each of the 25
cells exactly once (rows R = 5…1, columns F = 1…5)::

    R\\F 1               2                    3                    4                5
    5   New Customers   Potential Loyalists  Potential Loyalists  Champions        Champions
    4   Promising       Potential Loyalists  Potential Loyalists  Loyal Customers  Loyal Customers
    3   About to Sleep  About to Sleep       Need Attention       Loyal Customers  Loyal Customers
    2   Hibernating     Hibernating          At Risk              At Risk          Can't Lose Them
    1   Lost            Lost                 At Risk              At Risk          Can't Lose Them
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from segmentation.errors import ModelError
from segmentation.schema import FREQUENCY, MONETARY, RECENCY, RFM_COLUMNS
from segmentation.segments.preparation import feature_matrix

SCORE_QUANTILES: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
SCORES: tuple[int, ...] = (1, 2, 3, 4, 5)
SCORE_COLUMNS: dict[str, str] = {RECENCY: "r_score", FREQUENCY: "f_score", MONETARY: "m_score"}
RFM_SEGMENT = "rfm_segment"
#: Row labels of :func:`score_bounds`: each feature with the unit of its bounds.
SCORE_LABELS: dict[str, str] = {
    RECENCY: "R: days since the last purchase",
    FREQUENCY: "F: orders",
    MONETARY: "M: spend",
}
#: How far outside its cells (in scores) a cluster's position may lie to take a name.
REACH = 1.0


@dataclass(frozen=True)
class SegmentRule:
    """A named segment: the R and F scores it covers, what it means and what to do.

    ``orders`` (at least, below) and ``top`` say which clusters the name fits (see
    :mod:`segmentation.segments.profiles`): the median customer's number of orders, and
    whether the name needs (True) or excludes (False) a median customer in the top fifth
    by orders or spend (F or M score 5); customers are scored by the grid alone.
    """

    name: str
    r_scores: tuple[int, ...]
    f_scores: tuple[int, ...]
    description: str
    action: str
    orders: tuple[float, float] = (2, math.inf)
    top: bool | None = None

    @property
    def lapsed(self) -> bool:
        """Whether the segment is of customers who have not bought for a long time (R 1-2)."""
        return max(self.r_scores) <= 2

    def fits(self, orders: float, lapsed: bool, top: bool) -> bool:
        """Whether a cluster with these median orders, lapse and top fifth can take the name."""
        low, below = self.orders
        return (
            low <= orders < below
            and lapsed == self.lapsed
            and (self.top is None or self.top == top)
        )

    def reaches(self, r_position: float, f_position: float) -> bool:
        """Whether an (R, F) position lies at most :data:`REACH` outside the cells."""
        return (
            max(_outside(r_position, self.r_scores), _outside(f_position, self.f_scores)) <= REACH
        )

    def distance(self, r_position: float, f_position: float, f_weight: float) -> float:
        """Squared distance from an (R, F) position to the nearest of the segment's cells,
        each cell reaching half a score either side; F differences count ``f_weight`` times."""
        dr = _outside(r_position, self.r_scores)
        df = _outside(f_position, self.f_scores)
        return dr * dr + f_weight * df * df


#: The rule table, best customers first. Every (R, F) pair is covered exactly once.
SEGMENT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule(
        "Champions",
        (5,),
        (4, 5),
        "Bought very recently, buy often and spend the most.",
        "Reward them: early access to new products, loyalty perks; ask for reviews.",
    ),
    SegmentRule(
        "Loyal Customers",
        (3, 4),
        (4, 5),
        "Buy often and fairly recently.",
        "Upsell higher-value products and invite them to a loyalty programme.",
    ),
    SegmentRule(
        "Potential Loyalists",
        (4, 5),
        (2, 3),
        "Recent customers with a few orders who could become loyal.",
        "Offer a membership or loyalty programme and recommend related products.",
        orders=(2, 5),
    ),
    SegmentRule(
        "New Customers",
        (5,),
        (1,),
        "Placed their first order very recently.",
        "Welcome them: onboarding e-mails, a first-order follow-up, early support.",
        orders=(1, 2),
    ),
    SegmentRule(
        "Promising",
        (4,),
        (1,),
        "Recent buyers with a single order so far.",
        "Build awareness of the range and give an incentive for a second order.",
        orders=(1, 2),
    ),
    SegmentRule(
        "Need Attention",
        (3,),
        (3,),
        "Middling recency and frequency; may slip away without a nudge.",
        "Send limited-time offers based on what they bought before.",
    ),
    SegmentRule(
        "About to Sleep",
        (3,),
        (1, 2),
        "Few orders and no purchase for a while.",
        "Reconnect with popular products and a time-limited discount.",
        orders=(1, 3),
    ),
    SegmentRule(
        "Can't Lose Them",
        (1, 2),
        (5,),
        "Used to buy most often or spend the most but have not been back for a long time.",
        "Win them back personally: new products, an exclusive offer, a call.",
        top=True,
    ),
    SegmentRule(
        "At Risk",
        (1, 2),
        (3, 4),
        "Used to buy regularly but have not bought for a long time.",
        "Send personalised win-back e-mails with renewal offers.",
        top=False,
    ),
    SegmentRule(
        "Hibernating",
        (2,),
        (1, 2),
        "One or two orders, the last one long ago.",
        "Offer relevant products and special discounts; keep costs low.",
        orders=(1, 3),
    ),
    SegmentRule(
        "Lost",
        (1,),
        (1, 2),
        "One or two orders, the last one longest ago.",
        "Try one reactivation campaign; otherwise spend little on them.",
        orders=(1, 3),
    ),
)


def _outside(position: float, scores: tuple[int, ...]) -> float:
    """How far ``position`` lies outside the cells of ``scores`` (0 inside)."""
    return max(min(scores) - 0.5 - position, position - max(scores) - 0.5, 0.0)


SEGMENTS: dict[str, SegmentRule] = {rule.name: rule for rule in SEGMENT_RULES}
#: Segment name by (R score, F score).
SEGMENT_GRID: dict[tuple[int, int], str] = {
    (r, f): rule.name for rule in SEGMENT_RULES for r in rule.r_scores for f in rule.f_scores
}


@dataclass(frozen=True)
class ScoreCuts:
    """The four cut points of each RFM feature, lowest first."""

    recency: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary: tuple[float, ...]

    def of(self, feature: str) -> tuple[float, ...]:
        """The cut points of ``recency``, ``frequency`` or ``monetary``."""
        return getattr(self, feature)

    def skipped_scores(self, feature: str) -> tuple[int, ...]:
        """Scores no value can get because tied values made two cut points equal."""
        cuts = self.of(feature)
        skipped = [below + 2 for below in range(3) if cuts[below] == cuts[below + 1]]
        if feature == RECENCY:
            skipped = [6 - score for score in skipped]
        return tuple(sorted(skipped))

    def notes(self) -> tuple[str, ...]:
        """One sentence per feature whose tied values merge two score bins."""
        notes = []
        for feature in RFM_COLUMNS:
            skipped = self.skipped_scores(feature)
            if skipped:
                scores = ", ".join(str(s) for s in skipped)
                notes.append(
                    f"Many customers share the same {feature}, so two of its quintile bins "
                    f"merge and no customer gets {feature[0].upper()} score {scores}."
                )
        return tuple(notes)


def score_cut_points(customers: pd.DataFrame) -> ScoreCuts:
    """The 20th/40th/60th/80th percentiles of recency, frequency and monetary."""
    values = feature_matrix(customers, RFM_COLUMNS)
    cuts = np.quantile(values, SCORE_QUANTILES, axis=0)
    return ScoreCuts(*(tuple(float(c) for c in cuts[:, j]) for j in range(len(RFM_COLUMNS))))


def score_ranges(cuts: ScoreCuts, feature: str) -> list[tuple[float | None, float | None]]:
    """What each score 1-5 of ``feature`` stands for, as (lowest, highest) value, None where
    open: whole days or orders both included for recency and frequency, for monetary
    pounds above the lower bound up to the upper one. A range whose lowest is above its
    highest is empty (a skipped score)."""
    cut_points = cuts.of(feature)
    if feature == RECENCY:  # R = 5 - cut points at or below: from a cut point to the next
        starts = [None, *(math.ceil(c) for c in cut_points), None]
        ranges = [(low, None if high is None else high - 1) for low, high in pairwise(starts)]
        return ranges[::-1]
    if feature == FREQUENCY:  # F = 1 + cut points strictly below: above one, up to the next
        ends = [None, *(math.floor(c) for c in cut_points), None]
        return [(None if low is None else low + 1, high) for low, high in pairwise(ends)]
    return list(pairwise([None, *cut_points, None]))


def score_bounds(cuts: ScoreCuts) -> pd.DataFrame:
    """The values each score stands for in days, orders and pounds, as text: one row per
    feature, one column per score 1-5 ("none" for a skipped score)."""
    rows = {}
    for feature, label in SCORE_LABELS.items():
        texts = []
        for low, high in score_ranges(cuts, feature):
            if feature == MONETARY:
                texts.append(_money_range(low, high))
            elif low is not None and high is not None and low > high:
                texts.append("none")
            elif low is None or high is None:
                texts.append(f"up to {high:,}" if low is None else f"{low:,} or more")
            else:
                texts.append(f"{low:,}" if low == high else f"{low:,}–{high:,}")
        rows[label] = texts
    return pd.DataFrame.from_dict(rows, orient="index", columns=[str(s) for s in SCORES])


def _money_range(low: float | None, high: float | None) -> str:
    if low is None:
        return f"up to £{high:,.0f}"
    if high is None:
        return f"over £{low:,.0f}"
    return "none" if low == high else f"£{low:,.0f}–£{high:,.0f}"


def score_values(
    values: np.ndarray | pd.Series | float, feature: str, cuts: ScoreCuts
) -> np.ndarray:
    """Scores 1–5 of values of one RFM feature against the population's cut points."""
    cut_points, values = np.asarray(cuts.of(feature)), np.asarray(values)
    if feature == RECENCY:
        return 5 - np.searchsorted(cut_points, values, side="right")
    return 1 + np.searchsorted(cut_points, values, side="left")


def segment_names(r_scores: np.ndarray, f_scores: np.ndarray) -> np.ndarray:
    """The rule table's segment name of each (R, F) score pair."""
    grid = np.empty((6, 6), dtype=object)
    for (r, f), name in SEGMENT_GRID.items():
        grid[r, f] = name
    r, f = np.asarray(r_scores), np.asarray(f_scores)
    if not (np.isin(r, SCORES).all() and np.isin(f, SCORES).all()):
        raise ModelError("R and F scores must be whole numbers from 1 to 5.")
    return grid[r, f]


def rfm_scores(customers: pd.DataFrame, cuts: ScoreCuts | None = None) -> pd.DataFrame:
    """``r_score``, ``f_score``, ``m_score`` and ``rfm_segment`` of every customer.

    The index is the customer table's; the cut points default to the table's own.
    """
    cuts = cuts or score_cut_points(customers)
    values = feature_matrix(customers, RFM_COLUMNS)
    scores = pd.DataFrame(
        {
            SCORE_COLUMNS[feature]: score_values(values[:, j], feature, cuts)
            for j, feature in enumerate(RFM_COLUMNS)
        },
        index=customers.index,
    )
    scores[RFM_SEGMENT] = segment_names(scores["r_score"], scores["f_score"])
    return scores
