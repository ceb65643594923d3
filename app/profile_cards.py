"""The Profiles page's card per segment: name (renamable), description, size, revenue, the
segment's predicted value and risk where the forecast worked, and what to offer it where the
data has products."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.formats import count, money
from app.text import markdown_text
from segmentation.value.forecast import Forecast, value_and_risk


def segment_cards(
    table: pd.DataFrame, names: dict[int, str], forecast: Forecast | None
) -> dict[str, DeltaGenerator]:
    """One card per row of the profiles ``table``, three to a row; the renaming box keeps
    ``label_<cluster>``. ``forecast`` has the per-segment table of the same names. Returns
    each card's empty place for what to offer (:func:`offer_lines`), by segment name, so
    that the cards are on screen while the products are read."""
    places = {}
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
            places[name] = st.empty()
    return places


def offer_lines(places: dict[str, DeltaGenerator], offers: dict[str, str]) -> None:
    """What to offer each segment, in the places :func:`segment_cards` kept for it."""
    for name, place in places.items():
        if name in offers:
            place.markdown(markdown_text(offers[name]))
