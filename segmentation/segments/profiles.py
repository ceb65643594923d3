"""Cluster profiles: sizes, revenue, feature averages, names in words and RFM cross-check.

Clusters are numbered by value: cluster 0 has the highest mean monetary (total spend per
customer); ties go to the lower mean recency, then the higher mean frequency, then the
fitted label, so the same data and options always give the same numbering.

A cluster is named after the segment of the RFM rule table that fits its median customer
in days and orders, not only by its quintile cell:

- its R position is read from how many of its typical intervals between orders the median
  customer has gone without buying (:func:`recency_position`; the typical interval is the
  median over the cluster's repeat buyers, or over all repeat buyers for a cluster whose
  median customer bought once); without ``tenure_days`` it is the quintile R score;
- past :data:`LAPSED_INTERVALS` intervals the cluster has lapsed and only the lapsed names
  fit it (At Risk, Can't Lose Them, Hibernating, Lost), otherwise only the others;
- the median number of orders must suit the name (:attr:`SegmentRule.orders`), Can't Lose
  Them needs and At Risk excludes a median customer in the top fifth by orders or spend,
  and the position must lie within a score of the name's cells where any name allows it;
- names are then matched to clusters at the least total distance from the positions to
  the names' cells (F counting :data:`F_WEIGHT` times), each name once while a fitting
  one is free. Clusters in the same cell that differ most in spend share a name; where
  names repeat, the qualifier names the feature that separates the clusters most:
  "(high spend)"/"(low spend)", "(more recent)"/"(less recent)",
  "(more orders)"/"(fewer orders)", three-way forms, "(spend tier n)" and so on beyond.

Customers keep the plain rule-table segment of their own scores (:func:`rfm_scores`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from segmentation.errors import ModelError
from segmentation.schema import COUNTRY, FREQUENCY, MONETARY, RECENCY, RFM_COLUMNS
from segmentation.segments.preparation import feature_matrix, numeric_columns
from segmentation.segments.rfm import (
    RFM_SEGMENT,
    SCORES,
    SEGMENT_RULES,
    SEGMENTS,
    ScoreCuts,
    rfm_scores,
    score_cut_points,
    score_values,
)

CLUSTER = "cluster"
SEGMENT = "segment"
TOP_COUNTRIES = 3
TENURE = "tenure_days"
#: A cluster has lapsed when its median customer has not bought for more than this many of
#: its typical intervals between orders (a steady buyer does so about 5% of the time).
LAPSED_INTERVALS = 3.0
#: The R position of :data:`LAPSED_INTERVALS`: below it only the lapsed names fit.
LAPSED_POSITION = 2.5
#: Weight of F differences against R differences when matching names: orders build up
#: over the whole history, recency changes every day.
F_WEIGHT = 2.0
#: Qualifiers of clusters sharing a name, best first, by the feature that separates them.
_QUALIFIERS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    MONETARY: ("spend", ("high spend", "low spend"), ("high spend", "mid spend", "low spend")),
    RECENCY: (
        "recency",
        ("more recent", "less recent"),
        ("most recent", "mid recency", "least recent"),
    ),
    FREQUENCY: (
        "orders",
        ("more orders", "fewer orders"),
        ("most orders", "mid orders", "fewest orders"),
    ),
}
#: Features that can separate clusters sharing a name, in the order ties are broken.
_SEPARATING = (MONETARY, RECENCY, FREQUENCY)
#: Matching costs: a name that does not fit, each repeat of a name, and the tie-breaker.
_UNFIT, _REPEAT, _TIE = 1e9, 1e5, 1e-6


@dataclass(frozen=True, eq=False)
class Profiles:
    """What each cluster is, one row per cluster in value order.

    ``labels`` is every customer's cluster number (customer table order). ``table`` has
    cluster, segment, description, action, r_score and f_score of the median customer,
    order_interval (the median days between orders of its repeat buyers, NaN without),
    customers, customer_share, revenue, revenue_share and ``<feature>_mean`` /
    ``<feature>_median`` for every numeric feature. ``snake`` is the long table of each
    cluster's feature means relative to the overall mean; ``countries`` the top countries
    per cluster (None without a country column); ``crosstab`` customers by cluster and
    RFM segment, whose agreement is ``rfm_agreement`` (adjusted Rand index).
    """

    labels: np.ndarray
    table: pd.DataFrame
    snake: pd.DataFrame
    countries: pd.DataFrame | None
    crosstab: pd.DataFrame
    rfm_agreement: float


def profile_clusters(
    customers: pd.DataFrame, labels: np.ndarray, cuts: ScoreCuts | None = None
) -> Profiles:
    """Profile, number by value and name the clusters given by ``labels``."""
    labels = np.asarray(labels)
    if len(labels) != len(customers):
        raise ModelError(
            f"There are {len(labels):,} cluster labels for {len(customers):,} customers; "
            "give one label per customer."
        )
    feature_matrix(customers, RFM_COLUMNS)
    cuts = cuts or score_cut_points(customers)
    features = numeric_columns(customers)
    numbered = value_order(customers, labels)
    frame = customers[features].assign(**{CLUSTER: numbered})
    table = _size_and_revenue(frame)
    grouped = frame.groupby(CLUSTER, sort=True)[features]
    means, medians = grouped.mean(), grouped.median()
    for feature in features:
        table[f"{feature}_mean"] = means[feature].to_numpy()
        table[f"{feature}_median"] = medians[feature].to_numpy()
    table = pd.concat([_names(customers, numbered, medians, cuts), table], axis=1)
    segment_of = dict(zip(table[CLUSTER], table[SEGMENT], strict=True))
    rfm = rfm_scores(customers, cuts)[RFM_SEGMENT]
    return Profiles(
        labels=numbered,
        table=table,
        snake=_snake(means, frame[features].mean(), segment_of),
        countries=_top_countries(customers, numbered) if COUNTRY in customers else None,
        crosstab=_crosstab(numbered, rfm.to_numpy()),
        rfm_agreement=float(adjusted_rand_score(numbered, pd.factorize(rfm)[0])),
    )


def rank_profile(customers: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Each cluster's mean percentile rank (0 to 1) of its customers on being recent (low
    recency ranks high), frequent and high-spending: one row per cluster, for a radar."""
    ranks = customers[list(RFM_COLUMNS)].rank(pct=True)
    ranks[RECENCY] = 1 - ranks[RECENCY]
    return ranks.groupby(np.asarray(labels)).mean().rename_axis(CLUSTER)


