"""Reading: formats, compression, encodings, delimiters, sheets and their errors."""

from __future__ import annotations

import gzip
import io
import zipfile

import pandas as pd
import pytest

from segmentation.errors import ColumnError, DataError, FileFormatError
from segmentation.loading import load_transactions
from tests.conftest import RETAIL_ROWS as ROWS
from tests.conftest import retail_csv


@pytest.mark.parametrize(("delimiter", "word"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_other_delimiters_are_sniffed(delimiter, word):
    text = retail_csv(ROWS).decode().replace(",", delimiter)
    loaded = load_transactions(text.encode(), name="sales.txt")
    assert loaded.report.delimiter == word
    assert loaded.data["unit_price"].tolist() == [2.55, 1.85, 27.5]


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


def test_encodings():
    text = retail_csv([("1", "A", "CAFÉ £ MUG", 1, "2011-01-02", 1.0, 5, "Côte d'Ivoire")]).decode()
    expected = "CAFÉ £ MUG"
    for data, encoding in [
        (text.encode("utf-8"), "UTF-8"),
        (b"\xef\xbb\xbf" + text.encode("utf-8"), "UTF-8 with BOM"),
        (text.encode("utf-16"), "UTF-16"),
        (text.encode("cp1252"), "Windows-1252"),
    ]:
        loaded = load_transactions(data, name="x.csv")
        assert loaded.report.encoding == encoding
        assert loaded.data["description"].iloc[0] == expected
        assert loaded.data["country"].iloc[0] == "Côte d'Ivoire"
    latin = load_transactions(text.encode("cp1252"), name="x.csv").report
    assert any("Windows-1252" in note for note in latin.notes)


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


def test_zip_without_a_table():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.png", b"\x89PNG")
    with pytest.raises(FileFormatError, match=r"export\.zip holds no table \(found: photo\.png\)"):
        load_transactions(buffer.getvalue(), name="export.zip")


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


def test_workbook_with_a_header_only():
    data = _workbook({"Sheet1": _retail_frame(ROWS).head(0)})
    with pytest.raises(FileFormatError, match=r"empty\.xlsx has a header but no data rows"):
        load_transactions(data, name="empty.xlsx")


def test_xlsx_renamed_to_csv_is_read_as_a_workbook():
    data = _workbook({"Sheet1": _retail_frame(ROWS)})
    loaded = load_transactions(data, name="sales.csv")
    assert loaded.report.format == "Excel workbook" and len(loaded.data) == 3


def test_broken_workbook():
    data = _workbook({"Sheet1": _retail_frame(ROWS)})
    with pytest.raises(FileFormatError, match=r"sales\.xlsx"):
        load_transactions(data[: len(data) // 2], name="sales.xlsx")


def test_parquet_and_truncated_parquet():
    buffer = io.BytesIO()
    _retail_frame(ROWS).to_parquet(buffer)
    loaded = load_transactions(buffer.getvalue(), name="sales.parquet")
    assert loaded.report.format == "Parquet"
    assert loaded.data["customer_id"].tolist() == ["17850", "17850", "14527"]
    with pytest.raises(FileFormatError, match=r"sales\.parquet is not a readable Parquet file"):
        load_transactions(buffer.getvalue()[:-100], name="sales.parquet")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "empty.csv is empty: it has no header and no rows."),
        (b"\n\n  \n", "blank.csv", "blank.csv is empty"),
        (b"InvoiceNo,CustomerID\n", "header.csv", "header.csv has a header but no data rows"),
        (b"\x00\x01\x02\xff" * 200, "garbage.csv", "garbage.csv holds binary data, not a table"),
        (
            b"536365,85123A,WHITE,6,12/1/2010 8:26,2.55,17850,UK\n",
            "nohead.csv",
            "nohead.csv has no header row",
        ),
    ],
)
def test_file_errors(content, name, message):
    with pytest.raises(FileFormatError) as caught:
        load_transactions(content, name=name)
    assert message in str(caught.value)


def test_missing_file():
    with pytest.raises(
        DataError, match=r"The file '.*nowhere\.csv' does not exist; check the path\."
    ):
        load_transactions("/definitely/nowhere.csv")


def test_ragged_lines_are_skipped_and_reported():
    content = retail_csv(ROWS) + b"1,2,3\n"
    loaded = load_transactions(content, name="ragged.csv")
    assert len(loaded.data) == 3
    assert loaded.report.skipped_lines == 1
    assert loaded.report.skipped_examples == ("1,2,3",)


def test_blank_lines_before_the_header_and_between_rows():
    content = b"\n  \n" + retail_csv(ROWS).replace(b"\n", b"\n\n", 1)
    loaded = load_transactions(content, name="gappy.csv")
    assert loaded.report.layout == "UCI Online Retail"
    assert len(loaded.data) == 3


def test_a_one_megabyte_cell_and_a_very_wide_header():
    big = [(r[0], r[1], "X" * 1_000_000, *r[3:]) for r in ROWS[:1]]
    loaded = load_transactions(retail_csv(big), name="big.csv")
    assert len(loaded.data["description"].iloc[0]) == 1_000_000
    wide = ",".join(f"column{i}" for i in range(100_000)) + "\n" + ",".join(["1"] * 100_000)
    with pytest.raises(ColumnError, match=r"wide\.csv has no column for the customer id"):
        load_transactions(wide.encode(), name="wide.csv")


def test_unbalanced_quotes_and_an_empty_archive():
    text = retail_csv([]) + b'536365,85123A,"MUG,6,12/1/2010 8:26,2.55,17850,UK\n'
    with pytest.raises(FileFormatError, match=r"has no readable data rows: 1 line\(s\)"):
        load_transactions(text, name="quotes.csv")
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    with pytest.raises(FileFormatError, match=r"empty\.zip is an empty zip archive"):
        load_transactions(buffer.getvalue(), name="empty.zip")
