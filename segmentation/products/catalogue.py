"""The products sold and what each customer bought of them, computed in the engine.

Lines whose stock code is a non-product code (postage, fees, manual lines: the cleaning
options' ``non_product_codes``) are left out here whatever the cleaning steps were, so
they are never a product, a category or a recommendation.
"""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from ibis import _
from ibis.backends import BaseBackend

from segmentation.engine import DECIMAL
from segmentation.errors import DataError
from segmentation.schema import (
    CATEGORY,
    CUSTOMER_ID,
    DESCRIPTION,
    INVOICE_DATE,
    INVOICE_NO,
    QUANTITY,
    STOCK_CODE,
    TOTAL_PURCHASE,
    UNIT_PRICE,
)
from segmentation.transactions.cleaning import NON_PRODUCT_CODES, CleanResult, non_product_lines

#: The catalogue with its categories as ``products.csv`` and the Products page list it.
LISTED_COLUMNS: tuple[str, ...] = (
    STOCK_CODE,
    DESCRIPTION,
    CATEGORY,
    "customers",
    "orders",
    QUANTITY,
    "revenue",
    "median_price",
)
#: Columns of :func:`catalogue`, in order.
CATALOGUE_COLUMNS: tuple[str, ...] = (
    STOCK_CODE,
    DESCRIPTION,
    "customers",
    "orders",
    QUANTITY,
    "revenue",
    "median_price",
    "first_sale",
    "last_sale",
)
#: DuckDB's memory while it aggregates :func:`customer_products` in one query (beyond it,
#: its hash tables are partitioned, then spilled to disk); the default is restored after.
QUERY_MEMORY = "1500MB"
#: Where DuckDB spills (its default is ``.tmp`` in the working directory).
SPILL_DIRECTORY = Path(tempfile.gettempdir()) / "segmentation-duckdb"
#: Columns of :func:`customer_products`, in order.
CUSTOMER_PRODUCT_COLUMNS: tuple[str, ...] = (
    CUSTOMER_ID,
    STOCK_CODE,
    "orders",
    QUANTITY,
    "revenue",
    "first_purchase",
    "last_purchase",
)


class ProductsUnavailable(DataError):
    """The data has no product codes or no product descriptions."""


def product_lines(
    clean: CleanResult, non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES
) -> ibis.Table:
    """The clean lines of products, in the engine: non-product codes and lines without a
    stock code removed. Raises :class:`ProductsUnavailable` when the data has no product
    codes or no descriptions."""
    table = clean.table
    for column, what in ((STOCK_CODE, "product code"), (DESCRIPTION, "product description")):
        if column not in table.columns:
            raise ProductsUnavailable(
                f"This data has no {what} column, so products cannot be "
                f"{'told apart' if column == STOCK_CODE else 'named'}; map one on the Data "
                f"page (or --column {column}=NAME)."
            )
    if not table[STOCK_CODE].type().is_string():
        table = table.mutate(**{STOCK_CODE: table[STOCK_CODE].cast("int64").cast("string")})
    non_product = non_product_lines(table, non_product_codes)
    known = table[STOCK_CODE].notnull()
    return table.filter(known & ~non_product if non_product is not None else known)


