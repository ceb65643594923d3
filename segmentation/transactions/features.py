"""Customer features: one row per customer with recency, frequency, monetary and more.

Aggregation runs in the engine; the customer table comes back as pandas. The customers as
of a date come from the order table, already in pandas (:func:`customers_as_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import ibis
import numpy as np
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
from segmentation.transactions.orders import LINES, PRODUCTS, REVENUE, SUMS, order_totals

DAY_SECONDS = 86_400
#: Whole units of a :data:`~segmentation.engine.DECIMAL` (its scale: 9 decimals).
DECIMAL_UNITS = 10**9


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


def customers_as_of(purchases: pd.DataFrame, day: date | str | pd.Timestamp) -> CustomerTable:
    """The customer table as it stood on ``day``, from the order table (one row per
    customer and order, as :func:`~segmentation.transactions.orders.order_purchases` makes
    it). The one rule of a customer as of a date:

    * an order belongs to the date of its first line (``invoice_date``), whatever its
      time of day; a customer as of ``day`` has every order dated on or before it;
    * frequency counts those orders, monetary sums their revenue (exactly, as the engine
      does);
    * recency and tenure are whole days from the date of the last and of the first order
      to the day after ``day``, the snapshot date returned (an order on ``day`` has
      recency 1);
    * country is the one of most lines over those orders (ties to the first name
      alphabetically).

    Columns as :func:`customer_table` but ``distinct_products``, which orders cannot give
    by date; sorted by customer id; empty when nobody had bought yet. The input is not
    modified.
    """
    day = pd.Timestamp(day).tz_localize(None).normalize()  # a wall-clock date
    dates = purchases[INVOICE_DATE]
    if isinstance(dates.dtype, pd.DatetimeTZDtype):  # wall-clock dates
        dates = dates.dt.tz_localize(None)
    days = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    until_day = (day - pd.Timestamp(0)).days
    chosen = days <= until_day
    until = purchases.loc[chosen]
    codes, ids = pd.factorize(until[CUSTOMER_ID], sort=True)
    per_customer = pd.Series(days[chosen]).groupby(codes, sort=True)
    sums = [c for c in (REVENUE, "total_quantity") if c in until.columns]
    sums = {c: _exact_sums(until[c].to_numpy(dtype=np.float64), codes) for c in sums}
    frequency = np.bincount(codes, minlength=len(ids))
    monetary = sums[REVENUE]
    recency = until_day + 1 - per_customer.max().to_numpy()
    tenure = until_day + 1 - per_customer.min().to_numpy()
    customers = pd.DataFrame(
        {CUSTOMER_ID: ids, "recency": recency, "frequency": frequency, "monetary": monetary}
    )
    if "total_quantity" in sums:
        customers["total_quantity"] = sums["total_quantity"]
    customers["avg_order_value"] = monetary / frequency
    customers["tenure_days"] = tenure
    if COUNTRY in until.columns:
        customers[COUNTRY] = _main_countries(codes, until, len(ids))
    return CustomerTable(_whole_quantities(customers), day + pd.Timedelta(days=1))


def _exact_sums(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The sum of ``values`` per customer code, as the engine sums them: exactly, in whole
    units of its decimals (:data:`~segmentation.engine.DECIMAL`), then as a float (as
    floats where whole units would overflow, or a value is missing)."""
    if not (np.abs(values) < 2**62 / DECIMAL_UNITS).all():
        return pd.Series(values).groupby(codes, sort=True).sum().to_numpy()
    units = np.rint(values * DECIMAL_UNITS).astype(np.int64)
    return pd.Series(units).groupby(codes, sort=True).sum().to_numpy() / DECIMAL_UNITS


def _main_countries(codes: np.ndarray, until: pd.DataFrame, customers: int) -> pd.Series:
    """Each customer's country of most lines (ties to the first name alphabetically)."""
    country_codes, names = pd.factorize(until[COUNTRY], sort=True)
    lines = until[LINES].to_numpy() if LINES in until.columns else np.ones(len(until), np.int64)
    known = country_codes >= 0
    counts = (
        pd.DataFrame({"_c": codes[known], "_k": country_codes[known], "_n": lines[known]})
        .groupby(["_c", "_k"], sort=False)["_n"]
        .sum()
        .reset_index()
        .sort_values(["_c", "_n", "_k"], ascending=[True, False, True], kind="stable")
        .drop_duplicates("_c")
    )
    main = np.full(customers, None, dtype=object)
    main[counts["_c"].to_numpy()] = np.asarray(names, dtype=object)[counts["_k"].to_numpy()]
    return pd.Series(main, dtype="str")


def _whole_quantities(customers: pd.DataFrame) -> pd.DataFrame:
    """``customers`` with ``total_quantity`` as whole numbers when every value is one."""
    if "total_quantity" in customers and (customers["total_quantity"] % 1 == 0).all():
        customers["total_quantity"] = customers["total_quantity"].astype("int64")
    return customers


def _fetched(table: ibis.Table, backend: BaseBackend) -> pd.DataFrame:
    """A customer table of the engine as pandas: ids as text, sorted by customer id."""
    customers = text_identifiers(_whole_quantities(backend.to_pandas(table)))
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
