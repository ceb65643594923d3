"""Hostile and broken inputs: a corpus of files built here, each with its expected outcome.

Every case goes through the library and the command line; a representative set of the
refused ones also through the app's uploader and through a real ``python -m segmentation``
process. A file either loads, and then its figures are the ones worked out by hand for its
few lines, or it is refused with one sentence naming the file (or column, line, customers)
and what to do.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import io
import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from segmentation.cli import main
from segmentation.errors import CleaningError, ColumnError, DataError, FileFormatError, ModelError
from segmentation.read.files import MAX_UNCOMPRESSED_BYTES
from segmentation.read.loading import Transactions, load_transactions
from segmentation.segments.segment import segment_customers
from segmentation.transactions.cleaning import CleanResult, clean_transactions
from segmentation.transactions.features import CustomerTable, customer_table
from tests.app.test_app import open_app
from tests.samples import ROOT

UCI = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
#: Four lines, three customers: c1 spends 3.00 + 4.50 in two orders, c2 4.00, c3 10.00.
GOOD = (
    "1001,A1,MUG,2,2011-03-01 10:00,1.50,c1,United Kingdom",
    "1002,B2,JUG,1,2011-03-02 11:00,4.00,c2,France",
    "1003,A1,MUG,3,2011-03-03 12:00,1.50,c1,United Kingdom",
    "1004,C3,BOWL,5,2011-03-04 13:00,2.00,c3,Germany",
)
CUSTOMERS = {"c1": 7.5, "c2": 4.0, "c3": 10.0}
UCI_COLUMNS = UCI.split(",")


def text(*lines: str, header: str = UCI, end: str = "\n") -> str:
    return end.join([header, *lines]) + end


def csv_bytes(*lines: str, header: str = UCI) -> bytes:
    return text(*lines, header=header).encode()


def cells(line: str) -> list[object]:
    """A GOOD line as workbook cells: quantities and prices as numbers, the rest as text."""
    values: list[object] = line.split(",")
    values[3], values[5] = float(values[3]), float(values[5])
    return values


def workbook(sheets: dict[str, list[list[object]]], far_cell: tuple[int, int] | None = None):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        if far_cell:
            sheet.write(*far_cell, 1)
    book.close()
    return buffer.getvalue()


def good_workbook() -> bytes:
    return workbook({"Sales": [UCI_COLUMNS, *(cells(line) for line in GOOD)]})


def parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def good_parquet() -> bytes:
    frame = pd.read_csv(io.StringIO(text(*GOOD)), dtype=str)
    return parquet(pa.Table.from_pandas(frame, preserve_index=False))


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def raw_zip(members: dict[str, tuple[bytes, int, int]]) -> bytes:
    """A zip archive of already deflated members: name -> (deflated bytes, size, CRC-32)."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, (packed, size, crc) in members.items():
        encoded, offset = name.encode(), local.tell()
        sizes = (crc, len(packed), size, len(encoded))
        # Version 2.0, no flags, deflate, 1980-01-01 00:00.
        local.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 33, *sizes, 0))
        local.write(encoded + packed)
        entry = (b"PK\x01\x02", 20, 20, 0, 8, 0, 33, *sizes, 0, 0, 0, 0, 0, offset)
        central.write(struct.pack("<4s6H3L5H2L", *entry) + encoded)
    directory = central.getvalue()
    count = len(members)
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), local.tell(), 0
    )
    return local.getvalue() + directory + end


def deflated(data: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), len(data), zlib.crc32(data)


@functools.cache
def zeros_beyond_the_bound() -> tuple[bytes, int, int]:
    """Zero bytes, just more than the default bound, deflated once (2.2 GB into 9.7 MB)."""
    block = bytes(1 << 26)
    blocks = MAX_UNCOMPRESSED_BYTES // len(block) + 1
    packer, crc = zlib.compressobj(1, zlib.DEFLATED, -15), 0
    parts = []
    for _ in range(blocks):
        parts.append(packer.compress(block))
        crc = zlib.crc32(block, crc)
    parts.append(packer.flush())
    return b"".join(parts), blocks * len(block), crc


def zip_bomb() -> bytes:
    return raw_zip({"sales.csv": zeros_beyond_the_bound()})


def workbook_with_a_bomb() -> bytes:
    """A real workbook whose sheet part expands beyond the bound."""
    parts = zipfile.ZipFile(io.BytesIO(good_workbook()))
    members = {info.filename: deflated(parts.read(info)) for info in parts.infolist()}
    members["xl/worksheets/sheet1.xml"] = zeros_beyond_the_bound()
    return raw_zip(members)


