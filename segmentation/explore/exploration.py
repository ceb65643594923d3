"""Tables behind the exploration pages: distributions, correlations, months and countries.

Every function takes DataFrames or Series (the transaction-level ones also tables in
the engine, where they then run), never mutates them and returns small tables ready
to chart (binned, summarised), so charts stay light even for millions of lines.
Bad input raises :class:`ExplorationError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from segmentation.engine import ROW, connect, exact_sum, view
from segmentation.errors import DataError
from segmentation.explore.countries import place_countries
from segmentation.schema import (
    COUNTRY,
    CUSTOMER_ID,
    INVOICE_DATE,
    INVOICE_NO,
    MONETARY,
    TOTAL_PURCHASE,
)

#: Correlation methods offered, as pandas names them.
CORRELATION_METHODS: tuple[str, ...] = ("pearson", "spearman")
#: Largest number of points a scatter plot draws.
MAX_SCATTER_POINTS = 5_000


class ExplorationError(DataError):
    """A column is missing, or holds too few numbers for the summary asked for."""


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        raise ExplorationError(f"The table has no column '{column}' to explore.")
    values = pd.to_numeric(frame[column], errors="coerce").dropna()
    if values.empty:
        raise ExplorationError(f"Column '{column}' holds no numbers to explore.")
    return values.astype("float64")


def log_values(values: pd.Series) -> tuple[pd.Series, int]:
    """Base-10 logarithm of the positive values, and how many values were left out."""
    positive = values[values > 0]
    return np.log10(positive), int(len(values) - len(positive))


#: How a distribution can be drawn: its middle 98 %, on a log scale, or every value.
VIEWS: tuple[str, ...] = ("middle", "log", "all")
#: Percentiles bounding the middle view.
MIDDLE_PERCENTILES = (1, 99)


@dataclass(frozen=True)
class View:
    """The values a distribution chart draws and what it leaves out: ``below`` and
    ``above`` the window of the middle view, or zero and negative values on a log scale
    (``not_positive``)."""

    values: pd.Series
    kind: str
    below: int = 0
    above: int = 0
    not_positive: int = 0


def readable_view(values: pd.Series) -> str:
    """The view a chart of ``values`` opens on: the middle 98 % when a long tail would squash
    the rest into one bar (skew above 1), else every value."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    skew = float(values.skew()) if len(values) > 2 else 0.0
    return "middle" if np.isfinite(skew) and abs(skew) > 1 else "all"


def view_values(values: pd.Series, kind: str) -> View:
    """``values`` as the view ``kind`` draws them (see :data:`VIEWS`); the log view holds
    base-10 logarithms."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    if kind == "log":
        logged, dropped = log_values(values)
        return View(logged, kind, not_positive=dropped)
    if kind == "middle":
        low, high = values.quantile([p / 100 for p in MIDDLE_PERCENTILES])
        inside = values[(values >= low) & (values <= high)]
        below, above = int((values < low).sum()), int((values > high).sum())
        return View(inside, kind, below=below, above=above)
    if kind == "all":
        return View(values, kind)
    raise ExplorationError(f"Unknown view {kind!r}; choose one of {', '.join(VIEWS)}.")


def summary_statistics(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One row per column: count, mean, std, min, quartiles, max, skew and kurtosis."""
    rows = []
    for column in columns:
        values = _numbers(frame, column)
        rows.append(
            {
                "variable": column,
                "count": int(values.count()),
                "mean": values.mean(),
                "std": values.std(),
                "min": values.min(),
                "25%": values.quantile(0.25),
                "median": values.median(),
                "75%": values.quantile(0.75),
                "max": values.max(),
                "skew": values.skew(),
                "kurtosis": values.kurt(),
            }
        )
    return pd.DataFrame(rows).set_index("variable")


