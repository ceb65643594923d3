"""Movement between two dates: which segment each customer was in then and is in now.

Each date has its own customer table, from the orders dated on or before it only
(:func:`~segmentation.movement.snapshots.customer_snapshots`). Both dates are judged by one
model, taken at the later date, so that a move means the customer changed, not the model:

* ``rfm``: the RFM rule table with the cut points of the customers at the later date,
  applied to both tables (at the earlier date the same recency, frequency and spend get
  the same scores);
* ``cluster``: the clusters fitted on the customers at the later date
  (:func:`~segmentation.movement.snapshots.segments_as_of`, which leaves out the features
  the orders cannot give by date), and the customers at the earlier date prepared with
  the same fitted steps (caps, transform, scaling) and placed in the cluster with the
  nearest mean, as :mod:`~segmentation.segments.assignment` places customers beyond a
  sample; a cluster's name means the same at both dates.

Customers whose first order is after the earlier date come from "New since DATE".
So every customer who bought on or before the later date is in exactly one flow, and the
revenue of each customer up to the later date is split exactly into ``revenue_before``
(on or before the earlier date) and ``revenue_after`` (after it, up to the later date).

The orders come from lines cleaned once on all the data. Every cleaning step on by default
judges a line by itself, which is the same as cleaning each date's lines on their own;
``net_cancellations`` (off by default) also removes a purchase before the earlier date that
is cancelled after it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from segmentation.choices import MOVEMENT_KINDS
from segmentation.errors import ModelError
from segmentation.movement.snapshots import Snapshots, segments_as_of
from segmentation.schema import (
    COUNTRY,
    CUSTOMER_ID,
    FREQUENCY,
    MONETARY,
    RECENCY,
    RFM_COLUMNS,
)
from segmentation.segments.assignment import cluster_means
from segmentation.segments.preparation import prepare_like
from segmentation.segments.profiles import CLUSTER, SEGMENT, format_money
from segmentation.segments.rfm import RFM_SEGMENT, SEGMENT_RULES, rfm_scores, score_cut_points
from segmentation.segments.segment import Segmentation

FROM_SEGMENT, TO_SEGMENT = "from_segment", "to_segment"
REVENUE_BEFORE, REVENUE_AFTER = "revenue_before", "revenue_after"
#: Columns of :attr:`Movement.transitions`, one row per flow.
TRANSITION_COLUMNS: tuple[str, ...] = (
    FROM_SEGMENT,
    TO_SEGMENT,
    "customers",
    REVENUE_BEFORE,
    REVENUE_AFTER,
)
#: Flows named in words by :meth:`Movement.sentences` unless told otherwise.
NAMED_FLOWS = 5


@dataclass(frozen=True, eq=False)
class Movement:
    """Every customer's segment at two dates, and the flows between them.

    ``customers`` has one row per customer who bought on or before ``to_date``:
    ``customer_id, from_segment, to_segment, revenue_before, revenue_after``, then
    ``recency, frequency, monetary`` (and ``country``) as of ``to_date``. ``transitions``
    has one row per flow with customers (:data:`TRANSITION_COLUMNS`), in the order of
    ``from_order`` then ``to_order`` (best segments first, "New since DATE" last).
    ``model`` says, JSON-ready, which cut points or which fit judged both dates.
    """

    kind: str
    from_date: date
    to_date: date
    customers: pd.DataFrame
    transitions: pd.DataFrame
    from_order: tuple[str, ...]
    to_order: tuple[str, ...]
    model: dict
    notes: tuple[str, ...]

    @property
    def new_label(self) -> str:
        """The row of the customers whose first purchase is after the earlier date."""
        return new_since(self.from_date)

    def matrix(self, shares: bool = False) -> pd.DataFrame:
        """Customers from each segment (rows) to each segment (columns); with ``shares``,
        each row as shares of its customers."""
        counts = self.transitions.pivot_table(
            index=FROM_SEGMENT, columns=TO_SEGMENT, values="customers", aggfunc="sum"
        )
        counts = counts.reindex(index=list(self.from_order), columns=list(self.to_order))
        counts = counts.fillna(0).astype("int64").rename_axis(index=FROM_SEGMENT, columns=None)
        if shares:
            return counts.div(counts.sum(axis=1), axis=0)
        return counts

    def segment_counts(self) -> pd.DataFrame:
        """Customers in each segment at each date (0 where a segment is empty)."""
        before = self.customers.loc[
            self.customers[FROM_SEGMENT] != self.new_label, FROM_SEGMENT
        ].value_counts()
        after = self.customers[TO_SEGMENT].value_counts()
        names = [*self.to_order, *(s for s in self.from_order if s not in self.to_order)]
        names = [n for n in names if n != self.new_label]
        return pd.DataFrame(
            {
                SEGMENT: names,
                "customers_from": [int(before.get(n, 0)) for n in names],
                "customers_to": [int(after.get(n, 0)) for n in names],
            }
        )

    def moves(self) -> pd.DataFrame:
        """The flows of customers who changed segment (new customers left out), largest
        first (ties: more revenue before, then the order of the matrix)."""
        flows = self.transitions
        moved = flows[
            (flows[FROM_SEGMENT] != flows[TO_SEGMENT]) & (flows[FROM_SEGMENT] != self.new_label)
        ]
        return moved.sort_values(
            ["customers", REVENUE_BEFORE], ascending=False, kind="stable"
        ).reset_index(drop=True)

    def flow_customers(self, from_segment: str, to_segment: str) -> pd.DataFrame:
        """The customers of one flow (rows of :attr:`customers`)."""
        chosen = (self.customers[FROM_SEGMENT] == from_segment) & (
            self.customers[TO_SEGMENT] == to_segment
        )
        return self.customers[chosen].reset_index(drop=True)

    def flow_sentence(self, flow: pd.Series | dict) -> str:
        """One flow in words, e.g. '312 Champions of 2011-09-10 are At Risk by 2011-12-09:
        £410k of revenue up to 2011-09-10, £12k since.'"""
        n, source, target = int(flow["customers"]), flow[FROM_SEGMENT], flow[TO_SEGMENT]
        start, end = f"{self.from_date:%Y-%m-%d}", f"{self.to_date:%Y-%m-%d}"
        verb = "is" if n == 1 else "are"
        after = format_money(float(flow[REVENUE_AFTER]))
        if source == self.new_label:
            who = "1 customer new" if n == 1 else f"{n:,} customers new"
            return f"{who} since {start} {verb} {target} by {end}: {after} of revenue since."
        who = f"1 customer of {source} on {start}" if n == 1 else f"{n:,} {source} of {start}"
        before = format_money(float(flow[REVENUE_BEFORE]))
        return f"{who} {verb} {target} by {end}: {before} of revenue up to {start}, {after} since."

    def stayed(self) -> tuple[int, int]:
        """Customers of the earlier date in the same segment at the later one, and all the
        customers of the earlier date."""
        flows = self.transitions
        old = flows[flows[FROM_SEGMENT] != self.new_label]
        same = old.loc[old[FROM_SEGMENT] == old[TO_SEGMENT], "customers"]
        return int(same.sum()), int(old["customers"].sum())

    def sentences(self, n: int = NAMED_FLOWS) -> list[str]:
        """The ``n`` largest moves in words, then how many stayed and where the new
        customers went (their largest flow)."""
        said = [self.flow_sentence(row) for _, row in self.moves().head(n).iterrows()]
        if not said:
            said.append(largest_flow_sentence(self))
        flows = self.transitions
        stayed, total = self.stayed()
        said.append(
            f"{stayed:,} of the {total:,} customers of {self.from_date:%Y-%m-%d} "
            f"({stayed / total:.0%}) {'is' if stayed == 1 else 'are'} in the same segment on "
            f"{self.to_date:%Y-%m-%d}."
        )
        new = flows[flows[FROM_SEGMENT] == self.new_label]
        if not new.empty:
            largest = new.sort_values(["customers", REVENUE_AFTER], ascending=False, kind="stable")
            said.append(self.flow_sentence(largest.iloc[0]))
        return said

    def summary(self) -> dict:
        """A JSON-serialisable digest: the dates, the kind, the model and the counts per
        segment at each date; amounts rounded so equal runs give equal dicts."""
        new = self.customers[FROM_SEGMENT] == self.new_label
        return {
            "from_date": f"{self.from_date:%Y-%m-%d}",
            "to_date": f"{self.to_date:%Y-%m-%d}",
            "kind": self.kind,
            "recency": "whole days from the date of the last purchase to the day after each date",
            "model": self.model,
            "customers_from": int((~new).sum()),
            "customers_to": len(self.customers),
            "new_customers": int(new.sum()),
            "revenue_before": _money(self.customers[REVENUE_BEFORE].sum()),
            "revenue_after": _money(self.customers[REVENUE_AFTER].sum()),
            "segments": self.segment_counts().to_dict(orient="records"),
            "largest_flows": self.sentences(),
            "notes": list(self.notes),
        }


