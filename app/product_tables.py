"""The tables of the Products and What to offer pages: one label and format per column of
the product stage's tables, wherever a page shows it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.settings import MAX_NAME

#: Height of a table row in pixels (Streamlit's default).
TABLE_ROW = 35
#: Every column a product table may show, by its name in the package's tables.
COLUMNS = {
    "stock_code": "Code",
    "description": "Description",
    "category": "Category",
    "new": st.column_config.TextColumn("New name", max_chars=MAX_NAME),
    "products": st.column_config.NumberColumn("Products", format="localized"),
    "customers": st.column_config.NumberColumn("Customers", format="localized"),
    "orders": st.column_config.NumberColumn("Orders", format="localized"),
    "quantity": st.column_config.NumberColumn("Quantity", format="localized"),
    "revenue": st.column_config.NumberColumn("Revenue (£)", format="localized"),
    "median_price": st.column_config.NumberColumn("Median price (£)", format="£ %.2f"),
    "words": "Words",
    "score": st.column_config.NumberColumn("Score", format="%.2f"),
    "lift": st.column_config.NumberColumn("Lift", format="%.1f×"),
    "buyers_share": st.column_config.NumberColumn("Bought by", format="%.0f%%"),
    "fallback": st.column_config.CheckboxColumn("Stand-in", width="small"),
}
#: Shares shown as whole percents (the package gives fractions).
PERCENT_COLUMNS = ("buyers_share",)


def shown_columns(table: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, dict]:
    """``columns`` of ``table`` as a page shows them (revenue in whole pounds, shares in
    percent), and their labels and formats."""
    frame = table[columns].copy()
    for column in columns:
        if column in PERCENT_COLUMNS:
            frame[column] = frame[column] * 100
        elif column == "revenue":
            frame[column] = frame[column].round(0)
    return frame, {column: COLUMNS[column] for column in columns}


def product_table(table: pd.DataFrame, columns: list[str], whole: bool = False) -> None:
    """``columns`` of a product table; ``whole``: every row on screen (a short list)."""
    frame, config = shown_columns(table, columns)
    height = TABLE_ROW * (len(frame) + 1) + 3 if whole else "auto"
    st.dataframe(frame, hide_index=True, column_config=config, height=height)
