"""The products sold and what each customer bought of them, computed in the engine.

Lines whose stock code is a non-product code (postage, fees, manual lines: the cleaning
options' ``non_product_codes``) are left out here whatever the cleaning steps were, so
they are never a product, a category or a recommendation.
"""

from __future__ import annotations

from datetime import date

import ibis
import pandas as pd
from ibis import _

from segmentation.engine import exact_sum, text_identifiers
from segmentation.errors import DataError
from segmentation.schema import (
    CUSTOMER_ID,
    DESCRIPTION,
    INVOICE_DATE,
    INVOICE_NO,
    QUANTITY,
    STOCK_CODE,
    TOTAL_PURCHASE,
    UNIT_PRICE,
)
from segmentation.transactions.cleaning import NON_PRODUCT_CODES, CleanResult, _non_product

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
    non_product = _non_product(table, non_product_codes)
    known = table[STOCK_CODE].notnull()
    return table.filter(known & ~non_product if non_product is not None else known)


def catalogue(
    clean: CleanResult, non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES
) -> pd.DataFrame:
    """One row per product: ``stock_code, description`` (its most frequent, the code itself
    when it has none), ``customers, orders, quantity, revenue, median_price`` (median unit
    price of its lines), ``first_sale, last_sale``; sorted by revenue descending, then
    stock code. Non-product codes are never in it."""
    lines = product_lines(clean, non_product_codes)
    price = (
        lines[UNIT_PRICE]
        if UNIT_PRICE in lines.columns
        else lines[TOTAL_PURCHASE] / lines[QUANTITY]
    )
    products = lines.group_by(STOCK_CODE).agg(
        customers=lines[CUSTOMER_ID].nunique(),
        orders=lines[INVOICE_NO].nunique(),
        quantity=lines[QUANTITY].sum().cast("float64"),
        revenue=exact_sum(lines[TOTAL_PURCHASE]),
        median_price=price.median().cast("float64"),
        first_sale=lines[INVOICE_DATE].min(),
        last_sale=lines[INVOICE_DATE].max(),
    )
    named = lines.filter(lines[DESCRIPTION].notnull())
    counts = named.group_by([STOCK_CODE, DESCRIPTION]).agg(_n=_.count())
    rank = ibis.row_number().over(group_by=STOCK_CODE, order_by=[ibis.desc("_n"), DESCRIPTION])
    names = counts.mutate(_rank=rank).filter(_._rank == 0).select(STOCK_CODE, DESCRIPTION)
    table = products.left_join(names, STOCK_CODE).drop(f"{STOCK_CODE}_right")
    frame = text_identifiers(clean.backend.to_pandas(table))
    frame[DESCRIPTION] = frame[DESCRIPTION].fillna(frame[STOCK_CODE]).astype("str")
    frame = frame.astype({"customers": "int64", "orders": "int64"})
    frame = frame.sort_values(["revenue", STOCK_CODE], ascending=[False, True], kind="stable")
    return frame[list(CATALOGUE_COLUMNS)].reset_index(drop=True)


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
    pairs = lines.group_by([CUSTOMER_ID, STOCK_CODE]).agg(
        orders=lines[INVOICE_NO].nunique(),
        quantity=lines[QUANTITY].sum().cast("float64"),
        revenue=exact_sum(lines[TOTAL_PURCHASE]),
        first_purchase=lines[INVOICE_DATE].min(),
        last_purchase=lines[INVOICE_DATE].max(),
    )
    frame = clean.backend.to_pandas(pairs.order_by([CUSTOMER_ID, STOCK_CODE]))
    frame = text_identifiers(frame).astype({"orders": "int64"})
    return frame[list(CUSTOMER_PRODUCT_COLUMNS)]
