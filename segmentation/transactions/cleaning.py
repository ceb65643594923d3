"""Clean transactions in named, switchable steps, accounting for every input row.

Each row is removed by at most one step, the first enabled step that matches it,
so the report always adds up: rows in = rows out + the sum of rows removed.
The work runs in the engine (:mod:`segmentation.engine`); the input is never mutated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import ibis
import pandas as pd
import pyarrow as pa
from ibis import _
from ibis.backends import BaseBackend

from segmentation.engine import (
    ROW,
    as_table,
    connect,
    engine_table,
    materialise,
    text_identifiers,
    view,
)
from segmentation.errors import CleaningError
from segmentation.read.loading import Transactions
from segmentation.read.scanning import EngineTransactions
from segmentation.schema import (
    AMOUNT,
    CUSTOMER_ID,
    INVOICE_DATE,
    INVOICE_NO,
    NUMERIC_COLUMNS,
    QUANTITY,
    STOCK_CODE,
    TOTAL_PURCHASE,
    UNIT_PRICE,
)
from segmentation.transactions.orders import LINES, order_totals

#: Stock codes of lines that are not products (postage, fees, manual adjustments, vouchers).
#: A code ending in ``*`` matches every code that starts with the rest.
NON_PRODUCT_CODES: tuple[str, ...] = (
    "POST",
    "DOT",
    "M",
    "C2",
    "D",
    "S",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "PADS",
    "B",
    "GIFT_*",
)
EXAMPLES_PER_STEP = 5
#: Rows searched first for each step's examples (all rows if some step has too few there).
EXAMPLE_ROWS = 100_000
#: Step number under which the counts hold the rows that no step removes.
KEPT = -1


@dataclass(frozen=True)
class Step:
    """A cleaning step: its key, a short title and one line of explanation."""

    name: str
    title: str
    explanation: str


#: Every step in the order it is applied.
STEPS: tuple[Step, ...] = (
    Step(
        "unreadable_lines",
        "Unreadable lines",
        "Lines of a text file with the wrong number of fields; they cannot be read at all.",
    ),
    Step(
        "invalid_values",
        "Missing or unreadable values",
        "Rows whose date, quantity, price or amount is missing or could not be read.",
    ),
    Step(
        "missing_customer_id",
        "Missing customer id",
        "Guest purchases without a customer id cannot be attributed to a customer.",
    ),
    Step(
        "duplicates",
        "Exact duplicates",
        "Rows identical in every column to an earlier row, usually export glitches.",
    ),
    Step(
        "cancellations",
        "Cancellations",
        "Cancelled lines (invoice starting with C, or a negative quantity); with netting on, "
        "the purchase each one cancels goes too.",
    ),
    Step(
        "non_product",
        "Non-product lines",
        "Postage, fees, manual adjustments and vouchers, which are not purchases of products.",
    ),
    Step(
        "non_positive_quantity",
        "Quantity zero or below",
        "Rows with a quantity of zero or less that are not marked as cancellations.",
    ),
    Step(
        "non_positive_price",
        "Price zero or below",
        "Free samples, bad-debt adjustments and write-offs (unit price or amount of zero or less).",
    ),
)
STEP_NAMES = tuple(step.name for step in STEPS)


@dataclass(frozen=True)
class CleaningOptions:
    """Which steps run. The defaults are the classic cleaning of the Online Retail literature."""

    invalid_values: bool = True
    missing_customer_id: bool = True
    duplicates: bool = True
    cancellations: bool = True
    net_cancellations: bool = False
    non_product: bool = False
    non_positive_quantity: bool = True
    non_positive_price: bool = True
    non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES

    def enabled(self, step: str) -> bool:
        """Whether ``step`` runs (unreadable lines are always counted)."""
        return step == "unreadable_lines" or bool(getattr(self, step))

    def with_steps(self, **switches: bool) -> CleaningOptions:
        """A copy with some steps switched on or off."""
        return replace(self, **switches)


@dataclass(frozen=True)
class StepResult:
    """What one step removed."""

    name: str
    title: str
    enabled: bool
    rows_removed: int
    revenue_removed: float
    examples: pd.DataFrame
    details: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CleaningReport:
    """Rows in, rows and revenue removed by each step, rows out."""

    rows_in: int
    rows_out: int
    revenue_out: float
    steps: tuple[StepResult, ...]

    @property
    def rows_removed(self) -> int:
        """Rows removed by all steps together."""
        return sum(step.rows_removed for step in self.steps)

    def table(self) -> pd.DataFrame:
        """One row per step: title, whether it ran, rows and revenue removed, rows left."""
        left = self.rows_in
        rows = []
        for step in self.steps:
            left -= step.rows_removed
            rows.append(
                {
                    "step": step.title,
                    "enabled": step.enabled,
                    "rows_removed": step.rows_removed,
                    "revenue_removed": step.revenue_removed,
                    "rows_left": left,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, object]:
        """The report as JSON-ready values (examples left out)."""
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_removed": self.rows_removed,
            "revenue_out": round(self.revenue_out, 2),
            "steps": [
                {
                    "name": s.name,
                    "title": s.title,
                    "enabled": s.enabled,
                    "rows_removed": s.rows_removed,
                    "revenue_removed": round(s.revenue_removed, 2),
                    **s.details,
                }
                for s in self.steps
            ],
        }


@dataclass(frozen=True)
class CleanResult:
    """Clean transactions (with ``total_purchase`` per line) and the report.

    ``table`` is the clean table in the engine, for further work there;
    ``data`` is the same rows as a pandas DataFrame, made on first use.
    """

    table: ibis.Table
    backend: BaseBackend
    report: CleaningReport
    #: The clean lines' order totals (:func:`~segmentation.transactions.orders.order_totals`),
    #: in the engine.
    orders: ibis.Table
    #: The input frame's date types, which ``data`` keeps (engines differ in time units).
    date_types: dict[str, object] = field(default_factory=dict)

    @cached_property
    def data(self) -> pd.DataFrame:
        """The clean rows in their input order, as a pandas DataFrame."""
        data = text_identifiers(self.backend.to_pandas(self.table.order_by(ROW).drop(ROW)))
        return data.astype(self.date_types) if self.date_types else data


def clean_transactions(
    transactions: Transactions | EngineTransactions | pd.DataFrame,
    options: CleaningOptions | None = None,
    backend: BaseBackend | None = None,
) -> CleanResult:
    """Apply the enabled cleaning steps in order and report what each removed.

    Accepts the loader's :class:`Transactions` (whose skipped lines are counted
    too), transactions in the engine (:class:`EngineTransactions`, cleaned where
    they lie) or a canonical DataFrame; none is mutated. A DataFrame or loaded
    transactions are cleaned in ``backend`` (a new DuckDB connection by default).
    Raises :class:`~segmentation.errors.CleaningError` when no row is left.
    """
    options = options or CleaningOptions()
    source = _Input.of(transactions, backend)
    backend, table, skipped = source.backend, source.table, source.skipped
    table = table.mutate(**{TOTAL_PURCHASE: _line_total(table)})
    duplicates = _later_duplicates(table, options, backend) if options.duplicates else None
    matched = (
        _matched_originals(table, options, duplicates, backend)
        if options.net_cancellations
        else None
    )
    originals = _rows_table(matched, backend) if matched else None
    reasons = _reason_cases(table, options, duplicates, originals)
    reason = ibis.cases(*reasons, else_=ibis.null("int8")) if reasons else ibis.null("int8")
    marked = table.mutate(_reason=reason)
    if backend.name == "duckdb":  # a view: the queries below refer to it, not compile it again
        marked = view(marked, backend)
    # the rows and revenue of each step, the clean lines' order totals and each customer's
    # distinct products, in one statement (two aggregations the engine runs side by side)
    groups = order_totals(marked.mutate(_reason=marked["_reason"].fill_null(KEPT)), "_reason")
    groups = materialise(groups, backend)
    counts = _counts(groups, backend)
    examples = _examples(marked, counts, source)
    removed = counts.drop(index=KEPT, errors="ignore")
    steps = _step_results(options, removed, examples, skipped, source.skipped_examples, matched)
    rows_removed = sum(step.rows_removed for step in steps)
    report = CleaningReport(
        rows_in=source.rows + skipped,
        rows_out=source.rows + skipped - rows_removed,
        revenue_out=float(counts["revenue"].get(KEPT, 0.0)),
        steps=steps,
    )
    if not report.rows_out:
        raise CleaningError(_nothing_left(report))
    kept = table.filter(*[~condition for condition, _step in reasons]) if reasons else table
    frame = source.frame
    dates = {} if frame is None else frame.select_dtypes("datetime").dtypes.to_dict()
    orders = groups.filter(groups["_reason"] == KEPT).drop("_reason")
    return CleanResult(kept, backend, report, orders, date_types=dates)


@dataclass(frozen=True)
class _Input:
    """The transactions to clean as an engine table, with what the report needs."""

    table: ibis.Table
    backend: BaseBackend
    rows: int
    skipped: int = 0
    skipped_examples: tuple[str, ...] = ()
    frame: pd.DataFrame | None = None

    @classmethod
    def of(
        cls,
        transactions: Transactions | EngineTransactions | pd.DataFrame,
        backend: BaseBackend | None = None,
    ) -> _Input:
        if isinstance(transactions, EngineTransactions):
            report = transactions.report
            return cls(
                transactions.table,
                transactions.backend,
                report.rows_read,
                report.skipped_lines,
                report.skipped_examples,
            )
        backend = backend or connect()
        if isinstance(transactions, Transactions):
            frame, report = transactions.data, transactions.report
            return cls(
                as_table(frame, backend),
                backend,
                len(frame),
                report.skipped_lines,
                report.skipped_examples,
                frame,
            )
        frame = transactions
        return cls(as_table(frame, backend), backend, len(frame), frame=frame)

    def rows_at(self, numbers: list[int]) -> pd.DataFrame:
        """The input rows with these row numbers (ascending), without the row number."""
        if self.frame is not None:
            return self.frame.iloc[numbers].reset_index(drop=True)
        picked = self.table.filter(self.table[ROW].isin(numbers)).order_by(ROW).drop(ROW)
        return text_identifiers(self.backend.to_pandas(picked))


def _line_total(table: ibis.Table) -> ibis.Value:
    if QUANTITY in table.columns and UNIT_PRICE in table.columns:
        return table[QUANTITY] * table[UNIT_PRICE]
    return table[AMOUNT]


def _reason_cases(
    table: ibis.Table,
    options: CleaningOptions,
    duplicates: ibis.Table | None,
    originals: ibis.Table | None,
) -> list[tuple[ibis.Value, int]]:
    """(condition, step number) pairs for the enabled steps, first match wins."""
    conditions = {
        "invalid_values": _invalid(table),
        "missing_customer_id": table[CUSTOMER_ID].isnull(),
        "duplicates": table[ROW].isin(duplicates[ROW]) if duplicates is not None else None,
        "cancellations": _cancelled(table, originals),
        "non_product": non_product_lines(table, options.non_product_codes),
        "non_positive_quantity": (table[QUANTITY] <= 0) if QUANTITY in table.columns else None,
        "non_positive_price": _money(table) <= 0,
    }
    return [
        (condition.fill_null(False), STEP_NAMES.index(name))
        for name, condition in conditions.items()
        if condition is not None and options.enabled(name)
    ]


def _left_before(
    table: ibis.Table, step: str, options: CleaningOptions, duplicates: ibis.Table | None
) -> ibis.Table:
    """The rows of ``table`` that no enabled step before ``step`` removes."""
    number = STEP_NAMES.index(step)
    earlier = [c for c, n in _reason_cases(table, options, duplicates, None) if n < number]
    return table.filter(*[~condition for condition in earlier]) if earlier else table


def _invalid(table: ibis.Table) -> ibis.Value:
    condition = table[INVOICE_DATE].isnull()
    for column in NUMERIC_COLUMNS:
        if column in table.columns:
            condition |= table[column].isnull()
    return condition


def _later_duplicates(
    table: ibis.Table, options: CleaningOptions, backend: BaseBackend
) -> ibis.Table:
    """The row numbers of rows equal in every column to an earlier row, in the engine.

    Rows that a step before this one removes are left out: a row equal to one of
    them is removed by that same step, which looks at the row's values alone. Only
    rows sharing invoice and product with another row can be duplicates, so those
    keys are found first and the exact comparison runs on their rows alone.
    """
    table = _left_before(table, "duplicates", options, None)
    columns = [c for c in table.columns if c not in (ROW, TOTAL_PURCHASE)]
    candidates = table
    key = [c for c in (INVOICE_NO, STOCK_CODE) if c in table.columns]
    if key:
        keys = {f"_{c}": _key(table[c]) for c in key}
        names = list(keys)
        repeated = table.select(**keys).group_by(names).agg(_n=_.count()).filter(_._n > 1)
        repeated = materialise(repeated.drop("_n"), backend)
        candidates = table.mutate(**keys).semi_join(repeated, names).drop(*names)
    rank = ibis.row_number().over(group_by=columns, order_by=candidates[ROW])
    later = candidates.mutate(_rank=rank).filter(_._rank > 0).select(ROW)
    return materialise(later, backend)


def _key(value: ibis.Value) -> ibis.Value:
    """``value`` with missing values as a value of its type, for joins on it (the exact
    comparison that follows tells a missing value from a real one)."""
    return value.fill_null("" if value.type().is_string() else -1)


def _cancelled(table: ibis.Table, originals: ibis.Table | None) -> ibis.Value:
    condition = _is_cancellation(table)
    if originals is not None:
        condition |= table[ROW].isin(originals[ROW])
    return condition


def _rows_table(rows: list[int], backend: BaseBackend) -> ibis.Table:
    """Row numbers as a one-column table of ``backend``."""
    return engine_table(pa.table({ROW: pa.array(rows, pa.int64())}), backend)


def _is_cancellation(table: ibis.Table) -> ibis.Value:
    sign = table[QUANTITY] if QUANTITY in table.columns else table[AMOUNT]
    condition = sign < 0
    if INVOICE_NO in table.columns and table[INVOICE_NO].type().is_string():
        invoice = table[INVOICE_NO]
        condition |= invoice.startswith("C") | invoice.startswith("c")
    return condition


def non_product_lines(table: ibis.Table, codes: tuple[str, ...]) -> ibis.Value | None:
    """Whether each line's stock code is one of ``codes`` (a trailing ``*`` matches a
    prefix; case and surrounding spaces ignored); ``None`` without codes or a code column."""
    if STOCK_CODE not in table.columns or not codes:
        return None
    code = table[STOCK_CODE]
    code = (code if code.type().is_string() else code.cast("string")).strip().upper()
    exact = [c.strip().upper() for c in codes if not c.endswith("*")]
    prefixes = [c[:-1].strip().upper() for c in codes if c.endswith("*")]
    condition = code.isin(exact) if exact else ibis.literal(False)
    for prefix in prefixes:
        condition |= code.startswith(prefix)
    return condition


def _money(table: ibis.Table) -> ibis.Value:
    return table[UNIT_PRICE] if UNIT_PRICE in table.columns else table[AMOUNT]


def _matched_originals(
    table: ibis.Table,
    options: CleaningOptions,
    duplicates: ibis.Table | None,
    backend: BaseBackend,
) -> list[int]:
    """Rows of purchases cancelled by a later cancellation of the same customer, product, quantity.

    Each cancellation is matched to the latest earlier purchase not yet matched.
    """
    alive = _left_before(table, "cancellations", options, duplicates)
    key = [CUSTOMER_ID, STOCK_CODE] if STOCK_CODE in alive.columns else [CUSTOMER_ID]
    quantity = alive[QUANTITY] if QUANTITY in alive.columns else alive[AMOUNT]
    cancels = alive.filter(_is_cancellation(alive)).mutate(size_=-quantity)
    purchases = alive.filter(~_is_cancellation(alive) & (quantity > 0)).mutate(size_=quantity)
    purchases = purchases.semi_join(cancels, [*key, "size_"])
    wanted = [ROW, INVOICE_DATE, *key, "size_"]
    cancel_rows = backend.to_pandas(cancels.select(wanted))
    purchase_rows = backend.to_pandas(purchases.select(wanted))
    return _match(cancel_rows, purchase_rows, [*key, "size_"])


def _match(cancels: pd.DataFrame, purchases: pd.DataFrame, key: list[str]) -> list[int]:
    """Greedy one-to-one matching: each cancellation, oldest first, takes the latest
    earlier purchase with the same key that no other cancellation took."""
    available: dict[tuple, list[tuple[pd.Timestamp, int]]] = {}
    purchases = purchases.sort_values([INVOICE_DATE, ROW])
    keys = zip(*(purchases[k] for k in key), strict=True)
    for k, when, row in zip(keys, purchases[INVOICE_DATE], purchases[ROW], strict=True):
        available.setdefault(k, []).append((when, row))
    matched = []
    cancels = cancels.sort_values([INVOICE_DATE, ROW])
    keys = zip(*(cancels[k] for k in key), strict=True)
    for k, when in zip(keys, cancels[INVOICE_DATE], strict=True):
        candidates = available.get(k, [])
        earlier = [i for i, (bought, _) in enumerate(candidates) if bought < when]
        if earlier:
            matched.append(int(candidates.pop(earlier[-1])[1]))
    return matched


def _counts(groups: ibis.Table, backend: BaseBackend) -> pd.DataFrame:
    """Rows and revenue per step number (:data:`KEPT` for the rows no step removes),
    added up from the order totals of each step."""
    counts = groups.group_by("_reason").agg(
        rows=groups[LINES].sum(), revenue=groups["monetary"].sum().cast("float64").fill_null(0)
    )
    return backend.to_pandas(counts).set_index("_reason").sort_index()


def _examples(marked: ibis.Table, counts: pd.DataFrame, source: _Input) -> pd.DataFrame:
    """The first removed rows of each step: their numbers from the engine, then their
    values (from the input frame where there is one: no second scan of the table).

    The first :data:`EXAMPLE_ROWS` rows are searched first, which an engine reading a
    file skips to cheaply; all rows only when some step has too few examples there.
    """
    wanted = {n: min(rows, EXAMPLES_PER_STEP) for n, rows in counts["rows"].items() if n != KEPT}
    removed = marked.filter(_._reason.notnull())
    picked = _first_removed(removed.filter(removed[ROW] < EXAMPLE_ROWS), source.backend)
    found = picked["_reason"].value_counts()
    if any(found.get(n, 0) < rows for n, rows in wanted.items()):
        picked = _first_removed(removed, source.backend)
    rows = source.rows_at([int(n) for n in picked[ROW]])
    return pd.concat([picked[["_reason", ROW]], rows], axis=1)


def _first_removed(removed: ibis.Table, backend: BaseBackend) -> pd.DataFrame:
    """Row number and step of the first removed rows of each step, in row order."""
    rank = ibis.row_number().over(group_by="_reason", order_by=removed[ROW])
    first = removed.mutate(_rank=rank).filter(_._rank < EXAMPLES_PER_STEP)
    return backend.to_pandas(first.select(ROW, "_reason").order_by(ROW))


def _step_results(
    options: CleaningOptions,
    counts: pd.DataFrame,
    examples: pd.DataFrame,
    skipped: int,
    skipped_examples: tuple[str, ...],
    matched: list[int] | None,
) -> tuple[StepResult, ...]:
    results = []
    for number, step in enumerate(STEPS):
        if step.name == "unreadable_lines":
            rows, revenue = skipped, 0.0
            shown = pd.DataFrame({"line": list(skipped_examples)})
        else:
            rows = int(counts["rows"].get(number, 0))
            revenue = float(counts["revenue"].get(number, 0.0))
            shown = examples[examples["_reason"] == number].drop(columns="_reason")
            shown = shown.rename(columns={ROW: "row"}).reset_index(drop=True)
        details = {}
        if step.name == "cancellations" and matched is not None:
            details["originals_matched"] = len(matched)
        results.append(
            StepResult(
                name=step.name,
                title=step.title,
                enabled=options.enabled(step.name),
                rows_removed=rows,
                revenue_removed=revenue,
                examples=shown,
                details=details,
            )
        )
    return tuple(results)


def _nothing_left(report: CleaningReport) -> str:
    last = [s for s in report.steps if s.rows_removed][-1]
    return (
        f"Cleaning removed all {report.rows_in:,} rows; the step '{last.title}' removed the last "
        f"{last.rows_removed:,}: switch it off or check the file's columns."
    )
