"""Reading: formats, compression, encodings, delimiters, sheets and their errors."""

from __future__ import annotations

import gzip
import io
import zipfile

import pandas as pd
import pytest

from segmentation.errors import DataError, FileFormatError
from segmentation.loading import load_transactions
from tests.conftest import RETAIL_ROWS as ROWS
from tests.conftest import retail_csv


def test_whitespace_aligned_columns():
    text = (
        "Invoice    Customer   Date          Amount\n"
        "1001       A17        2024-01-05    12.50\n"
        "1002       B20        2024-02-07    7.25\n"
    )
    loaded = load_transactions(text.encode(), name="report.txt")
    assert loaded.report.delimiter == "spaces"
    assert loaded.data["amount"].tolist() == [12.5, 7.25]
    assert loaded.data["customer_id"].tolist() == ["A17", "B20"]


def test_gzip_and_zip():
    content = retail_csv(ROWS)
    gz = load_transactions(gzip.compress(content), name="sales.csv.gz")
    assert gz.report.compression == "gzip" and len(gz.data) == 3
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.md", "hello")
        archive.writestr("b.csv", content)
        archive.writestr("a.csv", retail_csv(ROWS[:1]))
    zipped = load_transactions(buffer.getvalue(), name="export.zip")
    assert zipped.report.compression == "zip (a.csv)"
    assert len(zipped.data) == 1
    assert any("2 tables" in note for note in zipped.report.notes)


def test_bounded_decompression():
    with pytest.raises(FileFormatError, match="expands to more than"):
        load_transactions(gzip.compress(b"a" * 10_000), name="big.csv.gz", max_bytes=1_000)


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


def test_parquet():
    buffer = io.BytesIO()
    _retail_frame(ROWS).to_parquet(buffer)
    loaded = load_transactions(buffer.getvalue(), name="sales.parquet")
    assert loaded.report.format == "Parquet"
    assert loaded.data["customer_id"].tolist() == ["17850", "17850", "14527"]


def test_missing_file():
    with pytest.raises(
        DataError, match=r"The file '.*nowhere\.csv' does not exist; check the path\."
    ):
        load_transactions("/definitely/nowhere.csv")