def shape_sentence(frame: pd.DataFrame, column: str, label: str | None = None) -> str:
    """One sentence on the shape of a column's distribution: skew, centre and outliers."""
    values = _numbers(frame, column)
    label = label or column
    skew = float(values.skew()) if len(values) > 2 else 0.0
    if not np.isfinite(skew) or abs(skew) < 0.5:
        shape = "roughly symmetric"
    elif abs(skew) < 1:
        shape = "moderately " + ("right" if skew > 0 else "left") + "-skewed"
    else:
        shape = "strongly " + ("right" if skew > 0 else "left") + "-skewed"
    q1, median, q3 = values.quantile([0.25, 0.5, 0.75])
    fence = q3 + 1.5 * (q3 - q1)
    outliers = int((values > fence).sum())
    sentence = (
        f"{label} is {shape} (skew {skew:.1f}): half the values lie between "
        f"{q1:,.4g} and {q3:,.4g}, the median is {median:,.4g} and the mean {values.mean():,.4g}"
    )
    if outliers:
        share = outliers / len(values)
        sentence += f"; {outliers:,} values ({share:.1%}) lie far above the upper quartile"
    if skew >= 1 and values.min() > 0:
        sentence += ", so the middle 98 % or a log scale shows the shape better"
    return sentence + "."


def histogram(values: pd.Series, bins: int = 40) -> pd.DataFrame:
    """Counts in equal-width bins: ``start, end, count``."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty:
        raise ExplorationError("There are no numbers to draw a histogram of.")
    counts, edges = np.histogram(values.to_numpy(dtype="float64"), bins=bins)
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts})


def box_statistics(values: pd.Series) -> dict[str, float]:
    """The five numbers of a Tukey box plot (whiskers at 1.5 IQR) and the outlier count."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty:
        raise ExplorationError("There are no numbers to draw a box plot of.")
    q1, median, q3 = (float(v) for v in values.quantile([0.25, 0.5, 0.75]))
    spread = q3 - q1
    inside = values[(values >= q1 - 1.5 * spread) & (values <= q3 + 1.5 * spread)]
    return {
        "lower": float(inside.min()),
        "q1": q1,
        "median": median,
        "q3": q3,
        "upper": float(inside.max()),
        "outliers": float(len(values) - len(inside)),
    }


def grouped_box_statistics(
    values: pd.Series, groups: pd.Series, order: Sequence[str]
) -> pd.DataFrame:
    """:func:`box_statistics` of ``values`` in each group, one row per group of ``order``
    (its name in ``group``); a group without numbers is left out."""
    rows = []
    for group in order:
        inside = values[groups == group]
        if pd.to_numeric(inside, errors="coerce").notna().any():
            rows.append({"group": group, **box_statistics(inside)})
    return pd.DataFrame(rows)


def density(values: pd.Series, points: int = 200, sample: int = 20_000) -> pd.DataFrame:
    """A Gaussian kernel density estimate on an even grid: ``value, density``.

    At most ``sample`` values (drawn with a fixed seed) feed the estimate.
    """
    from scipy.stats import gaussian_kde

    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.nunique() < 2:
        raise ExplorationError("A density needs at least two different values.")
    if len(values) > sample:
        values = values.sample(sample, random_state=0)
    grid = np.linspace(values.min(), values.max(), points)
    estimate = gaussian_kde(values.to_numpy(dtype="float64"))(grid)
    return pd.DataFrame({"value": grid, "density": estimate})


def correlations(frame: pd.DataFrame, columns: Sequence[str], method: str) -> pd.DataFrame:
    """Long table ``x, y, correlation`` of the ``pearson`` or ``spearman`` matrix."""
    if method not in CORRELATION_METHODS:
        raise ExplorationError(
            f"'{method}' is not a correlation method; use one of {', '.join(CORRELATION_METHODS)}."
        )
    numbers = pd.DataFrame({c: _numbers(frame, c) for c in columns})
    matrix = numbers.corr(method=method)
    matrix.index.name = "x"
    return matrix.reset_index().melt(id_vars="x", var_name="y", value_name="correlation")


def sample_points(frame: pd.DataFrame, limit: int = MAX_SCATTER_POINTS) -> pd.DataFrame:
    """``frame`` itself when small enough, else a seeded random sample of ``limit`` rows."""
    return frame if len(frame) <= limit else frame.sample(limit, random_state=0)


