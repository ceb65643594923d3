"""Charts of the Data, Cleaning and Explore pages: built from the package's tables, drawn
by the pages."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from app.charts import heat_map, segment_scale
from app.text import chart_text
from segmentation.schema import FEATURE_LABELS

#: Plotly's built-in map style without tiles: only the country outlines are drawn, offline
#: too. (A hand-written empty style fails MapLibre's style check when the chart is redrawn,
#: an uncaught "Map error." in the browser.)
BLANK_MAP = "white-bg"


def funnel_bars(funnel: pd.DataFrame) -> tuple[alt.Chart, alt.Chart]:
    """Rows and revenue left after each cleaning step, as two bar charts."""
    base = alt.Chart(funnel).encode(
        y=alt.Y(
            "stage:N",
            sort=alt.EncodingSortField("order"),
            title=None,
            axis=alt.Axis(labelLimit=260),
        ),
        tooltip=[
            alt.Tooltip("stage:N", title="Stage"),
            alt.Tooltip("rows:Q", title="Rows", format=","),
            alt.Tooltip("revenue:Q", title="Revenue (£)", format=",.0f"),
        ],
    )
    rows = base.mark_bar().encode(x=alt.X("rows:Q", title="Rows left", axis=alt.Axis(format="~s")))
    revenue = base.mark_bar(color="#59a14f").encode(
        x=alt.X("revenue:Q", title="Revenue left (£)", axis=alt.Axis(format="~s"))
    )
    return rows, revenue


def missing_bars(missing: pd.DataFrame) -> alt.Chart:
    """Share of rows missing per column."""
    return (
        alt.Chart(missing)
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title="Share of rows missing", axis=alt.Axis(format="%")),
            y=alt.Y("column:N", title=None, sort="-x"),
            tooltip=[
                alt.Tooltip("column:N", title="Column"),
                alt.Tooltip("missing:Q", title="Missing", format=","),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(height=alt.Step(24))
    )


def value_axis(unit: str, log_scale: bool) -> alt.Axis:
    """An axis whose labels carry ``unit``; on a log scale the labels are the values again."""
    label = "format(pow(10, datum.value), '~s')" if log_scale else "format(datum.value, '~s')"
    return alt.Axis(labelExpr=f"'{unit}' + {label}")


def histogram_chart(bins: pd.DataFrame, title: str, axis: alt.Axis, level: str) -> alt.Chart:
    """Bars of a histogram's ``start, end, count`` table."""
    return (
        alt.Chart(bins)
        .mark_bar()
        .encode(
            x=alt.X("start:Q", bin="binned", title=title, axis=axis),
            x2="end:Q",
            y=alt.Y("count:Q", title=f"Number of {level}"),
            tooltip=[
                alt.Tooltip("start:Q", title="From", format=",.4~g"),
                alt.Tooltip("end:Q", title="To", format=",.4~g"),
                alt.Tooltip("count:Q", title="Count", format=","),
            ],
        )
        .properties(height=300, title="Histogram")
    )


def density_chart(curve: pd.DataFrame, title: str, axis: alt.Axis) -> alt.Chart:
    """The area under a density's ``value, density`` curve."""
    return (
        alt.Chart(curve)
        .mark_area(opacity=0.6, line=True)
        .encode(
            x=alt.X("value:Q", title=title, axis=axis),
            y=alt.Y("density:Q", title="Density", axis=alt.Axis(labels=False, ticks=False)),
        )
        .properties(height=200, title="Density (Gaussian kernel)")
    )


def scatter_chart(points: pd.DataFrame, x: str, y: str, log_axes: bool) -> alt.Chart:
    """Customers on two features, with their ids on hover; zoomable. Log axes are
    logarithmic where every value is positive, else symmetric-log (zero stays on)."""

    def scale(column: str) -> alt.Scale:
        if not log_axes:
            return alt.Scale(zero=False)
        return alt.Scale(type="log" if (points[column] > 0).all() else "symlog")

    axis = alt.Axis(format="~s")
    return (
        alt.Chart(points[["customer_id", *dict.fromkeys([x, y])]])
        .mark_circle(size=25, opacity=0.5)
        .encode(
            x=alt.X(f"{x}:Q", title=FEATURE_LABELS[x], scale=scale(x), axis=axis),
            y=alt.Y(f"{y}:Q", title=FEATURE_LABELS[y], scale=scale(y), axis=axis),
            tooltip=[
                alt.Tooltip("customer_id:N", title="Customer"),
                alt.Tooltip(f"{x}:Q", title=FEATURE_LABELS[x], format=",.0f"),
                alt.Tooltip(f"{y}:Q", title=FEATURE_LABELS[y], format=",.0f"),
            ],
        )
        .properties(height=420)
        .interactive()
    )


