"""Order totals: transaction lines summed per customer, invoice and country, in the engine.

A table of orders is far smaller than its lines, so figures counted per customer
(orders, revenue, dates, main country) are aggregated from it rather than from the
lines again. Cleaning builds it in the same pass that counts what each step removed.
"""

from __future__ import annotations

import ibis
from ibis import _

from segmentation.engine import DECIMAL
from segmentation.schema import (
    COUNTRY,
    CUSTOMER_ID,
    INVOICE_DATE,
    INVOICE_NO,
    QUANTITY,
    TOTAL_PURCHASE,
)

#: Number of lines in an order.
LINES = "lines"
#: Sums per order, exact (decimal) so that adding them up again loses nothing.
SUMS = {"monetary": TOTAL_PURCHASE, "total_quantity": QUANTITY}


def order_totals(lines: ibis.Table, *keys: str) -> ibis.Table:
    """One row per customer, invoice and country (and ``keys``): number of lines,
    first and last date, and the exact sums of :data:`SUMS` the lines have."""
    by = [*keys, CUSTOMER_ID, INVOICE_NO] + ([COUNTRY] if COUNTRY in lines.columns else [])
    return lines.group_by(by).agg(
        **{LINES: _.count()},
        first_purchase=lines[INVOICE_DATE].min(),
        last_purchase=lines[INVOICE_DATE].max(),
        **{
            name: lines[column].cast(DECIMAL).sum()
            for name, column in SUMS.items()
            if column in lines.columns
        },
    )