def new_since(day: date) -> str:
    """The name of the row of customers whose first purchase is after ``day``."""
    return f"New since {day:%Y-%m-%d}"


def migrate(
    snapshots: Snapshots,
    kind: str = "rfm",
    *,
    fitted: Segmentation | None = None,
    **options: object,
) -> Movement:
    """The movement of the customers between the two dates of ``snapshots``, judged by the
    RFM rule table (``kind="rfm"``) or by clusters (``"cluster"``; ``options`` are those of
    :func:`~segmentation.segments.segment.segment_customers`, or give the ``fitted``
    segmentation of ``snapshots.after``; features the orders cannot give by date are left
    out, see :func:`~segmentation.movement.snapshots.segments_as_of`)."""
    if kind == "rfm":
        return rfm_movement(snapshots)
    if kind == "cluster":
        return cluster_movement(snapshots, fitted, **options)
    raise ModelError(
        f"Unknown kind of segments {kind!r}; choose one of {', '.join(MOVEMENT_KINDS)}."
    )


def rfm_movement(snapshots: Snapshots) -> Movement:
    """Both dates named by the RFM rule table with the cut points of the later date."""
    cuts = score_cut_points(snapshots.after)
    before = rfm_scores(snapshots.before, cuts)[RFM_SEGMENT].to_numpy()
    after = rfm_scores(snapshots.after, cuts)[RFM_SEGMENT].to_numpy()
    model = {
        "cut_points_of": f"the customers on {snapshots.to_date:%Y-%m-%d}",
        **{feature: [round(c, 2) for c in cuts.of(feature)] for feature in RFM_COLUMNS},
    }
    notes = (
        f"Both dates are scored against the RFM cut points of the customers on "
        f"{snapshots.to_date:%Y-%m-%d} (recency {_cuts(cuts.recency)} days, frequency "
        f"{_cuts(cuts.frequency)} orders, spend {_cuts(cuts.monetary, money=True)}).",
        *cuts.notes(),
    )
    order = [rule.name for rule in SEGMENT_RULES]
    return _movement("rfm", snapshots, before, after, order, model, notes)