def correlation_heat(matrix: pd.DataFrame, features: Sequence[str], method: str) -> alt.Chart:
    """A correlation matrix (``x, y, correlation``) as a heat map from -1 to 1."""
    labelled = matrix.assign(x=matrix["x"].map(FEATURE_LABELS), y=matrix["y"].map(FEATURE_LABELS))
    order = [FEATURE_LABELS[f] for f in features]
    chart = heat_map(
        labelled,
        x=("x", None, order),
        y=("y", None, order),
        value=("correlation", "Correlation", ".2f"),
        colour=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True),
        dark_above="abs(datum.correlation) > 0.6",
        tooltip=[
            alt.Tooltip("x:N", title="Variable"),
            alt.Tooltip("y:N", title="with"),
            alt.Tooltip("correlation:Q", format=".2f"),
        ],
    )
    return chart.properties(title=method.capitalize(), height=alt.Step(34))


def monthly_line(monthly: pd.DataFrame, measure: str, title: str, fmt: str) -> alt.Chart:
    """One measure of the monthly activity table, month by month."""
    return (
        alt.Chart(monthly, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month"),
            y=alt.Y(f"{measure}:Q", title=title, axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip(f"{measure}:Q", title=title, format=fmt),
            ],
        )
        .properties(height=260)
    )


def country_map(countries: pd.DataFrame, measure: str, title: str, view: tuple, geojson: dict):
    """A choropleth of ``measure`` by ISO code (Plotly), centred and zoomed as ``view``."""
    import plotly.express as px

    centre, zoom = view
    figure = px.choropleth_map(
        countries.assign(country=countries["country"].map(chart_text)),
        geojson=geojson,
        locations="iso3",
        color=measure,
        hover_name="country",
        hover_data={"iso3": False, "customers": ":,", "revenue": ":,.0f"},
        color_continuous_scale="Blues",
        labels={measure: title, "customers": "Customers", "revenue": "Revenue (£)"},
        zoom=zoom,
        center=centre,
        opacity=0.9,
    )
    figure.update_traces(marker_line_color="#888", marker_line_width=0.5)
    figure.update_layout(map_style=BLANK_MAP, margin={"l": 0, "r": 0, "t": 10, "b": 0}, height=460)
    return figure


def country_bars(top: pd.DataFrame, measure: str, title: str) -> alt.Chart:
    """Countries ranked by ``measure``."""
    return (
        alt.Chart(top)
        .mark_bar()
        .encode(
            x=alt.X(f"{measure}:Q", title=title, axis=alt.Axis(format="~s")),
            y=alt.Y("country:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
            tooltip=[
                alt.Tooltip("country:N", title="Country"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip("revenue:Q", title="Revenue (£)", format=",.0f"),
                alt.Tooltip("avg_monetary:Q", title="Average spend (£)", format=",.0f"),
            ],
        )
        .properties(height=alt.Step(22), title=f"{title}, top {len(top)} countries")
    )


def segment_mix(customers: pd.DataFrame, countries: list[str], order: list[str]) -> alt.Chart:
    """Each country's customers split by segment, as shares of the country."""
    mix = (
        customers[customers["country"].isin(countries)]
        .groupby(["country", "segment"])
        .size()
        .rename("customers")
        .reset_index()
    )
    mix["segment_order"] = mix["segment"].map({name: i for i, name in enumerate(order)})
    return (
        alt.Chart(mix)
        .mark_bar()
        .encode(
            x=alt.X(
                "customers:Q",
                stack="normalize",
                title="Share of the country's customers",
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("country:N", title=None, sort=countries),
            color=alt.Color("segment:N", title="Segment", scale=segment_scale(order), sort=order),
            order=alt.Order("segment_order:Q"),
            tooltip=["country:N", "segment:N", alt.Tooltip("customers:Q", format=",")],
        )
        .properties(height=alt.Step(24))
    )
