"""A one-file HTML report of customer segments: figures, a card per segment and SVG charts.

The report needs no network and no script: styles are inline and the charts are plain SVG.
Every value that comes from the data (segment names, descriptions, source names, numbers)
goes through :func:`html.escape`, so a crafted customer file cannot inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from segmentation.errors import DataError
from segmentation.schema import FREQUENCY, MONETARY, RECENCY, RFM_COLUMNS

if TYPE_CHECKING:
    from segmentation.value.forecast import Forecast

#: One colour per segment, in segment order (the app uses the same), readable on light
#: and dark backgrounds.
SEGMENT_COLOURS: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
_LABELS = {RECENCY: "Recency", FREQUENCY: "Frequency", MONETARY: "Monetary"}
#: Colours go into style attributes: only ``#rgb`` / ``#rrggbb`` (with alpha) are taken.
_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1000px;padding:0 1rem;color:#1f2430;background:#fff}
h1{margin-bottom:.2rem}.muted{color:#5b6170}
.figures{display:flex;gap:2rem;flex-wrap:wrap;margin:1rem 0}
.figures div{font-size:1.4rem;font-weight:600}.figures span{display:block;font-size:.8rem;
font-weight:400;color:#5b6170}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:1rem}
.card{border:1px solid #d8dbe2;border-left:8px solid var(--c);border-radius:6px;padding:.8rem}
.card h3{margin:.1rem 0 .4rem}.card p{margin:.3rem 0}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border-bottom:1px solid #e3e5ea;padding:.35rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
svg text{font-size:12px;fill:#1f2430}
"""


class ReportError(DataError):
    """The customer table cannot be reported: no segment column or no customers."""


def segment_table(customers: pd.DataFrame, segment_column: str = "segment") -> pd.DataFrame:
    """One row per segment: customers, share, revenue share, mean recency/frequency/monetary.

    Segments keep their order of first appearance when the column is not categorical.
    """
    needed = [segment_column, *RFM_COLUMNS]
    missing = [c for c in needed if c not in customers.columns]
    if missing:
        raise ReportError(f"The customer table has no {', '.join(missing)} column to report.")
    if customers.empty:
        raise ReportError("There are no customers to report.")
    grouped = customers.groupby(segment_column, sort=False, observed=True)
    table = grouped[list(RFM_COLUMNS)].mean()
    table.insert(0, "customers", grouped.size())
    table.insert(1, "share", table["customers"] / len(customers))
    revenue = grouped[MONETARY].sum()
    total = float(customers[MONETARY].sum())
    table.insert(2, "revenue_share", revenue / total if total else revenue * 0.0)
    table.index = table.index.astype(str)
    table.index.name = "segment"
    return table