def cluster_movement(
    snapshots: Snapshots, fitted: Segmentation | None = None, **options: object
) -> Movement:
    """Both dates placed in the clusters fitted on the customers of the later date."""
    fitted = fitted or segments_as_of(snapshots.after, snapshots.to_date, **options)
    ids = fitted.customers[CUSTOMER_ID].to_numpy()
    if not np.array_equal(ids, snapshots.after[CUSTOMER_ID].to_numpy()):
        raise ValueError("fitted is not the segmentation of the customers on the later date")
    labels = fitted.customers[CLUSTER].to_numpy()
    centres = cluster_means(fitted.prepared, labels)
    names = fitted.profiles.table[SEGMENT].tolist()  # row i is cluster i
    placed = nearest(prepare_like(snapshots.before, fitted.prepared), centres)
    again = float((nearest(fitted.prepared.matrix, centres) == labels).mean())
    summary = fitted.summary()
    keys = ("features", "transform", "scaler", "outliers", "outlier_percentile", "method", "k")
    model = {
        "fitted_on": f"the customers on {snapshots.to_date:%Y-%m-%d}",
        **{key: summary[key] for key in keys},
        "k_reason": summary["k_reason"],
        "silhouette": summary["silhouette"],
        "clusters": [
            {CLUSTER: c["cluster"], SEGMENT: c["segment"], "customers": c["customers"]}
            for c in summary["clusters"]
        ],
        "earlier_date": "each customer in the cluster with the nearest mean, after the "
        "fitted caps, transform and scaling",
        "nearest_mean_agrees_with_fit": round(again, 4),
    }
    notes = [
        f"The clusters were fitted on the customers of {snapshots.to_date:%Y-%m-%d} "
        f"({fitted.method}, k = {fitted.k}); the customers of {snapshots.from_date:%Y-%m-%d} "
        "went through the same fitted preparation and into the cluster with the nearest mean.",
    ]
    if again < 1:
        notes.append(
            f"The nearest mean gives {again:.1%} of the customers of "
            f"{snapshots.to_date:%Y-%m-%d} the cluster the fit gave them."
        )
    return _movement(
        "cluster",
        snapshots,
        np.asarray(names, dtype=object)[placed],
        np.asarray(names, dtype=object)[labels],
        names,
        model,
        (*notes, *(n for n in fitted.notes if n not in fitted.score_cuts.notes())),
    )