def catalogue(
    clean: CleanResult,
    non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES,
    bought: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per product: ``stock_code, description`` (its most frequent, the code itself
    when it has none), ``customers, orders, quantity, revenue, median_price`` (median unit
    price of its lines), ``first_sale, last_sale``; sorted by revenue descending, then
    stock code; from the lines with a customer id. Non-product codes are never in it.
    ``bought`` is :func:`customer_products` of the same lines when already computed (the
    sums are added up from it)."""
    pairs = bought if bought is not None else customer_products(clean, None, non_product_codes)
    codes, products = coded(pairs[STOCK_CODE])
    frame = pairs[["orders", QUANTITY, "revenue", "first_purchase", "last_purchase"]]
    frame = frame.groupby(codes).agg(
        customers=("orders", "size"),
        orders=("orders", "sum"),
        quantity=(QUANTITY, "sum"),
        revenue=("revenue", "sum"),
        first_sale=("first_purchase", "min"),
        last_sale=("last_purchase", "max"),
    )
    frame.insert(0, STOCK_CODE, products[frame.index.to_numpy()])
    lines = product_lines(clean, non_product_codes)
    lines = lines.filter(lines[CUSTOMER_ID].notnull())
    counts = _line_counts(lines, clean.backend)
    frame[DESCRIPTION] = frame[STOCK_CODE].map(_descriptions(counts))
    frame[DESCRIPTION] = frame[DESCRIPTION].fillna(frame[STOCK_CODE]).astype("str")
    frame["median_price"] = frame[STOCK_CODE].map(_median_prices(counts))
    frame = frame.astype({"customers": "int64", "orders": "int64"})
    frame = frame.sort_values(["revenue", STOCK_CODE], ascending=[False, True], kind="stable")
    return frame[list(CATALOGUE_COLUMNS)].reset_index(drop=True)


def _line_counts(lines: ibis.Table, backend: BaseBackend) -> pd.DataFrame:
    """The lines counted per product, description and unit price (``_n``), in one pass."""
    if UNIT_PRICE in lines.columns:
        price = lines[UNIT_PRICE]
    else:
        price = lines[TOTAL_PURCHASE] / lines[QUANTITY]
    keys = [STOCK_CODE, DESCRIPTION, price.cast("float64").name("price")]
    return backend.to_pandas(lines.group_by(keys).agg(_n=_.count()))


def _descriptions(counts: pd.DataFrame) -> pd.Series:
    """Each product's most frequent description (ties: the first alphabetically)."""
    named = counts[counts[DESCRIPTION].notna()]
    frame = named.groupby([STOCK_CODE, DESCRIPTION], observed=True)["_n"].sum().reset_index()
    frame = frame.astype({DESCRIPTION: "str"})
    frame = frame.sort_values([STOCK_CODE, "_n", DESCRIPTION], ascending=[True, False, True])
    return frame.drop_duplicates(STOCK_CODE).set_index(STOCK_CODE)[DESCRIPTION]


def _median_prices(counts: pd.DataFrame) -> pd.Series:
    """Each product's median unit price over its lines (the mean of the two middle ones
    for an even number), from the lines counted per product and price."""
    frame = counts.groupby([STOCK_CODE, "price"], dropna=False)["_n"].sum().reset_index()
    frame = frame.sort_values([STOCK_CODE, "price"], kind="stable")
    lines_before = frame["_n"].cumsum().to_numpy()
    totals = frame.groupby(STOCK_CODE, sort=False)["_n"].agg(["sum", "size"])
    start = np.r_[0, lines_before[:-1]][np.r_[0, np.cumsum(totals["size"].to_numpy())[:-1]]]
    n = totals["sum"].to_numpy()
    lower = np.searchsorted(lines_before, start + (n - 1) // 2, side="right")
    upper = np.searchsorted(lines_before, start + n // 2, side="right")
    prices = frame["price"].to_numpy()
    return pd.Series((prices[lower] + prices[upper]) / 2, index=totals.index)


def customer_products(
    clean: CleanResult,
    until: date | str | pd.Timestamp | None = None,
    non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES,
    *,
    after: date | str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One row per customer and product they bought, computed in the engine:
    ``customer_id, stock_code, orders`` (distinct orders with it), ``quantity, revenue,
    first_purchase, last_purchase``; from the lines on or before the date ``until`` and
    after the date ``after`` only (all lines by default); lines without a customer id left
    out; sorted by customer and stock code."""
    lines = product_lines(clean, non_product_codes)
    lines = lines.filter(lines[CUSTOMER_ID].notnull())
    if until is not None:
        lines = lines.filter(lines[INVOICE_DATE].date() <= pd.Timestamp(until).date())
    if after is not None:
        lines = lines.filter(lines[INVOICE_DATE].date() > pd.Timestamp(after).date())
    table = _limited(clean.backend, _pairs(lines))
    keys = []
    for name in (CUSTOMER_ID, STOCK_CODE):  # ids as text, each distinct one held once
        coded = _text_codes(table[name])
        keys.append(coded.indices.to_numpy())
        table = table.set_column(table.schema.get_field_index(name), name, coded)
    table = table.select(list(CUSTOMER_PRODUCT_COLUMNS)).take(pa.array(np.lexsort(keys[::-1])))
    # each Arrow column is freed once converted: the table is not held twice
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    return frame.astype({"orders": "int64"})


def _text_codes(column: pa.ChunkedArray) -> pa.DictionaryArray:
    """Ids as text, dictionary-encoded with the distinct values in sorted order."""
    if pa.types.is_floating(column.type):
        column = column.cast(pa.int64())
    coded = column.cast(pa.string()).dictionary_encode().combine_chunks()
    order = np.argsort(coded.dictionary.to_numpy(zero_copy_only=False), kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    indices = pa.array(rank[coded.indices.to_numpy()])
    return pa.DictionaryArray.from_arrays(indices, coded.dictionary.take(pa.array(order)))


def _pairs(lines: ibis.Table) -> ibis.Table:
    """The customer × product aggregates of ``lines``: by order first, then by pair (two
    plain aggregations cost less than counting distinct orders per pair)."""
    orders = lines.group_by([CUSTOMER_ID, STOCK_CODE, INVOICE_NO]).agg(
        quantity=lines[QUANTITY].sum(),
        revenue=lines[TOTAL_PURCHASE].cast(DECIMAL).sum(),
        first_purchase=lines[INVOICE_DATE].min(),
        last_purchase=lines[INVOICE_DATE].max(),
    )
    return orders.group_by([CUSTOMER_ID, STOCK_CODE]).agg(
        orders=_.count(),
        quantity=orders[QUANTITY].sum().cast("float64"),
        revenue=orders["revenue"].sum().cast("float64"),
        first_purchase=orders["first_purchase"].min(),
        last_purchase=orders["last_purchase"].max(),
    )


def _limited(backend: BaseBackend, query: ibis.Table) -> pa.Table:
    """``query``'s rows, run by DuckDB within :data:`QUERY_MEMORY` (other engines as
    they are): one pass over the lines, which a cleaning view makes costly to repeat."""
    if backend.name != "duckdb":
        return backend.to_pyarrow(query)
    spill = str(SPILL_DIRECTORY)
    if backend.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0] != spill:
        # once DuckDB has spilled, its folder cannot change: it stays as it is
        with contextlib.suppress(duckdb.NotImplementedException):
            quoted = spill.replace("'", "''")
            backend.raw_sql(f"SET temp_directory = '{quoted}'")
    backend.raw_sql(f"SET memory_limit = '{QUERY_MEMORY}'")
    try:
        return backend.to_pyarrow(query)
    finally:
        backend.raw_sql("RESET memory_limit")


def coded(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``values`` as integer codes and the distinct values they stand for: a categorical
    column's own (:func:`customer_products` gives them), else the sorted distinct values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), pd.Index(values.cat.categories.astype("str"))
    codes, distinct = pd.factorize(values.astype("str"), sort=True)
    return codes, pd.Index(distinct)
