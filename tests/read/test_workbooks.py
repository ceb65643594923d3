"""Workbooks: sheets with the same columns stacked, or one picked by name."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from segmentation.errors import FileFormatError
from segmentation.read.loading import load_transactions
from tests.samples import RETAIL_ROWS as ROWS
from tests.samples import retail_csv


def _workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def _retail_frame(rows) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(retail_csv(rows)), dtype={"CustomerID": str})


def test_workbook_sheets_stacked_or_picked():
    first = _retail_frame(ROWS[:2]).assign(InvoiceDate=pd.Timestamp("2011-01-02 10:00"))
    second = _retail_frame(ROWS[2:]).assign(InvoiceDate=pd.Timestamp("2011-02-03 11:00"))
    notes = pd.DataFrame({"Note": ["not a table of sales"]})
    data = _workbook({"2010": first, "2011": second, "Notes": notes})
    stacked = load_transactions(data, name="sales.xlsx")
    assert stacked.report.sheets == ("2010", "2011")
    assert len(stacked.data) == 3
    assert stacked.data["invoice_date"].tolist()[-1] == pd.Timestamp("2011-02-03 11:00")
    assert any("'Notes' has other columns" in n for n in stacked.report.notes)
    assert any("stacked" in n for n in stacked.report.notes)
    picked = load_transactions(data, name="sales.xlsx", sheet="2011")
    assert picked.report.sheets == ("2011",) and len(picked.data) == 1
    with pytest.raises(FileFormatError, match="has no sheet 'Summary'; its sheets are '2010'"):
        load_transactions(data, name="sales.xlsx", sheet="Summary")
