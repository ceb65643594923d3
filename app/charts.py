"""Chart pieces shared by several pages: the segment palette, box plots and heat maps."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from segmentation.outputs.report import SEGMENT_COLOURS


def segment_colours(segments: list[str]) -> dict[str, str]:
    """One palette colour per segment, in the order given (the same order on every chart)."""
    return {s: SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)] for i, s in enumerate(segments)}


def segment_scale(segments: list[str]) -> alt.Scale:
    """The Altair colour scale of :func:`segment_colours`."""
    colours = segment_colours(segments)
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def box_plot(
    boxes: pd.DataFrame,
    *,
    title: str,
    axis: alt.Axis | None = None,
    order: Sequence[str] | None = None,
    scale: alt.Scale | None = None,
    median_colour: str = "black",
    size: int = 22,
) -> alt.LayerChart:
    """Tukey box plots drawn from their five numbers (``lower, q1, median, q3, upper``):
    one box, or one per ``group`` (rows in ``order``, coloured by ``scale``)."""
    base = alt.Chart(boxes)
    if order is not None:
        base = base.encode(
            y=alt.Y("group:N", title=None, sort=list(order)),
            color=alt.Color("group:N", scale=scale, legend=None, sort=list(order)),
        )
    x = alt.X("lower:Q", title=title, scale=alt.Scale(zero=False))
    if axis is not None:
        x = alt.X("lower:Q", title=title, axis=axis, scale=alt.Scale(zero=False))
    return (
        base.mark_rule().encode(x=x, x2="upper:Q")
        + base.mark_bar(size=size).encode(x="q1:Q", x2="q3:Q")
        + base.mark_tick(size=size, thickness=3, color=median_colour).encode(x="median:Q")
    )


def heat_map(
    long: pd.DataFrame,
    *,
    x: tuple[str, str, Sequence[str]],
    y: tuple[str, str, Sequence[str]],
    value: tuple[str, str, str],
    colour: alt.Scale,
    dark_above: str,
    tooltip: Sequence[alt.Tooltip],
    text_where: str | None = None,
) -> alt.LayerChart:
    """Cells coloured by ``value`` with the value written in each; ``x`` and ``y`` are
    (field, title, order), ``value`` is (field, title, number format), and the text turns
    white where the Vega expression ``dark_above`` holds (dark cells); ``text_where``, a
    Vega expression, keeps the text to the cells where it holds."""
    x_field, x_title, x_order = x
    y_field, y_title, y_order = y
    field, title, fmt = value
    base = alt.Chart(long).encode(
        x=alt.X(
            f"{x_field}:N",
            title=x_title,
            sort=list(x_order),
            axis=alt.Axis(labelAngle=-35, labelOverlap=False, labelLimit=180),
        ),
        y=alt.Y(
            f"{y_field}:N",
            title=y_title,
            sort=list(y_order),
            axis=alt.Axis(labelOverlap=False, labelLimit=220),
        ),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(f"{field}:Q", title=title, scale=colour), tooltip=list(tooltip)
    )
    written = base.transform_filter(text_where) if text_where else base
    text = written.mark_text(fontSize=11).encode(
        text=alt.Text(f"{field}:Q", format=fmt),
        color=alt.condition(dark_above, alt.value("white"), alt.value("black")),
    )
    return cells + text
