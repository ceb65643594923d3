"""Cluster profiles: sizes, revenue, feature averages, names in words and RFM cross-check.

Clusters are numbered by value: cluster 0 has the highest mean monetary (total spend per
customer); ties go to the lower mean recency, then the higher mean frequency, then the
fitted label, so the same data and options always give the same numbering.

A cluster is named by the RFM rule table applied to its median customer: the median
recency and frequency of its customers, scored against the cut points of the whole
population. Clusters that would share a name get a spend qualifier in value order:
"(high spend)"/"(low spend)", "(high/mid/low spend)", or "(spend tier n)" beyond three.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from segmentation.errors import ModelError
from segmentation.models.preparation import feature_matrix, numeric_columns
from segmentation.models.rfm import (
    RFM_SEGMENT,
    SEGMENT_RULES,
    SEGMENTS,
    ScoreCuts,
    rfm_scores,
    score_cut_points,
    score_values,
    segment_names,
)
from segmentation.schema import COUNTRY, FREQUENCY, MONETARY, RECENCY, RFM_COLUMNS

CLUSTER = "cluster"
SEGMENT = "segment"
TOP_COUNTRIES = 3
_QUALIFIERS = {2: ("high spend", "low spend"), 3: ("high spend", "mid spend", "low spend")}


@dataclass(frozen=True, eq=False)
class Profiles:
    """What each cluster is, one row per cluster in value order.

    ``labels`` is every customer's cluster number (customer table order). ``table`` has
    cluster, segment, description, action, r_score and f_score of the median customer,
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
    table = pd.concat([_names(medians, cuts), table], axis=1)
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


def describe_median(recency: float, frequency: float, monetary: float) -> str:
    """One line on a median customer, e.g. 'bought 9 days ago on median, 27 orders, £14k'."""
    days = _number(recency)
    orders = _number(frequency)
    return (
        f"bought {days} day{'' if days == '1' else 's'} ago on median, "
        f"{orders} order{'' if orders == '1' else 's'}, {format_money(monetary)}"
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


def _names(medians: pd.DataFrame, cuts: ScoreCuts) -> pd.DataFrame:
    """Name, description, action and median-customer scores of each cluster."""
    r_scores = score_values(medians[RECENCY].to_numpy(), RECENCY, cuts)
    f_scores = score_values(medians[FREQUENCY].to_numpy(), FREQUENCY, cuts)
    bases = segment_names(r_scores, f_scores)
    names = list(bases)
    for base in set(bases):
        sharing = [i for i, b in enumerate(bases) if b == base]
        if len(sharing) > 1:
            qualifiers = _QUALIFIERS.get(
                len(sharing), tuple(f"spend tier {n}" for n in range(1, len(sharing) + 1))
            )
            for position, qualifier in zip(sharing, qualifiers, strict=True):
                names[position] = f"{base} ({qualifier})"
    descriptions = [
        f"{describe_median(row[RECENCY], row[FREQUENCY], row[MONETARY])}. "
        f"{SEGMENTS[base].description}"
        for base, (_, row) in zip(bases, medians.iterrows(), strict=True)
    ]
    return pd.DataFrame(
        {
            CLUSTER: medians.index.to_numpy(),
            SEGMENT: names,
            "description": descriptions,
            "action": [SEGMENTS[base].action for base in bases],
            "r_score": r_scores,
            "f_score": f_scores,
        }
    )


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
