"""What the Value and risk page shows of a forecast: its headline figures, the segments'
value and risk, the distributions of the risk, the backtest's figures and the segments on
held-out months. Built from :class:`~segmentation.value.forecast.Forecast`, drawn here."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from app.forecast_charts import decile_chart, probability_histogram, segment_bars
from app.formats import count, money
from segmentation.value.forecast import LIKELY_SILENT, Forecast

#: Columns of the forecast's tables as the page shows them: column -> (label, format), the
#: format ``money`` (whole pounds), ``amount`` (two decimals with thousands separators),
#: ``share`` (a percentage) or a printf format.
SEGMENT_VIEW: dict[str, tuple[str, str]] = {
    "customers": ("Customers", "money"),
    "clv_total": ("Predicted value (£)", "money"),
    "clv_mean": ("Per customer (£)", "money"),
    "expected_purchases_mean": ("Purchases per customer", "%.1f"),
    "likely_silent_share": ("Likely not to buy", "share"),
    "revenue_at_risk": ("Revenue at risk (£)", "money"),
}
HELD_OUT_VIEW: dict[str, tuple[str, str]] = {
    "customers": ("Customers", "money"),
    "revenue_per_customer": ("Revenue before (£)", "money"),
    "clv_mean": ("Predicted value (£)", "money"),
    "holdout_repeat_rate": ("Bought again", "share"),
    "holdout_purchases_per_customer": ("Purchases after", "%.2f"),
    "holdout_revenue_per_customer": ("Revenue after (£)", "money"),
}
CUSTOMER_VIEW: dict[str, tuple[str, str]] = {
    "segment": ("Segment", ""),
    "frequency": ("Repeat purchases", "money"),
    "p_alive": ("P(alive)", "%.3f"),
    "p_no_purchase": ("P(no purchase)", "%.2f"),
    "expected_purchases": ("Expected purchases", "%.1f"),
    "expected_order_value": ("Spend per purchase (£)", "money"),
    "clv": ("Predicted value (£)", "money"),
}
ACCURACY_VIEW: dict[str, tuple[str, str]] = {
    "quantity": ("Of", ""),
    "predictor": ("Predictor", ""),
    "predicted": ("Predicted total", "money"),
    "actual": ("Actual total", "money"),
    "mae": ("MAE per customer", "amount"),
    "rmse": ("RMSE per customer", "amount"),
    "correlation": ("Correlation", "%.3f"),
}
#: Decimals each named format rounds to.
DIGITS = {"money": 0, "amount": 2, "share": 3}
INDEX_LABELS = {"segment": "Segment", "customer_id": "Customer"}
#: Height of a table row in pixels, to show every row of a short table.
TABLE_ROW = 35


def show_table(table: pd.DataFrame, view: dict[str, tuple[str, str]], index: str = "") -> None:
    """``table``'s columns of ``view`` under their labels and formats, every row on screen
    (``index`` names the index column, shown first when given)."""
    frame = table.reset_index() if index else table
    columns = {index: (INDEX_LABELS[index], "")} if index else {}
    columns |= {c: v for c, v in view.items() if c in frame.columns}
    shown = frame[list(columns)].copy()
    for column, (_, fmt) in columns.items():
        if fmt in DIGITS:
            shown[column] = shown[column].round(DIGITS[fmt])
    shown.columns = [label for label, _ in columns.values()]
    formats = {"money": "localized", "amount": "accounting", "share": "percent"}
    config = {
        label: st.column_config.NumberColumn(format=formats.get(fmt, fmt))
        for label, fmt in columns.values()
        if fmt
    }
    height = TABLE_ROW * (len(shown) + 1) + 3
    st.dataframe(shown, hide_index=True, column_config=config, height=height)


def headline(result: Forecast) -> None:
    """The predicted value, purchases, customers likely not to buy and revenue at risk, what
    they mean, and how to read the fit (leading with the risk where P(alive) says little)."""
    customers = result.customers
    silent = customers["p_no_purchase"] > LIKELY_SILENT
    horizon, risk = _days(result.horizon_days), _days(result.risk_days)
    figures = st.columns(4)
    figures[0].metric(f"Predicted value, next {horizon}", money(customers["clv"].sum()))
    figures[1].metric(
        f"Expected purchases, next {horizon}", count(customers["expected_purchases"].sum())
    )
    figures[2].metric(
        f"Likely not to buy in {risk}",
        f"{silent.mean():.0%}",
        f"{count(silent.sum())} customers",
        delta_color="off",
        delta_arrow="off",
    )
    figures[3].metric("Revenue at risk", money(result.revenue["last_year_revenue"][silent].sum()))
    st.caption(
        "BG/NBD purchases × Gamma-Gamma spend per customer, fitted on every purchase up to "
        f"{result.as_of:%Y-%m-%d}. *Likely not to buy*: no purchase in the next {risk} is "
        "more likely than not. *Revenue at risk*: the revenue of the last 365 days of the "
        "customers likely not to buy."
    )
    notes = list(result.notes)
    if result.alive_says_little:
        st.info(notes.pop(0), icon=":material/info:")
    for note in notes:
        st.caption(note)


def segment_tabs(result: Forecast, scale: alt.Scale) -> None:
    """Per segment, clusters and RFM segments in two tabs: predicted value and the share
    likely not to buy (charts), then the table."""
    horizon, risk = _days(result.horizon_days), _days(result.risk_days)
    tabs = st.tabs(["Segments (clusters)", "RFM segments"])
    for tab, grouping, colours in zip(tabs, ("segment", "rfm_segment"), (scale, None), strict=True):
        table = result.segments[grouping]
        order = list(table.index)
        left, right = tab.columns(2)
        title = f"Predicted value, next {horizon} (£)"
        left.altair_chart(
            segment_bars(table, "clv_total", title, ",.0f", order, colours), width="stretch"
        )
        title = f"Share likely not to buy in {risk}"
        right.altair_chart(
            segment_bars(table, "likely_silent_share", title, ".0%", order, colours),
            width="stretch",
        )
        with tab:
            show_table(table, SEGMENT_VIEW, index="segment")


def risk_distributions(result: Forecast) -> None:
    """Customers by the probability of no purchase and by P(alive), the risk first where
    P(alive) says little."""
    risk = probability_histogram(
        result.customers["p_no_purchase"],
        f"Probability of no purchase in the next {_days(result.risk_days)}",
        "#e15759",
    )
    alive = probability_histogram(
        result.customers["p_alive"], "P(alive): the probability the customer still buys", "#59a14f"
    )
    charts = (risk, alive) if result.alive_says_little else (alive, risk)
    for column, chart in zip(st.columns(2), charts, strict=True):
        column.altair_chart(chart, width="stretch")


def backtest_figures(tested: Forecast) -> None:
    """The model against the baseline per customer and in total, what was compared, and the
    warning when the holdout buys at a different rate."""
    backtest = tested.backtest
    model, baseline = backtest.figures(), backtest.figures("purchases", "baseline")
    figures = st.columns(3)
    gain = model["correlation"] - baseline["correlation"]
    figures[0].metric(
        "Correlation per customer", f"{model['correlation']:.2f}", f"{gain:+.2f} on the baseline"
    )
    figures[1].metric(
        "RMSE per customer",
        f"{model['rmse']:.2f}",
        f"{model['rmse'] - baseline['rmse']:+.2f} on the baseline",
        delta_color="inverse",
    )
    figures[2].metric(
        f"Purchases in the {backtest.holdout_days} held-out days",
        count(model["actual"]),
        f"predicted {count(model['predicted'])}, baseline {count(baseline['predicted'])}",
        delta_color="off",
        delta_arrow="off",
    )
    st.caption(
        f"Fitted on the purchases up to {backtest.calibration_end:%Y-%m-%d} of the "
        f"{count(backtest.customers)} customers who had bought by then, compared with what they "
        "did in the days after it. The baseline: every customer goes on at their own past "
        "rate of repeat purchases."
    )
    if backtest.warning:
        st.warning(backtest.warning, icon=":material/warning:")


def decile_grid(deciles: pd.DataFrame) -> None:
    """Purchases and revenue by tenth of the prediction, the model beside the baseline."""
    st.markdown("**Predicted against actual, by tenth of the prediction**")
    st.caption(
        "The customers are sorted by what each predictor predicted for the held-out days and "
        "cut into ten equal groups; a good predictor's line follows the bars."
    )
    for quantity, unit, fmt in (("purchases", "Purchases", ".2f"), ("revenue", "£", ",.0f")):
        for column, predictor in zip(st.columns(2), ("BG/NBD", "baseline"), strict=True):
            rows = deciles[(deciles["quantity"] == quantity) & (deciles["predictor"] == predictor)]
            column.markdown(f"{quantity.capitalize()} in the holdout, {predictor}")
            column.altair_chart(decile_chart(rows, unit, fmt), width="stretch")


def held_out_segments(tested: Forecast) -> None:
    """The segments at the calibration end, by value before it, with what they did after it,
    and the rank agreement of the two."""
    backtest = tested.backtest
    st.markdown("**Did the valuable segments stay valuable?**")
    st.caption(
        f"The customers' segments as they stood on {backtest.calibration_end:%Y-%m-%d} (the "
        f"Clustering page's options, {tested.segmentation.k} segments), by revenue per customer "
        "before that day, and what they did in the held-out days."
    )
    table = tested.segments["segment"].sort_values("revenue_per_customer", ascending=False)
    left, right = st.columns(2)
    title = "Revenue per customer before the calibration end (£)"
    left.altair_chart(
        segment_bars(table, "revenue_per_customer", title, ",.0f", list(table.index), None),
        width="stretch",
    )
    title = f"Revenue per customer in the {backtest.holdout_days} held-out days (£)"
    right.altair_chart(
        segment_bars(table, "holdout_revenue_per_customer", title, ",.0f", list(table.index), None),
        width="stretch",
    )
    show_table(table, HELD_OUT_VIEW, index="segment")
    agreement = backtest.segment_agreement["segment"]
    st.metric(
        "Rank agreement of the segments' revenue per customer before and after (Spearman)",
        f"{agreement:.2f}" if math.isfinite(agreement) else "not enough segments",
    )


def _days(days: float) -> str:
    return f"{days:,.0f} days"
