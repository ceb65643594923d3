"""The whole transaction stage in one call: load, clean, customer features."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from segmentation.cleaning import CleaningOptions, CleanResult, clean_transactions
from segmentation.features import customer_table
from segmentation.loading import Transactions, load_transactions
from segmentation.reading import STACK_ALL_SHEETS, Source
from segmentation.schema import COUNTRY, INVOICE_DATE


@dataclass(frozen=True)
class FeatureRun:
    """Loaded transactions, the cleaning result, the customer table and its snapshot date."""

    transactions: Transactions
    cleaned: CleanResult
    customers: pd.DataFrame
    snapshot_date: pd.Timestamp

    def summary(self) -> dict[str, object]:
        """JSON-ready figures of the run, as ``summary.json`` writes them."""
        report = self.cleaned.report
        period = self.cleaned.backend.execute(
            self.cleaned.table.aggregate(
                start=self.cleaned.table[INVOICE_DATE].min(),
                end=self.cleaned.table[INVOICE_DATE].max(),
            )
        ).iloc[0]
        countries = (
            int(self.customers[COUNTRY].nunique()) if COUNTRY in self.customers.columns else None
        )
        return {
            "source": self.transactions.report.source,
            "load": self.transactions.report.to_dict(),
            "rows_in": report.rows_in,
            "rows_out": report.rows_out,
            "steps": report.to_dict()["steps"],
            "customers": len(self.customers),
            "orders": int(self.customers["frequency"].sum()),
            "revenue": round(report.revenue_out, 2),
            "countries": countries,
            "first_date": f"{period['start']:%Y-%m-%d %H:%M}",
            "last_date": f"{period['end']:%Y-%m-%d %H:%M}",
            "snapshot_date": f"{self.snapshot_date:%Y-%m-%d %H:%M}",
        }


def run_features(
    source: Source | Transactions,
    *,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = STACK_ALL_SHEETS,
    cleaning: CleaningOptions | None = None,
    snapshot_date: str | pd.Timestamp | None = None,
) -> FeatureRun:
    """Load (unless given loaded transactions), clean and build the customer table."""
    transactions = (
        source
        if isinstance(source, Transactions)
        else load_transactions(source, name=name, columns=columns, sheet=sheet)
    )
    cleaned = clean_transactions(transactions, cleaning)
    table = customer_table(cleaned, snapshot_date)
    return FeatureRun(transactions, cleaned, table.customers, table.snapshot_date)
