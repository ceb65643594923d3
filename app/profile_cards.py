"""The Profiles page's card per segment: name (renamable), description, size, revenue, the
segment's predicted value and risk where the forecast worked, and what to offer it where the
data has products."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.formats import count, money
from app.text import markdown_text
from segmentation.value.forecast import Forecast, value_and_risk


def segment_cards(
    table: pd.DataFrame,
    names: dict[int, str],
    forecast: Forecast | None,
    offers: dict[str, str],
) -> None:
    """One card per row of the profiles ``table``, three to a row; the renaming box keeps
    ``label_<cluster>``. ``forecast`` has the per-segment table of the same names;
    ``offers`` says what to offer each segment, by the same names."""
    value = None if forecast is None else forecast.segments["segment"]
    cards = st.columns(min(3, len(table)))
    for position, row in enumerate(table.itertuples(index=False)):
        with cards[position % len(cards)].container(border=True):
            name = names[row.cluster]
            st.markdown(f"**{markdown_text(name)}**")
            st.text_input(
                "Name",
                key=f"label_{row.cluster}",
                placeholder=row.segment,
                label_visibility="collapsed",
            )
            st.caption(row.description)
            size, revenue = st.columns(2)
            size.metric(
                "Customers",
                count(row.customers),
                f"{row.customer_share:.1%} of all",
                delta_color="off",
                delta_arrow="off",
            )
            revenue.metric(
                "Revenue share",
                f"{row.revenue_share:.1%}",
                money(row.revenue),
                delta_color="off",
                delta_arrow="off",
            )
            if value is not None and name in value.index:
                sentence = value_and_risk(
                    value.loc[name], forecast.horizon_days, forecast.risk_days
                )
                st.markdown(markdown_text(sentence))
            st.markdown(f"**Action:** {row.action}")
            if name in offers:
                st.markdown(markdown_text(offers[name]))
