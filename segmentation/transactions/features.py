"""Customer features: one row per customer with recency, frequency, monetary and more.

Aggregation runs in the engine; the customer table comes back as pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import ibis
import pandas as pd
from ibis import _
from ibis.backends import BaseBackend

from segmentation.engine import as_table, connect, joined, materialise, text_identifiers
from segmentation.errors import DataError
from segmentation.schema import (
    COUNTRY,
    CUSTOMER_ID,
    INVOICE_DATE,
    INVOICE_NO,
    TOTAL_PURCHASE,
)
from segmentation.transactions.cleaning import CleanResult
from segmentation.transactions.orders import LINES, PRODUCTS, SUMS, order_totals

DAY_SECONDS = 86_400


def default_snapshot(clean: CleanResult | pd.DataFrame) -> pd.Timestamp:
    """The last invoice date in the data plus one day."""
    table, backend = _engine_table(clean)
    last = backend.execute(table[INVOICE_DATE].max())
    return pd.Timestamp(last) + pd.Timedelta(days=1)


def parse_snapshot(
    value: str | date | datetime | pd.Timestamp | None, what: str = "snapshot date"
) -> pd.Timestamp | None:
    """A snapshot date (or the date ``what`` names) from ``YYYY-MM-DD`` text or a date;
    ``None`` stays ``None``."""
    if value is None or isinstance(value, pd.Timestamp):
        return value
    try:
        parsed = pd.Timestamp(value)
    except (ValueError, TypeError):
        parsed = pd.NaT
    if parsed is pd.NaT:
        raise DataError(f"The {what} {value!r} is not a date; write it as YYYY-MM-DD.")
    return parsed


@dataclass(frozen=True)
class CustomerTable:
    """The customer table and the snapshot date its recency is counted to."""

    customers: pd.DataFrame
    snapshot_date: pd.Timestamp


def customer_features(
    clean: CleanResult | pd.DataFrame, snapshot_date: pd.Timestamp | str | None = None
) -> pd.DataFrame:
    """One row per customer, sorted by customer id (see :func:`customer_table`)."""
    return customer_table(clean, snapshot_date).customers


def customer_table(
    clean: CleanResult | pd.DataFrame,
    snapshot_date: pd.Timestamp | str | None = None,
    backend: BaseBackend | None = None,
) -> CustomerTable:
    """One row per customer, sorted by customer id, and the snapshot date used.

    Columns: ``customer_id, recency, frequency, monetary`` (whole days from the last
    purchase to the snapshot, distinct orders, total spend), then where the data has
    them ``total_quantity, avg_order_value, tenure_days, distinct_products`` and the
    customer's most frequent ``country``. The default snapshot is the last invoice
    date plus one day. ``clean`` is a :class:`CleanResult` (aggregated in its own
    engine) or clean transactions with a ``total_purchase`` column (aggregated in
    ``backend``, a new DuckDB connection by default); it is not mutated.
    """
    found = engine_customers(clean, snapshot_date, backend)
    return CustomerTable(_fetched(found.table, found.backend), found.snapshot_date)


def customers_on(clean: CleanResult, day: date | str | pd.Timestamp) -> CustomerTable:
    """The customer table as it stood on ``day``: every customer who bought on or before
    it, from those lines only (dates are compared, not times: a purchase at 15:00 on
    ``day`` counts). Recency and tenure are whole days from the date of the last and first
    purchase to the day after ``day``, the snapshot date returned (a purchase on ``day``
    has recency 1). Columns as :func:`customer_table`; an empty table when nobody had
    bought yet.
    """
    table, backend = clean.table, clean.backend
    day = pd.Timestamp(day).normalize()
    last = pd.Timestamp(backend.execute(clean.orders["last_purchase"].max())).normalize()
    if day >= last:  # every line counts: the order totals cleaning made are the same
        orders = clean.orders
    else:
        dates = table[INVOICE_DATE].date()
        orders = materialise(order_totals(table.filter(dates <= day.date())), backend)
    customers = _per_customer(orders).mutate(
        last_purchase=_.last_purchase.truncate("D"), first_purchase=_.first_purchase.truncate("D")
    )
    snapshot = day + pd.Timedelta(days=1)
    return CustomerTable(_fetched(_derived(customers, snapshot), backend), snapshot)


def _fetched(table: ibis.Table, backend: BaseBackend) -> pd.DataFrame:
    """A customer table of the engine as pandas: ids as text, sorted by customer id."""
    customers = backend.to_pandas(table)
    if "total_quantity" in customers and (customers["total_quantity"] % 1 == 0).all():
        customers["total_quantity"] = customers["total_quantity"].astype("int64")
    customers = text_identifiers(customers)
    return customers.sort_values(CUSTOMER_ID, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class EngineCustomers:
    """The customer table as a table of the engine, and the snapshot date its recency is
    counted to: for customer tables that stay where they are computed."""

    table: ibis.Table
    backend: BaseBackend
    snapshot_date: pd.Timestamp


def engine_customers(
    clean: CleanResult | pd.DataFrame,
    snapshot_date: pd.Timestamp | str | None = None,
    backend: BaseBackend | None = None,
) -> EngineCustomers:
    """The columns of :func:`customer_table`, computed and kept in the engine (ids as the
    engine holds them, rows in no particular order)."""
    table, backend = _engine_table(clean, backend)
    if isinstance(clean, CleanResult):
        orders = clean.orders
    else:
        orders = materialise(order_totals(table), backend)
    latest = pd.Timestamp(backend.execute(orders["last_purchase"].max()))
    snapshot = parse_snapshot(snapshot_date) or latest + pd.Timedelta(days=1)
    if latest > snapshot:
        raise DataError(
            f"The snapshot date {snapshot:%Y-%m-%d %H:%M} is before the last purchase "
            f"({latest:%Y-%m-%d %H:%M}); choose a date on or after it."
        )
    return EngineCustomers(_derived(_per_customer(orders), snapshot), backend, snapshot)


def _per_customer(orders: ibis.Table) -> ibis.Table:
    """The customer aggregates from the order totals (counting distinct orders straight
    from the lines costs several times more)."""
    sums = [name for name in SUMS if name in orders.columns]
    products = {PRODUCTS: orders[PRODUCTS].max()} if PRODUCTS in orders.columns else {}
    customers = orders.group_by(CUSTOMER_ID).agg(
        last_purchase=orders["last_purchase"].max(),
        first_purchase=orders["first_purchase"].min(),
        frequency=orders[INVOICE_NO].nunique(),
        **{name: orders[name].sum().cast("float64") for name in sums},
        **products,
    )
    if COUNTRY in orders.columns:
        customers = joined(customers, _main_country(orders), [CUSTOMER_ID])
    return customers


def _engine_table(
    clean: CleanResult | pd.DataFrame, backend: BaseBackend | None = None
) -> tuple[ibis.Table, BaseBackend]:
    if isinstance(clean, CleanResult):
        return clean.table, clean.backend
    if TOTAL_PURCHASE not in clean.columns:
        raise DataError(
            "The transactions have no total_purchase column; pass them through "
            "clean_transactions first."
        )
    backend = backend or connect()
    return as_table(clean, backend), backend


def _main_country(orders: ibis.Table) -> ibis.Table:
    """Each customer's most frequent country by lines; ties go to the first name alphabetically."""
    known = orders.filter(orders[COUNTRY].notnull())
    lines = known.group_by([CUSTOMER_ID, COUNTRY]).agg(_n=known[LINES].sum())
    rank = ibis.row_number().over(group_by=CUSTOMER_ID, order_by=[ibis.desc("_n"), COUNTRY])
    return lines.mutate(_rank=rank).filter(_._rank == 0).select(CUSTOMER_ID, COUNTRY)


def _derived(customers: ibis.Table, snapshot: pd.Timestamp) -> ibis.Table:
    """Recency, tenure and average order value from the aggregates, columns in order."""
    snapshot_seconds = (snapshot - pd.Timestamp(0)).total_seconds()

    def whole_days(when: ibis.Value) -> ibis.Value:
        return ((snapshot_seconds - when.epoch_seconds()) / DAY_SECONDS).floor().cast("int64")

    monetary = customers["monetary"].cast("float64")
    frequency = customers["frequency"].cast("int64")
    derived = {
        "recency": whole_days(customers["last_purchase"]),
        "frequency": frequency,
        "monetary": monetary,
        "avg_order_value": monetary / frequency,
        "tenure_days": whole_days(customers["first_purchase"]),
    }
    order = [
        CUSTOMER_ID,
        "recency",
        "frequency",
        "monetary",
        "total_quantity",
        "avg_order_value",
        "tenure_days",
        "distinct_products",
        COUNTRY,
    ]
    columns = {**{c: customers[c] for c in customers.columns}, **derived}
    return customers.select(**{c: columns[c] for c in order if c in columns})