def nearest(matrix: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The row of ``centres`` nearest each row of ``matrix`` (Euclidean; ties to the lower)."""
    distances = ((matrix[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


def largest_flow_sentence(movement: Movement) -> str:
    """The largest move between segments as one sentence (for a page's story), e.g.
    '312 Champions of 2011-09-10 are At Risk by 2011-12-09: £410k of revenue up to
    2011-09-10, £12k since.'; if nobody moved, a sentence saying so."""
    moves = movement.moves()
    if moves.empty:
        return (
            f"No customer changed segment between {movement.from_date:%Y-%m-%d} "
            f"and {movement.to_date:%Y-%m-%d}."
        )
    return movement.flow_sentence(moves.iloc[0])


def _movement(
    kind: str,
    snapshots: Snapshots,
    before: np.ndarray,
    after: np.ndarray,
    order: list[str],
    model: dict,
    notes: tuple[str, ...],
) -> Movement:
    """The flows of every customer of the later date from the segments of both dates."""
    earlier, later = snapshots.before, snapshots.after
    label = new_since(snapshots.from_date)
    # where each customer of the earlier date is in the later table (ids are text; aligned
    # by position, which is many times quicker than looking text up row by row)
    where = pd.Index(later[CUSTOMER_ID]).get_indexer(earlier[CUSTOMER_ID])
    if (where < 0).any():
        raise ValueError("a customer of the earlier date is missing at the later date")
    segment_then = np.full(len(later), label, dtype=object)
    segment_then[where] = before
    revenue_before = np.zeros(len(later))
    revenue_before[where] = earlier[MONETARY].to_numpy(dtype=np.float64)
    spent = later[MONETARY].to_numpy(dtype=np.float64)
    extra = [c for c in (COUNTRY,) if c in later.columns]
    customers = pd.DataFrame(
        {
            CUSTOMER_ID: later[CUSTOMER_ID].to_numpy(),
            FROM_SEGMENT: segment_then,
            TO_SEGMENT: after,
            REVENUE_BEFORE: revenue_before,
            REVENUE_AFTER: spent - revenue_before,
            RECENCY: later[RECENCY].to_numpy(),
            FREQUENCY: later[FREQUENCY].to_numpy(),
            MONETARY: spent,
            **{c: later[c].to_numpy() for c in extra},
        }
    )
    present_then, present_now = set(pd.unique(segment_then)), set(pd.unique(after))
    from_order = tuple(s for s in (*order, label) if s in present_then)
    to_order = tuple(s for s in order if s in present_now)
    flows = customers.groupby([FROM_SEGMENT, TO_SEGMENT], sort=False).agg(
        customers=(CUSTOMER_ID, "size"),
        **{REVENUE_BEFORE: (REVENUE_BEFORE, "sum"), REVENUE_AFTER: (REVENUE_AFTER, "sum")},
    )
    flows = flows.reset_index()
    flows["_from"] = flows[FROM_SEGMENT].map({s: i for i, s in enumerate(from_order)})
    flows["_to"] = flows[TO_SEGMENT].map({s: i for i, s in enumerate(to_order)})
    flows = flows.sort_values(["_from", "_to"]).drop(columns=["_from", "_to"])
    return Movement(
        kind=kind,
        from_date=snapshots.from_date,
        to_date=snapshots.to_date,
        customers=customers,
        transitions=flows.reset_index(drop=True)[list(TRANSITION_COLUMNS)],
        from_order=from_order,
        to_order=to_order,
        model=model,
        notes=tuple(notes),
    )


def _cuts(points: tuple[float, ...], money: bool = False) -> str:
    return " / ".join(format_money(p) if money else f"{p:,.1f}".removesuffix(".0") for p in points)


def _money(value: float) -> float:
    value = float(value)
    return round(value, 2) if math.isfinite(value) else 0.0