def with_part(book: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    parts = zipfile.ZipFile(io.BytesIO(book))
    return zipped(
        {
            i.filename: (change if i.filename == part else bytes)(parts.read(i))
            for i in parts.infolist()
        }
    )


def xml_bomb() -> bytes:
    """The "billion laughs": ten entities of ten copies of the one before, in shared strings."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )

    def change(xml: bytes) -> bytes:
        xml = xml.replace(b"?>\n", f"?>\n<!DOCTYPE sst [{entities}]>".encode(), 1)
        return xml.replace(b"<t>MUG</t>", b"<t>&lol9;</t>", 1)

    return with_part(good_workbook(), "xl/sharedStrings.xml", change)


def nested_gzip(layers: int) -> bytes:
    data = csv_bytes(*GOOD)
    for _ in range(layers):
        data = gzip.compress(data, compresslevel=1)
    return data


def garbage(size: int, low: int = 0) -> bytes:
    generator = np.random.default_rng(6)
    return generator.integers(low, 256, size, dtype=np.uint8).tobytes()


@dataclass(frozen=True)
class Loaded:
    """What the library made of a file that loads."""

    transactions: Transactions
    cleaned: CleanResult
    customers: CustomerTable

    @property
    def report(self):
        return self.transactions.report

    def column(self, name: str) -> list:
        return self.transactions.data[name].tolist()

    def note(self, *words: str) -> str:
        """The one note holding all ``words``."""
        found = [n for n in self.report.notes if all(w in n for w in words)]
        assert len(found) == 1, (words, self.report.notes)
        return found[0]

    def spend(self) -> dict[str, float]:
        table = self.customers.customers
        return dict(zip(table["customer_id"], table["monetary"], strict=True))


@dataclass(frozen=True)
class Case:
    """A file and what must come of it.

    ``error`` (with ``words`` in its message) when it is refused, at ``stage`` load,
    clean or segment; otherwise the figures of the loaded file: rows read, lines skipped,
    rows left after cleaning, customers, and ``check`` for anything else.
    """

    id: str
    name: str
    build: Callable[[], bytes]
    error: type[DataError] | None = None
    words: tuple[str, ...] = ()
    stage: str = "load"
    rows_read: int = 0
    skipped: int = 0
    rows_out: int = 0
    customers: int = 0
    check: Callable[[Loaded], None] | None = None
    command: tuple[str, ...] = ("features",)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def data(self) -> bytes:
        if "data" not in self._cache:
            self._cache["data"] = self.build()
        return self._cache["data"]


def check_blank_lines(loaded: Loaded) -> None:
    assert loaded.report.layout == "UCI Online Retail"
    assert loaded.spend() == CUSTOMERS


def check_workbook(loaded: Loaded) -> None:
    assert loaded.report.format == "Excel workbook"
    assert loaded.column("quantity") == [2.0, 1.0, 3.0, 5.0]
    assert loaded.spend() == CUSTOMERS


def check_cover_sheet(loaded: Loaded) -> None:
    assert loaded.report.sheets == ("Sales",)
    loaded.note("'Read me' has other columns and was not read")
    assert loaded.spend() == CUSTOMERS


def check_ragged(loaded: Loaded) -> None:
    assert loaded.report.skipped_examples == ("1005,A1,MUG", "1006,A1,MUG,1,2011-03-06,1,c9,UK,x,y")
    loaded.note("2 line(s) with a wrong number of fields were skipped (e.g. '1005,A1,MUG')")
    assert loaded.cleaned.report.rows_in == 6
    assert loaded.cleaned.report.steps[0].rows_removed == 2


def check_duplicate_headers(loaded: Loaded) -> None:
    assert loaded.report.mapping["customer_id"] == "CustomerID"
    assert "CustomerID.2" in loaded.report.unmapped
    loaded.note("The column name 'CustomerID' appears 2 times; the later ones are read as")
    assert loaded.column("customer_id") == ["c1", "c2", "c1", "c3"]


def check_line_break_in_header(loaded: Loaded) -> None:
    assert loaded.report.mapping["customer_id"] == "Customer ID"
    # The header takes lines 1 and 2, so the first data row is on line 3.
    loaded.note("1 value(s) of 'Amount' could not be read (e.g. 'unknown' on line 3)")


def check_one_megabyte_cell(loaded: Loaded) -> None:
    assert len(loaded.column("description")[0]) == 1_000_000
    assert loaded.spend() == CUSTOMERS


def check_wide(loaded: Loaded) -> None:
    assert len(loaded.report.unmapped) == 100_000 - 8
    assert loaded.spend() == {"c1": 3.0, "c2": 4.0}


def check_encoding(encoding: str) -> Callable[[Loaded], None]:
    def check(loaded: Loaded) -> None:
        assert loaded.report.encoding == encoding
        assert loaded.report.layout == "UCI Online Retail"
        assert loaded.column("description")[0] == "CAFÉ £ MUG"
        assert loaded.column("country")[1] == "Côte d'Ivoire"
        one_byte = [n for n in loaded.report.notes if "not UTF-8" in n]
        assert one_byte == (
            [f"The file is not UTF-8; it was read as {encoding}."]
            if encoding == "Windows-1252"
            else []
        )

    return check


def check_delimiter(word: str) -> Callable[[Loaded], None]:
    def check(loaded: Loaded) -> None:
        assert loaded.report.delimiter == word
        assert loaded.column("unit_price") == [1.5, 4.0, 1.5, 2.0]
        assert loaded.spend() == CUSTOMERS

    return check


def check_decimal_commas(loaded: Loaded) -> None:
    check_delimiter("semicolon")(loaded)
    loaded.note("Column 'UnitPrice' uses decimal commas.")


def check_sep_line(loaded: Loaded) -> None:
    assert loaded.report.delimiter == "semicolon"
    loaded.note("The first line 'sep=;' names the delimiter.")
    # sep=; is line 1 and the header line 2: the first data row is line 3.
    loaded.note("1 value(s) of 'Quantity' could not be read (e.g. 'x' on line 3)")


def check_thousands(loaded: Loaded) -> None:
    assert loaded.column("amount") == [1234.5, 1000.0, 2000.0]
    assert loaded.spend() == {"k1": 3234.5, "k2": 1000.0}


def check_decimal_comma_and_dots(loaded: Loaded) -> None:
    assert loaded.column("amount") == [1234.5, 2.5, 10.0]
    loaded.note("Column 'Amount' uses decimal commas.")


def check_three_date_formats(loaded: Loaded) -> None:
    assert loaded.column("invoice_date") == [
        pd.Timestamp("2011-03-01 10:00"),
        pd.Timestamp("2011-03-13 09:30"),
        pd.Timestamp("2011-03-15"),
    ]
    assert "YYYYMMDD" in loaded.report.date_format
    assert "day first" in loaded.report.date_format


def check_unreadable_dates(loaded: Loaded) -> None:
    assert loaded.report.unreadable == {"invoice_date": 2}
    loaded.note("2 value(s) of 'Order Date' could not be read (e.g. 'yesterday' on line 2)")
    invalid = next(s for s in loaded.cleaned.report.steps if s.name == "invalid_values")
    assert invalid.rows_removed == 2


def check_dates_out_of_range(loaded: Loaded) -> None:
    assert loaded.report.unreadable == {"invoice_date": 3}
    loaded.note("3 ", "of 'InvoiceDate'", "(e.g. '2099-06-01 10:00' on line 2)")
    # The date in 2099 does not move the snapshot: the last good date plus one day.
    assert loaded.customers.snapshot_date == pd.Timestamp("2011-03-05 13:00")
    assert loaded.spend() == {"c1": 3.0, "c2": 4.0, "c3": 10.0}


def check_numbers_as_text(loaded: Loaded) -> None:
    quantities = loaded.column("quantity")
    assert quantities[:2] == [7.0, 3.0] and np.isnan(quantities[2]) and quantities[3] == 5.0
    assert loaded.column("unit_price") == [2.5, 4.0, 1.5, 2.0]
    loaded.note("1 value(s) of 'Quantity' could not be read (e.g. 'six' on line 4)")
    assert loaded.cleaned.report.revenue_out == pytest.approx(39.5)


def check_prices(loaded: Loaded) -> None:
    price = next(s for s in loaded.cleaned.report.steps if s.name == "non_positive_price")
    assert price.rows_removed == 2
    assert loaded.spend() == {"c1": 4.5, "c3": 10.0}


def check_nan_and_infinity(loaded: Loaded) -> None:
    # "NaN" is how programs write a missing number; infinities cannot be read.
    assert loaded.report.unreadable == {"quantity": 1, "unit_price": 2}
    features = loaded.customers.customers.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(features).all()
    assert loaded.spend() == {"c3": 10.0}


def check_old_mac(loaded: Loaded) -> None:
    assert loaded.spend() == CUSTOMERS


def check_one_customer(loaded: Loaded) -> None:
    assert loaded.spend() == {"c1": 11.5}


def check_identical(loaded: Loaded) -> None:
    assert set(loaded.spend().values()) == {3.0}


def amounts(*rows: str) -> bytes:
    return csv_bytes(*rows, header="Order ID,Customer ID,Order Date,Amount")


def _utf8_table() -> str:
    return text(
        "1001,A1,CAFÉ £ MUG,2,2011-03-01 10:00,1.50,c1,United Kingdom",
        "1002,B2,JUG,1,2011-03-02 11:00,4.00,c2,Côte d'Ivoire",
        *GOOD[2:],
    )


WIDE_HEADER = UCI + "," + ",".join(f"extra{i}" for i in range(100_000 - 8))
WIDE_FILL = "," + ",".join(["0"] * (100_000 - 8))

CASES: list[Case] = [
    # ---- refused while reading the file
    Case("empty", "empty.csv", lambda: b"", FileFormatError, ("empty.csv is empty",)),
    Case(
        "blank lines only",
        "blank.csv",
        lambda: b"\n \r\n\t\n",
        FileFormatError,
        ("blank.csv is empty",),
    ),
    Case(
        "header only",
        "header.csv",
        lambda: csv_bytes(),
        FileFormatError,
        ("header.csv has a header but no data rows",),
    ),
    Case(
        "binary garbage",
        "garbage.csv",
        lambda: garbage(4000),
        FileFormatError,
        ("garbage.csv holds binary data", "upload a CSV, Excel or Parquet file"),
    ),
    Case(
        "binary garbage without control bytes",
        "noise.csv",
        lambda: garbage(4000, low=128),
        FileFormatError,
        ("noise.csv holds binary data",),
    ),
    Case(
        "values and no header",
        "nohead.csv",
        lambda: text(*GOOD, header=GOOD[0]).encode(),
        FileFormatError,
        ("nohead.csv has no header row", "add a first line naming the columns"),
    ),
    Case(
        "archive with no table",
        "export.zip",
        lambda: zipped({"photo.png": b"\x89PNG\r\n", "notes/readme.md": b"hello"}),
        FileFormatError,
        ("export.zip holds no table (found: photo.png, notes/readme.md)",),
    ),
    Case(
        "empty archive",
        "empty.zip",
        lambda: zipped({}),
        FileFormatError,
        ("empty.zip is an empty zip archive",),
    ),
    Case(
        "truncated gzip",
        "sales.csv.gz",
        lambda: gzip.compress(csv_bytes(*GOOD))[:-12],
        FileFormatError,
        ("sales.csv.gz is a damaged or truncated gzip file",),
    ),
    Case(
        "gzip inside gzip 400 times",
        "deep.csv.gz",
        lambda: nested_gzip(400),
        FileFormatError,
        ("deep.csv.gz is packed more than 3 times over", "unpack it"),
    ),
    Case(
        "truncated workbook",
        "sales.xlsx",
        lambda: good_workbook()[:3000],
        FileFormatError,
        ("sales.xlsx is a damaged or truncated zip file",),
    ),
    Case(
        "workbook with a header only",
        "empty.xlsx",
        lambda: workbook({"Sheet1": [UCI_COLUMNS]}),
        FileFormatError,
        ("empty.xlsx has a header but no data rows",),
    ),
    Case(
        "truncated parquet",
        "sales.parquet",
        lambda: good_parquet()[:-100],
        FileFormatError,
        ("sales.parquet is not a readable Parquet file",),
    ),
    Case(
        "parquet with no rows",
        "none.parquet",
        lambda: parquet(
            pa.Table.from_pandas(pd.DataFrame({c: pd.Series([], dtype=str) for c in UCI_COLUMNS}))
        ),
        FileFormatError,
        ("none.parquet has a header but no data rows",),
    ),
    Case(
        "every line ragged",
        "ragged.csv",
        lambda: csv_bytes("1001,A1", "1002,B2,JUG"),
        FileFormatError,
        ("ragged.csv has no readable data rows: 2 line(s)", "'1001,A1'", "check the delimiter"),
    ),
    Case(
        "unbalanced quote",
        "quotes.csv",
        lambda: csv_bytes('1001,A1,"MUG,2,2011-03-01 10:00,1.50,c1,UK'),
        FileFormatError,
        ("quotes.csv has no readable data rows: 1 line(s)", "quotes"),
    ),
    Case(
        "UTF-16 mark on bytes that are not UTF-16",
        "broken16.csv",
        lambda: codecs.BOM_UTF16_LE + text(*GOOD).encode("utf-16-le") + b"\x00\xdc",
        FileFormatError,
        ("broken16.csv looks like UTF-16 text but has bytes that are not UTF-16", "UTF-8"),
    ),
    Case(
        "no customer column",
        "bad.csv",
        lambda: b"Invoice,When\n1,2024-01-01\n",
        ColumnError,
        ("bad.csv has no column for the customer id", "--column customer_id=NAME"),
    ),
    Case(
        "a column name of one megabyte",
        "longname.csv",
        lambda: csv_bytes(*GOOD, header=UCI.replace("InvoiceDate", "D" * 1_000_000)),
        ColumnError,
        ("longname.csv has no column for the invoice date", "'DDDDD", "…'"),
    ),
    Case(
        "no date readable",
        "dates.csv",
        lambda: amounts("1,k1,soon,5", "2,k2,later,6", "3,k1,never,7", "4,k3,someday,8"),
        ColumnError,
        (
            "Column 'Order Date' (invoice date) of dates.csv holds text, not a date",
            "'soon' on line 2",
        ),
    ),
    Case(
        "quantities in words",
        "words.csv",
        lambda: csv_bytes(
            "1001,A1,MUG,two,2011-03-01 10:00,1.50,c1,UK",
            "1002,B2,JUG,one,2011-03-02 11:00,4.00,c2,UK",
            "1003,A1,MUG,three,2011-03-03 12:00,1.50,c1,UK",
        ),
        ColumnError,
        ("Column 'Quantity' (quantity) of words.csv holds text, not a number", "'two' on line 2"),
    ),
    Case(
        "zip bomb",
        "bomb.zip",
        zip_bomb,
        FileFormatError,
        ("sales.csv in bomb.zip expands to more than 2,048 MB",),
    ),
    Case(
        "workbook part that is a zip bomb",
        "bomb.xlsx",
        workbook_with_a_bomb,
        FileFormatError,
        ("bomb.xlsx expands to more than 2,048 MB",),
    ),
    Case(
        "XML bomb in a workbook",
        "laughs.xlsx",
        xml_bomb,
        FileFormatError,
        ("laughs.xlsx declares XML entities", "save it again from Excel"),
    ),
    Case(
        "workbook with a value in its last cell",
        "far.xlsx",
        lambda: workbook(
            {"Sales": [UCI_COLUMNS, *(cells(line) for line in GOOD)]}, (1048575, 16383)
        ),
        FileFormatError,
        ("A sheet of far.xlsx has cells as far as XFD1048576", "delete what lies beyond the table"),
    ),
    # ---- refused by cleaning
    Case(
        "every row cancelled",
        "cancelled.csv",
        lambda: csv_bytes(
            "C1001,A1,MUG,-2,2011-03-01 10:00,1.50,c1,UK",
            "C1002,B2,JUG,-1,2011-03-02 11:00,4.00,c2,UK",
            "C1003,A1,MUG,-3,2011-03-03 12:00,1.50,c1,UK",
            "C1004,C3,BOWL,-5,2011-03-04 13:00,2.00,c3,UK",
        ),
        CleaningError,
        ("Cleaning removed all 4 rows", "'Cancellations' removed the last 4", "switch it off"),
        stage="clean",
    ),
    Case(
        "no customer ids",
        "guests.csv",
        lambda: csv_bytes(
            "1001,A1,MUG,2,2011-03-01 10:00,1.50,,UK",
            "1002,B2,JUG,1,2011-03-02 11:00,4.00,,UK",
            "1003,A1,MUG,3,2011-03-03 12:00,1.50,,UK",
            "1004,C3,BOWL,5,2011-03-04 13:00,2.00,,UK",
        ),
        CleaningError,
        ("Cleaning removed all 4 rows", "'Missing customer id' removed the last 4"),
        stage="clean",
    ),
    Case(
        "every price zero or negative",
        "free.csv",
        lambda: csv_bytes(
            "1001,A1,MUG,2,2011-03-01 10:00,0,c1,UK",
            "1002,B2,JUG,1,2011-03-02 11:00,-4.00,c2,UK",
            "1003,A1,MUG,3,2011-03-03 12:00,0.00,c1,UK",
            "1004,C3,BOWL,5,2011-03-04 13:00,0,c3,UK",
        ),
        CleaningError,
        ("Cleaning removed all 4 rows", "'Price zero or below' removed the last 4"),
        stage="clean",
    ),
    # ---- loaded, then refused by the segmentation
    Case(
        "one customer",
        "one.csv",
        lambda: csv_bytes(
            *(line.replace(",c2,", ",c1,").replace(",c3,", ",c1,") for line in GOOD[:3])
        ),
        ModelError,
        ("A single customer cannot be split into clusters",),
        stage="segment",
        rows_read=3,
        rows_out=3,
        customers=1,
        check=check_one_customer,
        command=("segment",),
    ),
    Case(
        "fewer customers than k",
        "three.csv",
        lambda: csv_bytes(*GOOD),
        ModelError,
        ("5 clusters are too many for 3 customers", "allow at most 2", "choose a smaller k"),
        stage="segment",
        rows_read=4,
        rows_out=4,
        customers=3,
        command=("segment", "--k", "5"),
    ),
    Case(
        "identical customers",
        "same.csv",
        lambda: csv_bytes(
            *(f"100{i},A1,MUG,2,2011-03-01 10:00,1.50,c{i},France" for i in range(1, 5))
        ),
        ModelError,
        ("The 4 customers cannot be split into clusters", "at least 2 different values"),
        stage="segment",
        rows_read=4,
        rows_out=4,
        customers=4,
        check=check_identical,
        command=("segment",),
    ),
    # ---- loaded, with the figures worked out by hand
    Case(
        "blank lines before the header and between rows",
        "gappy.csv",
        lambda: ("\n  \n" + text(*GOOD).replace("\n", "\n\n", 2)).encode(),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_blank_lines,
    ),
    Case(
        "old Mac line ends",
        "mac.csv",
        lambda: text(*GOOD, end="\r").encode(),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_old_mac,
    ),
    Case(
        "workbook renamed .csv",
        "sales.csv",
        good_workbook,
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_workbook,
    ),
    Case(
        "workbook whose first sheet is a cover page",
        "cover.xlsx",
        lambda: workbook(
            {
                "Read me": [["Sales export, March 2011"], ["made by the shop system"]],
                "Sales": [UCI_COLUMNS, *(cells(line) for line in GOOD)],
            }
        ),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_cover_sheet,
    ),
    Case(
        "ragged rows",
        "ragged.csv",
        lambda: csv_bytes(
            *GOOD[:2], "1005,A1,MUG", *GOOD[2:], "1006,A1,MUG,1,2011-03-06,1,c9,UK,x,y"
        ),
        rows_read=4,
        skipped=2,
        rows_out=4,
        customers=3,
        check=check_ragged,
    ),
    Case(
        "duplicate column names",
        "twice.csv",
        lambda: csv_bytes(
            *(line.rsplit(",", 1)[0] + ",zz" for line in GOOD),
            header=UCI.replace("Country", "CustomerID"),
        ),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_duplicate_headers,
    ),
    Case(
        "a line break inside a column name",
        "break.csv",
        lambda: csv_bytes(
            "1,c1,2011-03-01,unknown",
            "2,c1,2011-03-02,3",
            "3,c2,2011-03-03,4",
            header='Invoice,"Customer\nID",Date,Amount',
        ),
        rows_read=3,
        rows_out=2,
        customers=2,
        check=check_line_break_in_header,
    ),
    Case(
        "a cell of one megabyte",
        "big.csv",
        lambda: csv_bytes(GOOD[0].replace("MUG", "X" * 1_000_000), *GOOD[1:]),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_one_megabyte_cell,
    ),
    Case(
        "100,000 columns",
        "wide.csv",
        lambda: csv_bytes(GOOD[0] + WIDE_FILL, GOOD[1] + WIDE_FILL, header=WIDE_HEADER),
        rows_read=2,
        rows_out=2,
        customers=2,
        check=check_wide,
    ),
    Case(
        "UTF-8 with a byte-order mark",
        "bom.csv",
        lambda: codecs.BOM_UTF8 + _utf8_table().encode(),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_encoding("UTF-8 with BOM"),
    ),
    Case(
        "UTF-16",
        "utf16.csv",
        lambda: _utf8_table().encode("utf-16"),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_encoding("UTF-16"),
    ),
    Case(
        "UTF-16 without a byte-order mark",
        "utf16le.csv",
        lambda: _utf8_table().encode("utf-16-le"),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_encoding("UTF-16 (no byte-order mark)"),
    ),
    Case(
        "Windows-1252",
        "cp1252.csv",
        lambda: _utf8_table().encode("cp1252"),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_encoding("Windows-1252"),
    ),
    Case(
        "semicolons and decimal commas",
        "semicolon.csv",
        lambda: (
            text(*GOOD, header=UCI)
            .replace(",", ";")
            .replace("1.50", "1,50")
            .replace("4.00", "4,00")
            .replace("2.00", "2,00")
            .encode()
        ),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_decimal_commas,
    ),
    Case(
        "tabs",
        "sales.tsv",
        lambda: text(*GOOD).replace(",", "\t").encode(),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_delimiter("tab"),
    ),
    Case(
        "pipes",
        "sales.txt",
        lambda: text(*GOOD).replace(",", "|").encode(),
        rows_read=4,
        rows_out=4,
        customers=3,
        check=check_delimiter("pipe"),
    ),
    Case(
        "Excel's sep= line",
        "excel.csv",
        lambda: (
            "sep=;\n" + text(GOOD[0].replace(",2,", ",x,"), *GOOD[1:]).replace(",", ";")
        ).encode(),
        rows_read=4,
        rows_out=3,
        customers=3,
        check=check_sep_line,
    ),
    Case(
        "thousands separators and currency signs",
        "thousands.csv",
        lambda: amounts(
            '1,k1,2011-03-01,"1,234.50"', '2,k2,2011-03-02,"£1,000.00"', '3,k1,2011-03-03,"2,000"'
        ),
        rows_read=3,
        rows_out=3,
        customers=2,
        check=check_thousands,
    ),
    Case(
        "decimal commas with thousands dots",
        "european.csv",
        lambda: amounts(
            '1,k1,2011-03-01,"1.234,50"', '2,k2,2011-03-02,"2,5"', "3,k1,2011-03-03,10"
        ),
        rows_read=3,
        rows_out=3,
        customers=2,
        check=check_decimal_comma_and_dots,
    ),
    Case(
        "dates in three formats",
        "dates3.csv",
        lambda: amounts("1,k1,2011-03-01 10:00,5", "2,k2,13/03/2011 09:30,6", "3,k1,20110315,7"),
        rows_read=3,
        rows_out=3,
        customers=2,
        check=check_three_date_formats,
    ),
    Case(
        "some dates unreadable",
        "somedates.csv",
        lambda: amounts(
            "1,k1,yesterday,5", "2,k2,2011-02-30,6", "3,k1,2011-03-03,7", "4,k3,2011-03-04,8"
        ),
        rows_read=4,
        rows_out=2,
        customers=2,
        check=check_unreadable_dates,
    ),
    Case(
        "dates in the future and before 1990",
        "timewarp.csv",
        lambda: csv_bytes(
            GOOD[1].replace("2011-03-02 11:00", "2099-06-01 10:00"),
            GOOD[0],
            GOOD[2].replace("2011-03-03 12:00", "1985-06-01 10:00"),
            GOOD[3],
            GOOD[2].replace("2011-03-03 12:00", "1970-01-01 00:00"),
            GOOD[1],
        ),
        rows_read=6,
        rows_out=3,
        customers=3,
        check=check_dates_out_of_range,
    ),
    Case(
        "numbers written as text",
        "numtext.csv",
        lambda: csv_bytes(
            '1001,A1,MUG,"7",2011-03-01 10:00,£2.50,c1,UK',
            '1002,B2,JUG," 3 ",2011-03-02 11:00,$4.00,c2,UK',
            "1003,A1,MUG,six,2011-03-03 12:00,1.50,c1,UK",
            "1004,C3,BOWL,5,2011-03-04 13:00,2.00,c3,UK",
        ),
        rows_read=4,
        rows_out=3,
        customers=3,
        check=check_numbers_as_text,
    ),
    Case(
        "negative and zero prices",
        "prices.csv",
        lambda: csv_bytes(
            GOOD[0].replace(",1.50,", ",-2.00,"), GOOD[1].replace(",4.00,", ",0,"), *GOOD[2:]
        ),
        rows_read=4,
        rows_out=2,
        customers=2,
        check=check_prices,
    ),
    Case(
        "NaN and infinity",
        "nan.csv",
        lambda: csv_bytes(
            GOOD[0].replace(",2,", ",NaN,"),
            GOOD[1].replace(",1,", ",inf,"),
            GOOD[2].replace(",1.50,", ",Infinity,"),
            GOOD[2].replace(",1.50,", ",-inf,"),
            GOOD[3],
        ),
        rows_read=5,
        rows_out=1,
        customers=1,
        check=check_nan_and_infinity,
    ),
]
BY_ID = {case.id: case for case in CASES}
assert len(BY_ID) == len(CASES) >= 40


def assert_one_sentence(message: str, case: Case) -> None:
    """One line, words of the case, no exception names or traceback, a bounded length."""
    for word in case.words:
        assert word in message, (word, message)
    assert "\n" not in message and "\r" not in message
    assert message.endswith("."), message
    assert not re.search(r"Traceback|Error\b|Exception\b|File \"", message), message
    assert len(message) < 500, len(message)


def library(case: Case) -> Loaded:
    transactions = load_transactions(case.data(), name=case.name)
    cleaned = clean_transactions(transactions)
    return Loaded(transactions, cleaned, customer_table(cleaned))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_library(case: Case) -> None:
    if case.error and case.stage != "segment":
        with pytest.raises(case.error) as caught:
            library(case)
        assert_one_sentence(str(caught.value), case)
        return
    loaded = library(case)
    assert loaded.report.rows_read == case.rows_read
    assert loaded.report.skipped_lines == case.skipped
    assert loaded.cleaned.report.rows_out == case.rows_out
    assert len(loaded.customers.customers) == case.customers
    if case.check:
        case.check(loaded)
    if case.stage == "segment":
        k = int(case.command[-1]) if "--k" in case.command else "auto"
        with pytest.raises(case.error) as caught:
            segment_customers(loaded.customers.customers, k=k)
        assert_one_sentence(str(caught.value), case)


@pytest.mark.filterwarnings("error::UserWarning", "error::RuntimeWarning")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_command_line(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / case.name
    source.write_bytes(case.data())
    out = tmp_path / "out"
    command, *options = case.command
    status = main([command, str(source), "--output-dir", str(out), *options])
    captured = capsys.readouterr()
    assert captured.out == ""
    if case.error:
        assert status == 2
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
        assert_one_sentence(lines[0].removeprefix("error: "), case)
        assert not (out / "customers.csv").exists()
        return
    assert (status, captured.err) == (0, "")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows_in"] == case.rows_read + case.skipped
    assert summary["rows_out"] == case.rows_out
    assert summary["customers"] == case.customers
    assert len(pd.read_csv(out / "customers.csv")) == case.customers


SUBPROCESS_CASES = [
    "binary garbage",
    "no customer column",
    "workbook with a value in its last cell",
    "semicolons and decimal commas",
]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_a_real_process(case_id: str, tmp_path: Path) -> None:
    """Nothing but the one line leaks from a real process: no warning, no traceback, no crash."""
    case = BY_ID[case_id]
    source = tmp_path / case.name
    source.write_bytes(case.data())
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "segmentation",
            "features",
            str(source),
            "--output-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.stdout == ""
    if case.error:
        assert result.returncode == 2
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert_one_sentence(lines[0].removeprefix("error: "), case)
    else:
        assert (result.returncode, result.stderr) == (0, "")


APP_CASES = [
    "empty",
    "binary garbage",
    "archive with no table",
    "truncated parquet",
    "unbalanced quote",
    "UTF-16 mark on bytes that are not UTF-16",
    "a column name of one megabyte",
    "every row cancelled",
    "gzip inside gzip 400 times",
    "zip bomb",
    "XML bomb in a workbook",
    "workbook with a value in its last cell",
]


def rows_read_shown(at) -> str:
    return at.dataframe[0].value.set_index("File").loc["Rows read", "Read as"]


@pytest.mark.parametrize("case_id", APP_CASES)
def test_app_upload(case_id: str) -> None:
    """The uploader shows the sentence and keeps the data loaded before (the demo)."""
    case = BY_ID[case_id]
    at = open_app("pages/data/data.py")
    demo_rows = rows_read_shown(at)
    at.file_uploader(key="uploader").set_value((case.name, case.data(), "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in at.error]
    assert len(shown) == 1, shown
    assert_one_sentence(shown[0], case)
    assert at.radio(key="source_choice").value == "demo"
    assert rows_read_shown(at) == demo_rows


def test_dates_out_of_range_are_named_as_such() -> None:
    """A date before 1990 or in the future is read, so the note and the refusal say why it
    is not used rather than that it could not be read."""
    loaded = library(BY_ID["dates in the future and before 1990"])
    loaded.note(
        "3 date(s) of 'InvoiceDate' lie before 1990 or in the future "
        "(e.g. '2099-06-01 10:00' on line 2); the cleaning step for unreadable values removes them."
    )
    old = csv_bytes(*(line.replace("2011-", "1985-") for line in GOOD))
    with pytest.raises(ColumnError) as caught:
        load_transactions(old, name="old.csv")
    assert str(caught.value) == (
        "Column 'InvoiceDate' (invoice date) of old.csv has few dates between 1990 and today: "
        "4 of 4 lie outside, e.g. '1985-03-01 10:00' on line 2; check the column or the dates."
    )