def value_order(customers: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, … from the highest mean monetary down (ties documented above)."""
    stats = (
        customers[[MONETARY, RECENCY, FREQUENCY]]
        .assign(_label=labels)
        .groupby("_label", sort=True)
        .mean()
        .reset_index()
    )
    ranked = stats.sort_values(
        [MONETARY, RECENCY, FREQUENCY, "_label"],
        ascending=[False, True, False, True],
        kind="stable",
    )
    number_of = dict(zip(ranked["_label"], range(len(ranked)), strict=True))
    return pd.Series(labels).map(number_of).to_numpy(dtype=np.int64)


def format_money(amount: float) -> str:
    """Pounds in a few characters: £668, £1.2k, £14k, £1.2M (rounded, never '£1000k')."""
    if round(amount) < 1_000:
        return f"£{amount:.0f}"
    for size, suffix in ((1e3, "k"), (1e6, "M")):
        scaled = amount / size
        text = f"{scaled:.1f}" if round(scaled, 1) < 10 else f"{scaled:.0f}"
        if float(text) < 1_000 or suffix == "M":
            break
    return f"£{text}{suffix}"


def describe_median(
    recency: float, frequency: float, monetary: float, interval: float = math.nan
) -> str:
    """One line on a median customer, e.g. 'bought 9 days ago on median, 27 orders, £14k',
    with 'one every 12 days' after the orders where the typical interval is known."""
    days = _number(recency)
    orders = _number(frequency)
    every = ""
    if frequency >= 2 and math.isfinite(interval):
        gap = _number(round(interval))
        every = f" one every {gap} day{'' if gap == '1' else 's'},"
    return (
        f"bought {days} day{'' if days == '1' else 's'} ago on median, "
        f"{orders} order{'' if orders == '1' else 's'},{every} {format_money(monetary)}"
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if math.isclose(value, round(value)) else f"{value:,.1f}"


def _size_and_revenue(frame: pd.DataFrame) -> pd.DataFrame:
    sizes = frame.groupby(CLUSTER, sort=True)[MONETARY].agg(["size", "sum"])
    total_revenue = frame[MONETARY].sum()
    return pd.DataFrame(
        {
            "customers": sizes["size"].to_numpy(),
            "customer_share": (sizes["size"] / len(frame)).to_numpy(),
            "revenue": sizes["sum"].to_numpy(),
            "revenue_share": (sizes["sum"] / total_revenue).to_numpy(),
        }
    )


def order_intervals(customers: pd.DataFrame) -> pd.Series:
    """Each customer's typical days between orders: days from the first to the last order
    (``tenure_days - recency``) over ``frequency - 1``; NaN for one-order customers or
    without a ``tenure_days`` column."""
    if TENURE not in customers:
        return pd.Series(np.nan, index=customers.index)
    repeat = customers[FREQUENCY] >= 2
    span = customers[TENURE] - customers[RECENCY]
    return (span / (customers[FREQUENCY] - 1)).where(repeat)


def recency_position(recency: float, interval: float) -> float:
    """Recency on the 1-5 R scale read from days: 4 at one typical interval between
    orders, 2.5 at :data:`LAPSED_INTERVALS` intervals, 1.5 steps per factor of 3,
    clipped to 1-5 (intervals below a day count as a day)."""
    ratio = max(recency, 0.5) / max(interval, 1.0)
    steps = math.log(ratio) / math.log(LAPSED_INTERVALS)
    return float(np.clip(4 - 1.5 * steps, 1, 5))


def _names(
    customers: pd.DataFrame, numbered: np.ndarray, medians: pd.DataFrame, cuts: ScoreCuts
) -> pd.DataFrame:
    """Name, description, action and median-customer scores of each cluster."""
    r_scores, f_scores, m_scores = (
        score_values(medians[feature].to_numpy(), feature, cuts) for feature in RFM_COLUMNS
    )
    intervals = order_intervals(customers)
    own = intervals.groupby(numbered).median().reindex(medians.index).to_numpy()
    orders = medians[FREQUENCY].to_numpy()
    reference = np.where(orders >= 2, own, intervals.median())
    r_positions = np.array(
        [
            recency_position(recency, interval) if np.isfinite(interval) else float(score)
            for recency, interval, score in zip(medians[RECENCY], reference, r_scores, strict=True)
        ]
    )
    top = (f_scores == SCORES[-1]) | (m_scores == SCORES[-1])
    fitting = [
        _fitting(n, r, f, bool(t))
        for n, r, f, t in zip(orders, r_positions, f_scores, top, strict=True)
    ]
    standing = pd.DataFrame(
        {
            feature: [_share_below(customers[feature], value) for value in medians[feature]]
            for feature in _SEPARATING
        }
    )
    bases = _match(r_positions, f_scores, fitting, standing)
    descriptions = [
        f"{describe_median(row[RECENCY], row[FREQUENCY], row[MONETARY], interval)}. "
        f"{SEGMENTS[base].description}"
        for base, (_, row), interval in zip(bases, medians.iterrows(), own, strict=True)
    ]
    return pd.DataFrame(
        {
            CLUSTER: medians.index.to_numpy(),
            SEGMENT: _qualified(bases, medians, standing),
            "description": descriptions,
            "action": [SEGMENTS[base].action for base in bases],
            "r_score": r_scores,
            "f_score": f_scores,
            "order_interval": own,
        }
    )


def _fitting(orders: float, r_position: float, f_score: int, top: bool) -> tuple[bool, ...]:
    """Which rules fit a cluster: its orders, lapse and top fifth, and its position
    within reach of the rule's cells where any rule allows it."""
    lapsed = r_position < LAPSED_POSITION
    fits = [rule.fits(orders, lapsed, top) for rule in SEGMENT_RULES]
    near = [
        fit and rule.reaches(r_position, f_score)
        for fit, rule in zip(fits, SEGMENT_RULES, strict=True)
    ]
    return tuple(near if any(near) else fits)


def _match(
    r_positions: np.ndarray,
    f_scores: np.ndarray,
    fitting: list[tuple[bool, ...]],
    standing: pd.DataFrame,
) -> list[str]:
    """Base names of the clusters (in value order) by a minimum-cost matching.

    Clusters in the same R and F cell that fit the same names and differ most in spend
    form one group and share a name. Groups take names that fit them, each name at most
    once while a fitting name is free, at the least total distance from the groups'
    positions to the names' cells; exact ties pair value order with the rule table's
    order (Champions first).
    """
    cells = np.clip(np.floor(r_positions + 0.5), 1, 5)
    keys = list(zip(cells, f_scores, fitting, strict=True))
    groups = []
    for key in dict.fromkeys(keys):
        members = [i for i, other in enumerate(keys) if other == key]
        together = len(members) == 1 or _separating(standing.iloc[members]) == MONETARY
        groups.extend([members] if together else [[i] for i in members])
    rules = len(SEGMENT_RULES)
    cost = np.empty((len(groups), rules * len(groups)))
    for g, members in enumerate(groups):
        for j, rule in enumerate(SEGMENT_RULES):
            distance = sum(rule.distance(r_positions[i], f_scores[i], F_WEIGHT) for i in members)
            base = distance if fitting[members[0]][j] else _UNFIT
            tie = _TIE * (members[0] - j) ** 2
            cost[g, j::rules] = base + tie + _REPEAT * np.arange(len(groups))
    names = [""] * len(keys)
    for g, column in zip(*linear_sum_assignment(cost), strict=True):
        for i in groups[g]:
            names[i] = SEGMENT_RULES[column % rules].name
    return names


def _separating(standing: pd.DataFrame) -> str:
    """The feature whose medians differ most among these clusters, spend on ties."""
    spread = standing.max() - standing.min()
    return str(spread.idxmax())


def _qualified(bases: list[str], medians: pd.DataFrame, standing: pd.DataFrame) -> list[str]:
    """Names with a qualifier, best first, where clusters share a base name: on the feature
    that separates them most."""
    names = list(bases)
    for base in dict.fromkeys(bases):
        sharing = [i for i, b in enumerate(bases) if b == base]
        if len(sharing) < 2:
            continue
        feature = _separating(standing.iloc[sharing])
        sign = 1 if feature == RECENCY else -1  # fewest days, most orders, most spend first
        ranked = sorted(sharing, key=lambda i: (sign * medians[feature].iloc[i], i))
        tier, two, three = _QUALIFIERS[feature]
        qualifiers = {2: two, 3: three}.get(len(ranked)) or [
            f"{tier} tier {n}" for n in range(1, len(ranked) + 1)
        ]
        for position, qualifier in zip(ranked, qualifiers, strict=True):
            names[position] = f"{base} ({qualifier})"
    return names


def _share_below(values: pd.Series, value: float) -> float:
    """The share of ``values`` below ``value``, ties counting half."""
    return float((values < value).mean() + 0.5 * (values == value).mean())


def _snake(means: pd.DataFrame, overall: pd.Series, segment_of: dict[int, str]) -> pd.DataFrame:
    """Each cluster's mean of each feature against the overall mean (snake-plot data)."""
    long = means.reset_index().melt(id_vars=CLUSTER, var_name="feature", value_name="mean")
    long["overall_mean"] = long["feature"].map(overall)
    with np.errstate(divide="ignore", invalid="ignore"):
        long["relative_difference"] = long["mean"] / long["overall_mean"] - 1
    long.insert(1, SEGMENT, long[CLUSTER].map(segment_of))
    return long.sort_values(CLUSTER, kind="stable").reset_index(drop=True)


def _top_countries(customers: pd.DataFrame, numbered: np.ndarray) -> pd.DataFrame:
    counts = (
        pd.DataFrame({CLUSTER: numbered, COUNTRY: customers[COUNTRY].to_numpy()})
        .value_counts(dropna=False)
        .rename("customers")
        .reset_index()
    )
    counts["share"] = counts["customers"] / counts.groupby(CLUSTER)["customers"].transform("sum")
    counts = counts.sort_values(
        [CLUSTER, "customers", COUNTRY], ascending=[True, False, True], kind="stable"
    )
    return counts.groupby(CLUSTER).head(TOP_COUNTRIES).reset_index(drop=True)


def _crosstab(numbered: np.ndarray, rfm: np.ndarray) -> pd.DataFrame:
    table = pd.crosstab(pd.Series(numbered, name=CLUSTER), pd.Series(rfm, name=RFM_SEGMENT))
    return table.reindex(columns=[rule.name for rule in SEGMENT_RULES], fill_value=0)
