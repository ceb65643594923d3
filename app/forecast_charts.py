"""Charts of the Value and risk page: built from the forecast's tables, drawn by the page.
Segments keep the colours and order of the other pages."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from app.segment_charts import ROW_STEP

PERIOD_COLOURS = alt.Scale(domain=["calibration", "holdout"], range=["#4e79a7", "#f28e2b"])
#: Bars of a probability's distribution: twenty of 0.05.
PROBABILITY_BINS = np.linspace(0, 1, 21)


def segment_bars(
    table: pd.DataFrame,
    column: str,
    title: str,
    fmt: str,
    order: list[str],
    scale: alt.Scale | None,
) -> alt.LayerChart:
    """One bar per segment (the rows of a per-segment table, in ``order``) with its value
    written at the end; ``fmt`` is a d3 number format."""
    frame = table.reset_index()[["segment", column]]
    base = alt.Chart(frame).encode(
        y=alt.Y("segment:N", title=None, sort=order, axis=alt.Axis(labelLimit=220)),
        x=alt.X(f"{column}:Q", title=title, axis=alt.Axis(format=fmt)),
        tooltip=[
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip(f"{column}:Q", title=title, format=fmt),
        ],
    )
    colour = (
        alt.Color("segment:N", scale=scale, legend=None, sort=order)
        if scale is not None
        else alt.value("#4e79a7")
    )
    bars = base.mark_bar().encode(color=colour)
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(
        text=alt.Text(f"{column}:Q", format=fmt)
    )
    return (bars + text).properties(height=alt.Step(ROW_STEP))


def probability_histogram(values: pd.Series, title: str, colour: str) -> alt.Chart:
    """Customers by a probability, in bars of 0.05 from 0 to 1."""
    counts, edges = np.histogram(values.clip(0, 1), bins=PROBABILITY_BINS)
    frame = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "customers": counts})
    return (
        alt.Chart(frame)
        .mark_bar(color=colour)
        .encode(
            x=alt.X("start:Q", title=title, bin="binned", scale=alt.Scale(domain=[0, 1])),
            x2="end:Q",
            y=alt.Y("customers:Q", title="Customers"),
            tooltip=[
                alt.Tooltip("start:Q", title="From", format=".2f"),
                alt.Tooltip("end:Q", title="To", format=".2f"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .properties(height=240)
    )


def monthly_periods(monthly: pd.DataFrame) -> alt.Chart:
    """Purchase days per month, the calibration period and the held-out days in two colours
    (the month of the calibration end split between them)."""
    return (
        alt.Chart(monthly)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):O", title="Month", axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("sum(purchases):Q", title="Purchase days"),
            color=alt.Color("period:N", title="Period", scale=PERIOD_COLOURS),
            order=alt.Order("period:N"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("purchases:Q", title="Purchase days", format=","),
            ],
        )
        .properties(height=260)
    )


def decile_chart(deciles: pd.DataFrame, unit: str, fmt: str) -> alt.LayerChart:
    """Customers in tenths by prediction: what happened in each (bars) against what was
    predicted (line)."""
    long = deciles.melt(
        id_vars=["decile"], value_vars=["actual", "predicted"], var_name="what", value_name="mean"
    )
    colour = alt.Color(
        "what:N",
        title=None,
        scale=alt.Scale(domain=["actual", "predicted"], range=["#bab0ac", "#e15759"]),
    )
    base = alt.Chart(long).encode(
        x=alt.X("decile:O", title="Tenth of the customers by prediction (10: highest)"),
        y=alt.Y("mean:Q", title=f"{unit} per customer"),
        color=colour,
        tooltip=[
            alt.Tooltip("decile:O", title="Tenth"),
            alt.Tooltip("what:N", title="What"),
            alt.Tooltip("mean:Q", title=f"Mean {unit}", format=fmt),
        ],
    )
    bars = base.transform_filter("datum.what == 'actual'").mark_bar()
    line = base.transform_filter("datum.what == 'predicted'").mark_line(point=True, strokeWidth=3)
    return (bars + line).properties(height=240)
