"""The cached product stage of the current data: the catalogue and its categories (renamed
or uploaded in the session), each segment's affinity, every customer's lists and their
backtest; failures said in one sentence.

The products are read from the file again, read and cleaned as the current data was
(:func:`~app.session.data_inputs`), once per file and options; the segments' affinity and
lists are cached by the segments' names, so renaming a segment recomputes only them. The
tables are shared between sessions as they are (``st.cache_resource``: no page changes
them), which spares copying a large customer × product table on every run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import streamlit as st

from app.bundle import content_digest
from app.errors import failure_sentence, show_failure
from app.memory import give_back_memory, giving_back_memory
from app.segments import named_customers, segment_names
from app.session import data_inputs
from app.settings import CATEGORY_NAMES, MAX_NAME
from app.text import safe_name
from segmentation.demo import DEMO_PRODUCTS, DEMO_TRANSACTIONS
from segmentation.errors import DataError
from segmentation.outputs.export import to_safe_csv
from segmentation.products.affinity import Affinity, segment_affinity
from segmentation.products.backtest import (
    RecommendationBacktest,
    score_backtest,
    split_purchases,
)
from segmentation.products.catalogue import catalogue, customer_products
from segmentation.products.categories import (
    Categories,
    categorise,
    read_category_csv,
    rename_categories,
)
from segmentation.products.recommend import Recommendations, recommend
from segmentation.schema import CUSTOMER_ID, STOCK_CODE
from segmentation.segments.profiles import SEGMENT
from segmentation.segments.rfm import RFM_SEGMENT, SEGMENTS
from segmentation.segments.segment import Segmentation
from segmentation.transactions.cleaning import CleaningOptions, CleanResult, clean_transactions
from segmentation.transactions.pipeline import read_transactions

#: Session-state keys: the category file in use (bytes, name), one just uploaded and not yet
#: checked, the sentence on the last one that was refused, and the categories the names of
#: :data:`CATEGORY_NAMES` were given to.
CATEGORY_UPLOAD, PENDING_CATEGORIES = "products_category_upload", "products_pending_categories"
CATEGORY_ERROR, CATEGORY_SIGNATURE = "products_category_error", "products_category_signature"
#: Widget key of the Products page's category uploader.
CATEGORY_FILE = "category_file"
#: Products on each customer's lists and on each segment's promote list.
TOP = 10


@dataclass(frozen=True)
class Products:
    """The products of the current data: the catalogue, each customer's purchases of each
    product, and the categories (derived from the data or uploaded: ``base``; with the
    names given in the session: ``categories``)."""

    key: tuple[object, ...]
    catalogue: pd.DataFrame
    customer_products: pd.DataFrame
    base: Categories
    categories: Categories


@dataclass(frozen=True)
class _Tables:
    catalogue: pd.DataFrame
    customer_products: pd.DataFrame
    categories: Categories


def _clean(data, name, columns, sheet, options) -> tuple[CleanResult, tuple[str, ...]]:
    """The file read and cleaned with ``options``, and the codes those options take for
    postage, fees and other lines that are not products."""
    cleaning = CleaningOptions(**dict(options))
    transactions = read_transactions(data, name=name, columns=dict(columns) or None, sheet=sheet)
    return clean_transactions(transactions, cleaning), cleaning.non_product_codes


@st.cache_resource(max_entries=4, show_spinner=False)
@giving_back_memory
def _tables(
    digest: str,
    _data: bytes,
    name: str,
    columns: tuple[tuple[str, str], ...],
    sheet: str | None,
    options: tuple[tuple[str, object], ...],
) -> _Tables | DataError:
    """The catalogue, purchases per customer and product, and the derived categories of
    ``_data`` (keyed by its ``digest``); the package's error for data without products,
    returned so that it is cached too."""
    try:
        clean, codes = _clean(_data, name, columns, sheet, options)
        bought = customer_products(clean, non_product_codes=codes)
        products = catalogue(clean, codes, bought)
        return _Tables(products, bought, categorise(clean, products, bought))
    except DataError as error:
        return error


@st.cache_data(max_entries=8, show_spinner=False)
def _uploaded(data: bytes, name: str, key: tuple[object, ...], _catalogue: pd.DataFrame):
    """The categories of an uploaded product -> category file, or its error (cached too)."""
    try:
        return read_category_csv(data, name, _catalogue)
    except DataError as error:
        return error


@st.cache_data(max_entries=1, show_spinner=False)
def _demo_kinds() -> bytes:
    """The demo's product -> kind table (:data:`DEMO_PRODUCTS`) as a category file."""
    kinds = pd.read_csv(DEMO_PRODUCTS, dtype=str, keep_default_na=False)
    return kinds[[STOCK_CODE, "kind"]].to_csv(index=False).encode()