def build_report(
    customers: pd.DataFrame,
    *,
    segment_column: str = "segment",
    order: Sequence[str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    actions: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
    source: str = "",
    method: str = "",
    forecast: Forecast | None = None,
    offers: Mapping[str, str] | None = None,
) -> str:
    """The HTML text of the segment report of ``customers`` (one row per customer).

    With a ``forecast`` whose per-segment table ``segment_column`` has the same segment names
    (:meth:`~segmentation.value.forecast.Forecast.with_segments`), each card and a table give
    the segment's predicted value and risk. ``offers`` says in a sentence what to offer each
    segment (its leading categories and products).
    """
    table = segment_table(customers, segment_column)
    if order:
        table = table.reindex([s for s in order if s in table.index])
    names = list(table.index)
    given = colours or {}
    colours = {
        name: _colour(given.get(name), SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)])
        for i, name in enumerate(names)
    }
    descriptions = descriptions or {}
    actions = actions or {}
    offers = offers or {}
    e = html.escape
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    revenue = float(customers[MONETARY].sum())
    value = _value_table(forecast, segment_column, names)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Customer segments</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Customer segments</h1>",
        f'<p class="muted">Source: {e(source or "not named")}'
        + (f" · Method: {e(method)}" if method else "")
        + f" · Created {e(created)}</p>",
        '<div class="figures">',
        _figure("Customers", f"{len(customers):,}"),
        _figure("Revenue", f"£{revenue:,.0f}"),
        _figure("Segments", f"{len(names):,}"),
        *(
            [
                _figure(
                    f"Predicted value, next {forecast.horizon_days:,.0f} days",
                    _pounds(value["clv_total"].sum()),
                )
            ]
            if value is not None
            else []
        ),
        "</div>",
        "<h2>Segments</h2>",
        '<div class="cards">',
    ]
    for name, row in table.iterrows():
        parts.append(
            f'<div class="card" style="--c:{e(colours[name])}">'
            f"<h3>{e(name)}</h3>"
            + (f"<p>{e(descriptions[name])}</p>" if descriptions.get(name) else "")
            + f"<p><b>{int(row['customers']):,}</b> customers ({row['share']:.1%}) · "
            f"<b>{row['revenue_share']:.1%}</b> of revenue</p>"
            f'<p class="muted">Last purchase {row[RECENCY]:,.0f} days ago on average · '
            f"{row[FREQUENCY]:,.1f} orders · £{row[MONETARY]:,.0f} spent</p>"
            + (_value_line(value.loc[name], forecast) if value is not None else "")
            + (f"<p><b>Action:</b> {e(actions[name])}</p>" if actions.get(name) else "")
            + (f"<p>{e(offers[name])}</p>" if offers.get(name) else "")
            + "</div>"
        )
    parts += [
        "</div>",
        "<h2>Size and revenue</h2>",
        _bar_chart(table["share"], colours, "Share of customers"),
        _bar_chart(table["revenue_share"], colours, "Share of revenue"),
        "<h2>Snake plot</h2>",
        '<p class="muted">Mean of each standardised feature per segment (0 = all customers).</p>',
        _snake_plot(_standardised_means(customers, segment_column, names), colours),
        "<h2>Table</h2>",
        _table(table),
        *(_value_section(value, forecast) if value is not None else []),
        "</body></html>",
    ]
    return "\n".join(parts)


def _value_table(
    forecast: Forecast | None, segment_column: str, names: Sequence[str]
) -> pd.DataFrame | None:
    """The forecast's per-segment table in the report's segment order (None without one)."""
    if forecast is None or segment_column not in forecast.segments:
        return None
    table = forecast.segments[segment_column]
    return table.reindex(names).fillna(0.0)


def _pounds(amount: float) -> str:
    return f"£{amount:,.0f}"


def _value_line(row: pd.Series, forecast: Forecast) -> str:
    """A card's predicted value and risk."""
    # imported here: the app's first page imports this module for its colours, and the
    # models' libraries would slow it down
    from segmentation.value.forecast import value_and_risk

    return f"<p>{html.escape(value_and_risk(row, forecast.horizon_days, forecast.risk_days))}</p>"


def _value_section(value: pd.DataFrame, forecast: Forecast) -> list[str]:
    """The predicted value and risk of every segment, with what the figures mean."""
    e = html.escape
    horizon, risk = f"{forecast.horizon_days:,.0f}", f"{forecast.risk_days:,.0f}"
    head = (
        f"<tr><th>Segment</th><th>Predicted value, next {horizon} days (£)</th>"
        f"<th>Per customer (£)</th><th>Likely not to buy in {risk} days</th>"
        "<th>Revenue at risk (£)</th></tr>"
    )
    rows = [
        f"<tr><td>{e(str(name))}</td><td>{r['clv_total']:,.0f}</td><td>{r['clv_mean']:,.0f}</td>"
        f"<td>{r['likely_silent_share']:.1%}</td><td>{r['revenue_at_risk']:,.0f}</td></tr>"
        for name, r in value.iterrows()
    ]
    return [
        "<h2>Value and risk</h2>",
        f'<p class="muted">Predicted with the BG/NBD and Gamma-Gamma models fitted on every '
        f"purchase up to {forecast.as_of:%Y-%m-%d}. Likely not to buy: no purchase in the next "
        f"{risk} days is more likely than not. Revenue at risk: the revenue of the last 365 days "
        "of the customers likely not to buy.</p>",
        "<table>" + head + "".join(rows) + "</table>",
    ]


def _colour(value: object, default: str) -> str:
    """``value`` if it is a hex colour, else ``default`` (colours go into style attributes)."""
    return value if isinstance(value, str) and _HEX_COLOUR.fullmatch(value) else default


def _figure(label: str, value: str) -> str:
    return f"<div>{html.escape(value)}<span>{html.escape(label)}</span></div>"


