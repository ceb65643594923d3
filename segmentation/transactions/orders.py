"""Order totals: transaction lines summed per customer, invoice and country, in the engine.

A table of orders is far smaller than its lines, so figures counted per customer
(orders, revenue, dates, main country) are aggregated from it rather than from the
lines again. The one figure orders cannot give, the customer's distinct products,
is counted in the same statement and carried on each of the customer's orders.
Cleaning builds the table in the statement that counts what each step removed.
"""

from __future__ import annotations

import ibis
import pandas as pd
from ibis import _
from ibis.backends import BaseBackend

from segmentation.engine import DECIMAL, joined, text_identifiers
from segmentation.schema import (
    COUNTRY,
    CUSTOMER_ID,
    INVOICE_DATE,
    INVOICE_NO,
    QUANTITY,
    STOCK_CODE,
    TOTAL_PURCHASE,
)

#: Number of lines in an order.
LINES = "lines"
#: Distinct products of the order's customer (the same on all of its orders).
PRODUCTS = "distinct_products"
#: Sums per order, exact (decimal) so that adding them up again loses nothing.
SUMS = {"monetary": TOTAL_PURCHASE, "total_quantity": QUANTITY}
#: Revenue of an order in :func:`order_purchases`.
REVENUE = "revenue"


def order_totals(lines: ibis.Table, *keys: str) -> ibis.Table:
    """One row per customer, invoice and country (and ``keys``): number of lines,
    first and last date, the exact sums of :data:`SUMS` the lines have and, where
    they have products, the customer's number of distinct products (within ``keys``).

    The products are counted by a second aggregation of the lines in the same
    statement, which the engine runs beside the first rather than after it.
    """
    by = [*keys, CUSTOMER_ID, INVOICE_NO] + ([COUNTRY] if COUNTRY in lines.columns else [])
    orders = lines.group_by(by).agg(
        **{LINES: _.count()},
        first_purchase=lines[INVOICE_DATE].min(),
        last_purchase=lines[INVOICE_DATE].max(),
        **{
            name: lines[column].cast(DECIMAL).sum()
            for name, column in SUMS.items()
            if column in lines.columns
        },
    )
    if STOCK_CODE not in lines.columns:
        return orders
    customer = [*keys, CUSTOMER_ID]
    products = lines.select(*customer, STOCK_CODE).distinct()
    products = products.group_by(customer).agg(**{PRODUCTS: _.count()})
    return joined(orders, products, customer)


def order_purchases(orders: ibis.Table, backend: BaseBackend) -> pd.DataFrame:
    """One row per customer and order, from the order totals: ``customer_id, invoice_no,
    invoice_date`` (the order's first line), ``revenue``, ``lines`` and, where the lines
    have them, ``total_quantity`` and ``country`` (of most of the order's lines, ties to
    the first name alphabetically; a category); sorted by customer, date and invoice.

    The input of the customer-base models (:mod:`segmentation.value.purchase_history`) and
    of the customers as of a date (:func:`~segmentation.transactions.features.customers_as_of`):
    computed in the engine from the orders, so only one row per order comes to pandas.
    Orders without a customer id (guests, when their cleaning step is off) are left out.
    """
    known = orders.filter(orders[CUSTOMER_ID].notnull())
    sums = {REVENUE: "monetary", "total_quantity": "total_quantity"}
    country = {}
    if COUNTRY in known.columns:  # the country of most lines, ties to the first name
        # (a window rather than an ordered aggregate, which not every engine has)
        most = ibis.row_number().over(
            group_by=[CUSTOMER_ID, INVOICE_NO], order_by=[ibis.desc(LINES), COUNTRY]
        )
        known = known.mutate(_most=most)
        country = {COUNTRY: known[COUNTRY].max(where=known["_most"] == 0)}
    table = known.group_by([CUSTOMER_ID, INVOICE_NO]).agg(
        **{INVOICE_DATE: known["first_purchase"].min()},
        **{name: known[c].sum().cast("float64") for name, c in sums.items() if c in known.columns},
        **{LINES: known[LINES].sum().cast("int64")},
        **country,
    )
    frame = text_identifiers(backend.to_pandas(table))
    if COUNTRY in frame.columns:
        frame[COUNTRY] = frame[COUNTRY].astype("category")
    order = [CUSTOMER_ID, INVOICE_DATE, INVOICE_NO]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)
