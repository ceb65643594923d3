"""Charts of the Movement page: the flows between two dates as a Sankey diagram (Plotly) and
the transition matrix as a heat map (Altair). Segments keep one colour on both."""

from __future__ import annotations

import altair as alt
import pandas as pd

from app.charts import segment_colours
from app.text import chart_text
from segmentation.movement.flows import FROM_SEGMENT, TO_SEGMENT, Movement
from segmentation.segments.profiles import format_money

#: The RFM segments by what they mean: greens for the best, blues for the newest, yellow and
#: orange for those slipping, reds for those at risk, browns and greys for those gone.
RFM_COLOURS: dict[str, str] = {
    "Champions": "#1a9850",
    "Loyal Customers": "#66bd63",
    "Potential Loyalists": "#a6d96a",
    "New Customers": "#4e79a7",
    "Promising": "#76b7b2",
    "Need Attention": "#edc948",
    "About to Sleep": "#f28e2b",
    "Can't Lose Them": "#b2182b",
    "At Risk": "#e15759",
    "Hibernating": "#9c755f",
    "Lost": "#bab0ac",
}
NEW_COLOUR = "#b07aa1"


def movement_colours(movement: Movement) -> dict[str, str]:
    """One colour per segment of either date, and one for the new customers. Clusters take
    the colours they have on the Clustering and Profiles pages (by cluster number)."""
    if movement.kind == "rfm":
        colours = dict(RFM_COLOURS)
    else:
        clusters = [c["segment"] for c in movement.model["clusters"]]
        colours = segment_colours(clusters)
    return {**colours, movement.new_label: NEW_COLOUR}


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


#: Pixels between the nodes of a column of the Sankey diagram, at least (room for a label).
NODE_GAP = 18
#: The share of the width the diagram takes in the middle; the labels go either side.
SANKEY_DOMAIN = (0.21, 0.79)


def sankey_chart(movement: Movement, colours: dict[str, str]):
    """Customers flowing from their segment at the earlier date (left) to their segment at
    the later date (right), segments in their order (best first, the new customers last);
    a link's colour is its segment of origin. The segment names are written beside the
    diagram, never over its bands."""
    import plotly.graph_objects as go

    counts = movement.segment_counts().set_index("segment")
    flows = movement.transitions
    new = int(flows.loc[flows[FROM_SEGMENT] == movement.new_label, "customers"].sum())
    left, right = list(movement.from_order), list(movement.to_order)
    left_sizes = [
        new if s == movement.new_label else int(counts.loc[s, "customers_from"]) for s in left
    ]
    right_sizes = [int(counts.loc[s, "customers_to"]) for s in right]
    rows = max(len(left), len(right))
    height = max(460, 40 * rows + 60)
    margin = {"l": 10, "r": 10, "t": 36, "b": 10}
    inner = height - margin["t"] - margin["b"]
    # the same scale for both columns (they hold the same customers): the fuller one sets it
    fuller = max((left_sizes, right_sizes), key=len)
    scale = (inner - NODE_GAP * (len(fuller) - 1)) / sum(fuller)
    ys, ys_right = _spread(left_sizes, inner, scale), _spread(right_sizes, inner, scale)
    start, end = f"{movement.from_date:%Y-%m-%d}", f"{movement.to_date:%Y-%m-%d}"
    hover = [
        chart_text(
            f"{row.from_segment} → {row.to_segment}: {row.customers:,} customers; "
            f"{format_money(row.revenue_before)} up to {start}, "
            f"{format_money(row.revenue_after)} since"
        )
        for row in flows.itertuples(index=False)
    ]
    names = [*left, *right]
    sizes = [*left_sizes, *right_sizes]
    index_left = {s: i for i, s in enumerate(left)}
    index_right = {s: len(left) + i for i, s in enumerate(right)}
    figure = go.Figure(
        go.Sankey(
            arrangement="fixed",
            domain={"x": list(SANKEY_DOMAIN), "y": [0, 1]},
            node={
                "label": [""] * len(names),
                "x": [0.001] * len(left) + [0.999] * len(right),
                "y": [*ys, *ys_right],
                "color": [colours[s] for s in names],
                "pad": NODE_GAP,
                "thickness": 16,
                "line": {"color": "rgba(0,0,0,0.3)", "width": 0.5},
                "customdata": [
                    chart_text(f"{s}: {n:,} customers") for s, n in zip(names, sizes, strict=True)
                ],
                "hovertemplate": "%{customdata}<extra></extra>",
            },
            link={
                "source": [index_left[s] for s in flows[FROM_SEGMENT]],
                "target": [index_right[s] for s in flows[TO_SEGMENT]],
                "value": flows["customers"].tolist(),
                "color": [_rgba(colours[s], 0.45) for s in flows[FROM_SEGMENT]],
                "customdata": hover,
                "hovertemplate": "%{customdata}<extra></extra>",
            },
        )
    )
    text = {"xref": "paper", "yref": "paper", "showarrow": False}
    labels = [
        {
            **text,
            "x": x,
            "y": 1 - centre,
            "xanchor": anchor,
            "yanchor": "middle",
            "text": f"{chart_text(name)}: <b>{size:,}</b>",
            "font": {"size": 13, "color": "#1f2430"},
        }
        for column, centres, x, anchor in (
            (zip(left, left_sizes, strict=True), ys, SANKEY_DOMAIN[0] - 0.008, "right"),
            (zip(right, right_sizes, strict=True), ys_right, SANKEY_DOMAIN[1] + 0.008, "left"),
        )
        for (name, size), centre in zip(column, centres, strict=True)
    ]
    headings = [
        {
            **text,
            "x": x,
            "y": 1,
            "xanchor": anchor,
            "yanchor": "bottom",
            "yshift": 8,
            "text": f"<b>{chart_text(heading)}</b>",
            "font": {"size": 14, "color": "#1f2430"},
        }
        for x, anchor, heading in (
            (SANKEY_DOMAIN[0], "right", f"On {start}"),
            (SANKEY_DOMAIN[1], "left", f"On {end}"),
        )
    ]
    # one layout update: adding the annotations one by one validates the figure each time
    figure.update_layout(
        height=height, margin=margin, font={"size": 13}, annotations=[*labels, *headings]
    )
    return figure


