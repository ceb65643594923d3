"""Charts of the Products and What to offer pages: revenue by category, the Pareto curve of
revenue over products, each segment's lift per category, and the lists' backtest beside
its baselines. Every chart of named rows takes a height per row."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from app.charts import heat_map
from app.segment_charts import ROW_STEP
from segmentation.products.affinity import Affinity
from segmentation.products.backtest import RecommendationBacktest

#: Height of one bar of a chart of categories, in pixels.
BAR_STEP = 26
#: Most categories a heat map shows (those of most revenue), the height of its rows, the
#: width of its columns and of all of them at most (eleven RFM segments fit beside the
#: category names and the legend).
MOST_CATEGORIES, CELL_STEP, COLUMN_STEP, PLOT_WIDTH = 40, 24, 90, 720
#: The lists of the backtest and their measures, as the charts name them.
LISTS = {"discover": "Discover", "buy_again": "Buy again"}
MEASURES = {"hit_rate": "hit rate", "recall": "recall"}


def category_bars(table: pd.DataFrame) -> alt.Chart:
    """Revenue of every category of ``table`` (``category, products, revenue,
    revenue_share, words``), largest first."""
    order = table.sort_values("revenue", ascending=False, kind="stable")["category"].tolist()
    return (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X("revenue:Q", title="Revenue (£)", axis=alt.Axis(format="~s")),
            y=alt.Y("category:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)),
            tooltip=[
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("products:Q", title="Products", format=","),
                alt.Tooltip("revenue:Q", title="Revenue (£)", format=",.0f"),
                alt.Tooltip("revenue_share:Q", title="Share of revenue", format=".1%"),
                alt.Tooltip("words:N", title="Words"),
            ],
        )
        .properties(height=alt.Step(BAR_STEP))
    )


def pareto(catalogue: pd.DataFrame) -> pd.DataFrame:
    """The cumulative share of revenue against the share of products, best sellers first:
    ``products``, ``product_share``, ``revenue_share`` (one row per product)."""
    revenue = catalogue["revenue"].clip(lower=0).sort_values(ascending=False).to_numpy()
    total = revenue.sum()
    count = np.arange(1, len(revenue) + 1)
    return pd.DataFrame(
        {
            "products": count,
            "product_share": count / max(len(revenue), 1),
            "revenue_share": revenue.cumsum() / total if total else np.zeros(len(revenue)),
        }
    )


def pareto_point(curve: pd.DataFrame, share: float = 0.2) -> tuple[int, float]:
    """How many products make the first ``share`` of the catalogue, and their share of
    revenue."""
    products = max(1, round(share * len(curve)))
    return products, float(curve["revenue_share"].iloc[products - 1])


def pareto_chart(curve: pd.DataFrame, share: float = 0.2) -> alt.LayerChart:
    """The Pareto curve, with the first ``share`` of the products marked."""
    step = max(1, len(curve) // 2_000)  # at most about 2,000 points drawn
    drawn = pd.concat([curve.iloc[::step], curve.iloc[[-1]]]).drop_duplicates("products")
    line = (
        alt.Chart(drawn)
        .mark_area(line=True, opacity=0.25)
        .encode(
            x=alt.X(
                "product_share:Q",
                title="Share of products, best sellers first",
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("revenue_share:Q", title="Share of revenue", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("products:Q", title="Products", format=","),
                alt.Tooltip("product_share:Q", title="Share of products", format=".1%"),
                alt.Tooltip("revenue_share:Q", title="Share of revenue", format=".1%"),
            ],
        )
    )
    products, revenue = pareto_point(curve, share)
    mark = pd.DataFrame({"product_share": [products / len(curve)], "revenue_share": [revenue]})
    rules = alt.Chart(mark).mark_rule(strokeDash=[4, 4], color="#e15759")
    point = alt.Chart(mark).mark_point(size=80, filled=True, color="#e15759")
    return (
        line
        + rules.encode(x="product_share:Q")
        + rules.encode(y="revenue_share:Q")
        + point.encode(x="product_share:Q", y="revenue_share:Q")
    ).properties(height=320)


def affinity_heat(found: Affinity, order: list[str], categories: list[str]) -> alt.LayerChart:
    """Each segment's lift per category: a row per category of ``categories`` (there may be
    forty: rows keep their names readable), a column per segment in ``order``, with the
    segment's share of spend on hover."""
    shown = [c for c in categories if c in found.lift.columns][:MOST_CATEGORIES]
    segments = [s for s in order if s in found.lift.index]
    lift = found.lift.loc[segments, shown].rename_axis(index="segment", columns="category")
    share = found.shares.loc[segments, shown].rename_axis(index="segment", columns="category")
    long = pd.DataFrame({"lift": lift.stack(), "share": share.stack()}).reset_index()
    span = max(float((long["lift"] - 1).abs().max()), 0.1)
    chart = heat_map(
        long,
        x=("segment", "Segment", segments),
        y=("category", "Category", shown),
        value=("lift", "Lift (× all customers' share)", ".1f"),
        colour=alt.Scale(scheme="blueorange", domainMid=1),
        dark_above=f"abs(datum.lift - 1) > {0.6 * span}",
        tooltip=[
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("category:N", title="Category"),
            alt.Tooltip("lift:Q", title="Lift", format=".2f"),
            alt.Tooltip("share:Q", title="Share of the segment's spend", format=".1%"),
        ],
    )
    column = min(COLUMN_STEP, PLOT_WIDTH // max(len(segments), 1))
    return chart.properties(height=alt.Step(CELL_STEP), width=alt.Step(column))


def backtest_frame(backtest: RecommendationBacktest) -> pd.DataFrame:
    """The backtest's hit rate and recall of each list, the lists' and the baseline's:
    ``measure, model, value``."""
    rows = []
    for kind, label in LISTS.items():
        figures = getattr(backtest, kind)
        for measure, words in MEASURES.items():
            name = f"{label}: {words}"
            rows.append((name, "Lists", figures[measure]))
            rows.append((name, "Baseline", figures["baseline"][measure]))
    return pd.DataFrame(rows, columns=["measure", "model", "value"])


def backtest_chart(backtest: RecommendationBacktest) -> alt.Chart:
    """Hit rate and recall of the discover and buy-again lists beside their baselines."""
    frame = backtest_frame(backtest)
    order = list(dict.fromkeys(frame["measure"]))
    colour = alt.Scale(domain=["Lists", "Baseline"], range=["#4e79a7", "#bab0ac"])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="Share", axis=alt.Axis(format="%")),
            y=alt.Y("measure:N", title=None, sort=order, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("model:N", sort=["Lists", "Baseline"]),
            color=alt.Color("model:N", title=None, scale=colour, sort=["Lists", "Baseline"]),
            tooltip=[
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("model:N", title="Of"),
                alt.Tooltip("value:Q", title="Value", format=".1%"),
            ],
        )
        .properties(height=alt.Step(ROW_STEP // 2))
    )