def _products() -> Products:
    """The products of the current data; raises the package's error without products."""
    data, name, columns, sheet, options = data_inputs()
    digest = content_digest(data)
    key = (name, digest, columns, sheet, options)
    found = _tables(digest, data, name, columns, sheet, options)
    if isinstance(found, DataError):
        raise found
    pending = st.session_state.pop(PENDING_CATEGORIES, None)
    if pending is not None:
        checked = _uploaded(*pending, key, found.catalogue)
        if isinstance(checked, DataError):
            st.session_state[CATEGORY_ERROR] = str(checked)
        else:
            st.session_state[CATEGORY_UPLOAD] = pending
            st.session_state.pop(CATEGORY_ERROR, None)
    base = found.categories
    if name == DEMO_TRANSACTIONS.name:  # the demo's planted kinds, where its products match
        planted = _uploaded(_demo_kinds(), DEMO_PRODUCTS.name, key, found.catalogue)
        if isinstance(planted, Categories):
            base = replace(planted, source="demo")
    upload = st.session_state.get(CATEGORY_UPLOAD)
    if upload is not None:
        uploaded = _uploaded(*upload, key, found.catalogue)
        if isinstance(uploaded, Categories):
            base = uploaded
    return Products(key, found.catalogue, found.customer_products, base, _renamed(base))


def _renamed(base: Categories) -> Categories:
    """``base`` with the names given in the session (:data:`CATEGORY_NAMES`, by position in
    ``base.table``); names given to other categories are forgotten."""
    originals = base.table["category"].astype(str).tolist()
    signature = (base.source, tuple(originals))
    names = st.session_state.get(CATEGORY_NAMES, {})
    if st.session_state.get(CATEGORY_SIGNATURE, signature) != signature:
        names = {}  # other data or another file: a link's names are for the first one
    names = {p: n for p, n in names.items() if p < len(originals) and n != originals[p]}
    st.session_state[CATEGORY_SIGNATURE] = signature
    st.session_state[CATEGORY_NAMES] = names
    if not names:
        return base
    return rename_categories(base, {originals[p]: name for p, name in names.items()})


def current_products(quiet: bool = False) -> Products | None:
    """The products of the current data (call it after :func:`~app.session.current_bundle`
    on the same page run), or ``None`` after saying why not: in an error box, or
    (``quiet``, on pages that do without) a caption."""
    try:
        with st.spinner("Reading the products (a second or two the first time)…"):
            return _products()
    except Exception as error:
        message = failure_sentence(error, "Reading the products")
    show_failure(message, quiet, "No products to offer")
    return None


def on_category_file() -> None:
    """Callback of the category uploader: the file is checked against the catalogue on the
    page's run."""
    uploaded = st.session_state.get(CATEGORY_FILE)
    if uploaded is not None:
        st.session_state[PENDING_CATEGORIES] = (uploaded.getvalue(), safe_name(uploaded.name))


def rename_from_editor(key: str) -> None:
    """Callback of the category editor under ``key``: the names typed in its ``new`` column,
    by position of the category (a blank name gives the category its own back)."""
    names = dict(st.session_state.get(CATEGORY_NAMES, {}))
    for row, change in st.session_state[key]["edited_rows"].items():
        if "new" in change:
            typed = "".join(c for c in str(change["new"] or "") if c.isprintable()).strip()
            if typed:
                names[int(row)] = typed[:MAX_NAME]
            else:
                names.pop(int(row), None)
    st.session_state[CATEGORY_NAMES] = names


def use_derived_categories() -> None:
    """Callback: back to the categories of the data, the uploaded file and names forgotten."""
    for key in (CATEGORY_UPLOAD, CATEGORY_ERROR, CATEGORY_NAMES):
        st.session_state.pop(key, None)


