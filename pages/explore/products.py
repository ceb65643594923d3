"""Products: the catalogue, its categories (renamed, merged or uploaded here) and how few
products bring most of the revenue."""

import pandas as pd
import streamlit as st

from app.errors import show_error
from app.formats import count, money
from app.links import link_control
from app.product_charts import category_bars, pareto, pareto_chart, pareto_point
from app.product_tables import product_table, shown_columns
from app.products import (
    CATEGORY_ERROR,
    CATEGORY_FILE,
    current_products,
    on_category_file,
    rename_from_editor,
    use_derived_categories,
)
from app.session import current_bundle
from app.settings import CATEGORY_NAMES
from app.text import markdown_text
from segmentation.outputs.export import to_safe_csv
from segmentation.products.catalogue import LISTED_COLUMNS

#: Widget keys of the page's search box and of its category editor.
SEARCH, EDITOR = "products_search", "category_editor"
SOURCES = {
    "demo": "the kinds of product planted in the demo data, each group of customers "
    "preferring one or two of them",
    "column": "the data's own category column",
    "derived": "the item words of the descriptions (cushion cover, lunch bag); products "
    "without one join the category they are most often bought with",
    "uploaded": "the uploaded file",
}

st.title("Products")
link_control()
bundle = current_bundle()
products = current_products()
if products is None:
    st.stop()
catalogue, categories = products.catalogue, products.categories
category_of = categories.products.set_index("stock_code")["category"]
table = catalogue.assign(category=catalogue["stock_code"].map(category_of))
curve = pareto(catalogue)
top, top_share = pareto_point(curve)

figures = st.columns(4)
figures[0].metric("Products", count(len(catalogue)))
figures[1].metric("Categories", count(len(categories.table)))
figures[2].metric("Revenue", money(catalogue["revenue"].sum()))
figures[3].metric(
    "Revenue of the best-selling 20 %",
    f"{top_share:.0%}",
    f"{top:,} products",
    delta_color="off",
    delta_arrow="off",
)

st.subheader("Catalogue")
search = st.text_input(
    "Search", key=SEARCH, placeholder="A product code, words of a description or a category"
)
shown = table
if search.strip():
    text = search.strip().casefold()
    found = pd.Series(False, index=table.index)
    for column in ("stock_code", "description", "category"):
        found |= table[column].astype(str).str.casefold().str.contains(text, regex=False)
    shown = table[found]
product_table(shown, list(LISTED_COLUMNS))
st.caption(
    f"{len(shown):,} of {len(table):,} products, by revenue; postage, fees and other lines "
    "that are not products are left out."
)

st.subheader("Categories")
st.caption(f"From {SOURCES.get(categories.source, markdown_text(categories.source))}.")
st.altair_chart(category_bars(categories.table), width="stretch")
names = st.session_state.get(CATEGORY_NAMES, {})
base = products.base.table
editor = base.assign(
    category=base["category"].astype(str),
    new=[names.get(position, "") for position in range(len(base))],
)
editor, config = shown_columns(editor, ["category", "new", "products", "revenue", "words"])
st.markdown("**Rename or merge categories**")
st.data_editor(
    editor,
    key=EDITOR,
    on_change=rename_from_editor,
    args=(EDITOR,),
    hide_index=True,
    disabled=["category", "products", "revenue", "words"],
    column_config=config,
)
st.caption(
    "Type a new name to rename a category; give two categories the same name to merge them. "
    "The names are used on every page and carried by the page's link."
)
left, right = st.columns([3, 1])
left.file_uploader(
    "Or upload your own categories (CSV: product code, category)",
    type=["csv"],
    key=CATEGORY_FILE,
    on_change=on_category_file,
)
if st.session_state.get(CATEGORY_ERROR):
    show_error(st.session_state[CATEGORY_ERROR] + " The categories in use are kept.")
if categories.source == "uploaded":
    right.button(
        "Use the data's categories", on_click=use_derived_categories, key="derived_categories"
    )

st.subheader("Few products, most revenue")
st.markdown(
    f"**{top / len(curve):.0%} of products bring {top_share:.0%} of revenue:** the "
    f"{top:,} best sellers of {len(curve):,}."
)
st.altair_chart(pareto_chart(curve), width="stretch")
st.caption("Products from the best seller to the least; the curve is their running share.")

st.download_button(
    "Catalogue with categories (CSV)",
    to_safe_csv(table.round({"revenue": 2, "median_price": 2})),
    file_name="products.csv",
    mime="text/csv",
    key="download_products",
    icon=":material/download:",
)