def _bar_chart(values: pd.Series, colours: Mapping[str, str], title: str) -> str:
    """Horizontal bars of shares (0-1), one per segment."""
    e = html.escape
    row, left, width = 26, 180, 520
    height = row * len(values) + 40
    top = max(float(values.max()), 1e-9)
    bars = []
    for i, (name, value) in enumerate(values.items()):
        y = 30 + i * row
        length = width * float(value) / top
        bars.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{e(_short(name))}</text>'
            f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{e(colours[name])}"><title>{e(name)}: {float(value):.1%}</title></rect>'
            f'<text x="{left + length + 6:.1f}" y="{y + 15}">{float(value):.1%}</text>'
        )
    return (
        f'<svg role="img" aria-label="{e(title)}" width="{left + width + 80}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<text x="0" y="16" font-weight="bold">{e(title)}</text>' + "".join(bars) + "</svg>"
    )


def _standardised_means(
    customers: pd.DataFrame, segment_column: str, names: Sequence[str]
) -> pd.DataFrame:
    """Per segment, the mean of each RFM feature after log1p and standardising."""
    values = np.log1p(customers[list(RFM_COLUMNS)].clip(lower=0).astype("float64"))
    spread = values.std(ddof=0).replace(0, 1)
    scaled = (values - values.mean()) / spread
    scaled[segment_column] = customers[segment_column].astype(str).to_numpy()
    means = scaled.groupby(segment_column, sort=False).mean()
    return means.reindex([n for n in names if n in means.index])


def _snake_plot(means: pd.DataFrame, colours: Mapping[str, str]) -> str:
    """One line per segment across recency, frequency and monetary."""
    e = html.escape
    left, top, width, height = 60, 20, 420, 220
    low = min(float(means.min().min()), -1.0)
    high = max(float(means.max().max()), 1.0)

    def y_of(value: float) -> float:
        return top + height * (high - value) / (high - low)

    xs = [left + width * i / (len(means.columns) - 1) for i in range(len(means.columns))]
    grid = [
        f'<line x1="{left}" x2="{left + width}" y1="{y_of(0):.1f}" y2="{y_of(0):.1f}" '
        'stroke="#999" stroke-dasharray="4 3"/>'
    ]
    grid += [
        f'<text x="{x:.1f}" y="{top + height + 18}" text-anchor="middle">'
        f"{e(_LABELS.get(c, c))}</text>"
        for x, c in zip(xs, means.columns, strict=True)
    ]
    grid += [
        f'<text x="{left - 6}" y="{y_of(v) + 4:.1f}" text-anchor="end">{v:+d}</text>'
        for v in range(int(np.ceil(low)), int(np.floor(high)) + 1)
        if v
    ]
    grid.append(f'<text x="{left - 6}" y="{y_of(0) + 4:.1f}" text-anchor="end">0</text>')
    lines, legend = [], []
    for i, (name, row) in enumerate(means.iterrows()):
        points = " ".join(f"{x:.1f},{y_of(float(v)):.1f}" for x, v in zip(xs, row, strict=True))
        colour = e(colours[name])
        lines.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="3">'
            f"<title>{e(name)}</title></polyline>"
        )
        y = top + 14 + i * 20
        legend.append(
            f'<rect x="{left + width + 30}" y="{y - 10}" width="12" height="12" '
            f'fill="{colour}"/><text x="{left + width + 48}" y="{y}">{e(_short(name))}</text>'
        )
    return (
        f'<svg role="img" aria-label="Snake plot" width="{left + width + 240}" '
        f'height="{top + height + 30}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(grid + lines + legend)
        + "</svg>"
    )


def _table(table: pd.DataFrame) -> str:
    e = html.escape
    head = (
        "<tr><th>Segment</th><th>Customers</th><th>Share</th><th>Revenue share</th>"
        "<th>Recency (days)</th><th>Frequency</th><th>Monetary (£)</th></tr>"
    )
    rows = [
        f"<tr><td>{e(str(name))}</td><td>{int(r['customers']):,}</td><td>{r['share']:.1%}</td>"
        f"<td>{r['revenue_share']:.1%}</td><td>{r[RECENCY]:,.0f}</td>"
        f"<td>{r[FREQUENCY]:,.1f}</td><td>{r[MONETARY]:,.0f}</td></tr>"
        for name, r in table.iterrows()
    ]
    return "<table>" + head + "".join(rows) + "</table>"


def _short(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