def monthly_activity(lines: pd.DataFrame | ibis.Table) -> pd.DataFrame:
    """Revenue, distinct orders and distinct customers per calendar month of clean lines
    (a DataFrame, or a table in the engine, where the counting then runs)."""
    table = _in_engine(lines)
    for column in (INVOICE_DATE, TOTAL_PURCHASE, INVOICE_NO, CUSTOMER_ID):
        if column not in table.columns:
            raise ExplorationError(f"The transactions have no column '{column}' to count by month.")
    months = table.group_by(month=table[INVOICE_DATE].truncate("M")).agg(
        revenue=exact_sum(table[TOTAL_PURCHASE]),
        orders=table[INVOICE_NO].nunique(),
        customers=table[CUSTOMER_ID].nunique(),
    )
    result = months.order_by("month").to_pandas()
    if result.empty:
        raise ExplorationError("There are no transactions to count by month.")
    return result.astype({"orders": "int64", "customers": "int64"})


def missing_values(frame: pd.DataFrame | ibis.Table) -> pd.DataFrame:
    """Missing values per column: ``column, missing, share`` (of a DataFrame or an engine
    table, without its row numbers)."""
    table = _in_engine(frame)
    columns = [c for c in table.columns if c != ROW]
    counts = table.aggregate(
        _rows=table.count(), **{f"_{i}": table[c].isnull().sum() for i, c in enumerate(columns)}
    ).to_pandas()
    rows = int(counts["_rows"].iloc[0])
    missing = np.array([int(counts[f"_{i}"].fillna(0).iloc[0]) for i in range(len(columns))])
    share = missing / rows if rows else missing * 0.0
    return pd.DataFrame({"column": columns, "missing": missing, "share": share})


def _in_engine(data: pd.DataFrame | ibis.Table) -> ibis.Table:
    """``data`` as an engine table; a DataFrame gets a connection of its own (Ibis's default
    one is shared by the whole process: it would keep every frame, and refuse a second
    thread)."""
    return view(ibis.memtable(data), connect()) if isinstance(data, pd.DataFrame) else data


def country_summary(customers: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Per country: customers, revenue, average monetary and ISO-3 code; plus unplaced names.

    The table keeps every country, unplaced ones with an empty ``iso3``; the tuple names
    the countries a map cannot show. Sorted by revenue, largest first.
    """
    for column in (COUNTRY, MONETARY):
        if column not in customers.columns:
            raise ExplorationError(f"The customer table has no '{column}' column.")
    known = customers.assign(**{COUNTRY: customers[COUNTRY].fillna("(missing)")})
    grouped = known.groupby(COUNTRY)[MONETARY]
    table = pd.DataFrame(
        {"customers": grouped.size(), "revenue": grouped.sum(), "avg_monetary": grouped.mean()}
    ).reset_index()
    placed = place_countries(table[COUNTRY])
    table["iso3"] = table[COUNTRY].map(placed.codes)
    table = table.sort_values(["revenue", COUNTRY], ascending=[False, True], ignore_index=True)
    return table, placed.unplaced


def cleaning_funnel(steps: pd.DataFrame, rows_in: int, revenue_in: float) -> pd.DataFrame:
    """Rows and revenue left after each enabled cleaning step, from the raw data to clean.

    ``steps`` is :meth:`CleaningReport.table`; the result has ``stage, order, rows, revenue``
    with the raw data first and the clean data last.
    """
    needed = {"step", "enabled", "rows_removed", "revenue_removed"}
    if not needed <= set(steps.columns):
        raise ExplorationError("The cleaning table lacks the columns of a cleaning report.")
    ran = steps[steps["enabled"]]
    stages = ["Raw data", *(f"− {step.lower()}" for step in ran["step"])]
    rows = rows_in - ran["rows_removed"].cumsum()
    revenue = revenue_in - ran["revenue_removed"].cumsum()
    return pd.DataFrame(
        {
            "stage": stages,
            "order": range(len(stages)),
            "rows": [rows_in, *rows.tolist()],
            "revenue": [revenue_in, *revenue.tolist()],
        }
    )