def _spread(sizes: list[int], height: float, scale: float) -> list[float]:
    """The vertical centres (0 at the top, 1 at the bottom) of a column of nodes sized by
    ``sizes``, in order, drawn at ``scale`` pixels per customer over ``height`` pixels
    (node heights in proportion to the customers, as Plotly draws them), the room left
    shared between the gaps."""
    room = height - scale * sum(sizes)
    gap = room / (len(sizes) - 1) if len(sizes) > 1 else 0.0
    top = 0.0 if len(sizes) > 1 else room / 2
    centres = []
    for size in sizes:
        centres.append((top + scale * size / 2) / height)
        top += scale * size + gap
    return centres


def transition_heat(movement: Movement) -> alt.LayerChart:
    """The transition matrix: one row per segment at the earlier date, one column per
    segment at the later date; each cell's colour is its share of the row, its text the
    customers and that share. The diagonal (customers who stayed) is outlined."""
    counts, shares = movement.matrix(), movement.matrix(shares=True)
    revenue = movement.transitions.set_index([FROM_SEGMENT, TO_SEGMENT])
    long = (
        counts.stack()
        .rename("customers")
        .to_frame()
        .join(shares.stack().rename("share"))
        .rename_axis([FROM_SEGMENT, TO_SEGMENT])
        .reset_index()
    )
    long = long.join(revenue[["revenue_before", "revenue_after"]], on=[FROM_SEGMENT, TO_SEGMENT])
    long[["revenue_before", "revenue_after"]] = long[["revenue_before", "revenue_after"]].fillna(0)
    long["stayed"] = long[FROM_SEGMENT] == long[TO_SEGMENT]
    start, end = f"{movement.from_date:%Y-%m-%d}", f"{movement.to_date:%Y-%m-%d}"
    base = alt.Chart(long).encode(
        x=alt.X(
            f"{TO_SEGMENT}:N",
            title=f"Segment on {end}",
            sort=list(movement.to_order),
            axis=alt.Axis(labelAngle=-35, labelOverlap=False, labelLimit=200, orient="top"),
        ),
        y=alt.Y(
            f"{FROM_SEGMENT}:N",
            title=f"Segment on {start}",
            sort=list(movement.from_order),
            axis=alt.Axis(labelOverlap=False, labelLimit=220),
        ),
    )
    written = base.transform_filter("datum.customers > 0")  # empty cells stay blank
    cells = written.mark_rect().encode(
        color=alt.Color(
            "share:Q",
            title="Share of the row",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(format=".0%", gradientLength=140),
        ),
        tooltip=[
            alt.Tooltip(f"{FROM_SEGMENT}:N", title=f"On {start}"),
            alt.Tooltip(f"{TO_SEGMENT}:N", title=f"On {end}"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
            alt.Tooltip("share:Q", title="Share of the row", format=".1%"),
            alt.Tooltip("revenue_before:Q", title=f"Revenue up to {start} (£)", format=",.0f"),
            alt.Tooltip("revenue_after:Q", title="Revenue since (£)", format=",.0f"),
        ],
    )
    stayed = (
        base.transform_filter("datum.stayed")
        .mark_rect(fill=None, stroke="#1f2430", strokeWidth=2)
        .encode()
    )
    dark = alt.condition("datum.share > 0.5", alt.value("white"), alt.value("black"))
    count_text = written.mark_text(fontSize=12, dy=-6, fontWeight="bold").encode(
        text=alt.Text("customers:Q", format=","), color=dark
    )
    share_text = written.mark_text(fontSize=10, dy=8).encode(
        text=alt.Text("share:Q", format=".0%"), color=dark
    )
    # rows of a fixed step: a height in pixels would include the slanted labels on top,
    # which leave a chart of a few rows almost no room
    return (cells + stayed + count_text + share_text).properties(height=alt.Step(40))


def flow_label(flow: tuple[str, str], customers: pd.Series) -> str:
    """A flow as the download picker writes it: 'Champions → At Risk (312 customers)'."""
    n = int(customers.get(flow, 0))
    return f"{flow[0]} → {flow[1]} ({n:,} customer{'' if n == 1 else 's'})"