def customer_segments(segmentation: Segmentation, kind: str) -> tuple[pd.Series, list[str]]:
    """Each customer's segment (index ``customer_id``) and the segments in the order the
    pages show them: the shown names of the clusters, or (``kind="rfm"``) the RFM segments
    in the order of their rules."""
    if kind == "rfm":
        segments = segmentation.customers.set_index(CUSTOMER_ID)[RFM_SEGMENT].astype(str)
        return segments, [s for s in SEGMENTS if s in set(segments)]
    names = segment_names(segmentation)
    customers = named_customers(segmentation, names)
    return customers.set_index(CUSTOMER_ID)[SEGMENT].astype(str), list(names.values())


@st.cache_resource(max_entries=8, show_spinner=False)
def _affinity(
    _products: Products, key: tuple[object, ...], assigned: pd.DataFrame, segments: pd.Series
) -> Affinity:
    return segment_affinity(
        _products.customer_products, _products.categories, segments, _products.catalogue
    )


def affinity(products: Products, segments: pd.Series) -> Affinity:
    """Each segment's share of spend and lift per category and its typical products."""
    return _affinity(products, products.key, products.categories.products, segments)


@st.cache_resource(max_entries=8, show_spinner=False)
def _recommendations(
    _products: Products, key: tuple[object, ...], segments: pd.Series
) -> Recommendations:
    return recommend(_products.customer_products, _products.catalogue, segments, top=TOP)


def recommendations(products: Products, segments: pd.Series) -> Recommendations:
    """Every customer's buy-again and discover lists and each segment's promote list."""
    return _recommendations(products, products.key, segments)


@st.cache_data(max_entries=4, show_spinner=False)
def _lists_csv(_products: Products, key: tuple[object, ...], segments: pd.Series) -> str:
    every = recommendations(_products, segments).lists.merge(
        segments.rename(SEGMENT), left_on=CUSTOMER_ID, right_index=True, how="left"
    )
    return to_safe_csv(every.round(4))


def lists_csv(products: Products, segments: pd.Series) -> str:
    """Every customer's lists with their segment as spreadsheet-safe CSV (made once per
    products and segments: it is the page's largest download)."""
    return _lists_csv(products, products.key, segments)


def offer_sentence(found: Affinity, segment: str, products: int = 2) -> str:
    """What to offer ``segment`` in one sentence: its leading category
    (:meth:`~segmentation.products.affinity.Affinity.sentence`) and its most typical
    products."""
    typical = found.top_products[found.top_products["segment"] == segment]["description"]
    named = ", ".join(typical.head(products).str.strip())
    return found.sentence(segment).rstrip(".") + (f"; typical products: {named}." if named else ".")


def offer_sentences(segmentation: Segmentation) -> dict[str, str]:
    """What to offer each cluster segment, in one sentence by shown name (empty, after a
    caption saying why, when the data has no products)."""
    products = current_products(quiet=True)
    if products is None:
        return {}
    found = affinity(products, customer_segments(segmentation, "cluster")[0])
    return {segment: offer_sentence(found, segment) for segment in found.lift.index}


@st.cache_data(max_entries=4, show_spinner=False)
@giving_back_memory
def _backtest(
    digest: str,
    _data: bytes,
    name: str,
    columns: tuple[tuple[str, str], ...],
    sheet: str | None,
    options: tuple[tuple[str, object], ...],
    end: date,
    _catalogue: pd.DataFrame,
) -> RecommendationBacktest:
    end, before, after = _split(_data, name, columns, sheet, options, end)
    give_back_memory()  # the lines read and cleaned are freed before the lists are fitted
    return score_backtest(before, after, _catalogue, end, top=TOP)


def _split(data, name, columns, sheet, options, end) -> tuple[date, pd.DataFrame, pd.DataFrame]:
    """The file's customer × product tables up to ``end`` and after it
    (:func:`~segmentation.products.backtest.split_purchases`), the file read and cleaned
    for them freed on return."""
    clean, codes = _clean(data, name, columns, sheet, options)
    return split_purchases(clean, end, codes)


def current_backtest(products: Products, end: date) -> RecommendationBacktest:
    """The backtest of the current data's lists as of ``end`` (``products``: the current
    data's, whose catalogue it uses); raises the package's error for a date it cannot
    test."""
    data, *rest = data_inputs()
    return _backtest(content_digest(data), data, *rest, end, products.catalogue)
