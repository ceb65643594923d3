"""Delimited text read by DuckDB: the same transactions, report and errors as the
in-memory reader, from files built here."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from segmentation.errors import ColumnError
from segmentation.read.loading import load_transactions
from segmentation.read.scanning import EngineTransactions, NeedsParsing
from segmentation.read.text_scanning import scan_text
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.features import customer_features
from segmentation.transactions.pipeline import read_transactions

HEADER = "InvoiceNo;StockCode;Description;Quantity;InvoiceDate;UnitPrice;CustomerID;Country"
LINES = [
    "536365;85123A;WHITE HEART;6;12/1/2010 8:26;2.55;17850.0;United Kingdom",
    "536365;85123A;WHITE HEART;6;12/1/2010 8:26;2.55;17850.0;United Kingdom",  # duplicate
    "536366;22633;HAND WARMER;six;12/13/2010 8:28;1.85;17850; United Kingdom ",  # bad quantity
    "536367;22633;HAND WARMER;2;12/14/2010 9:41",  # too few fields
    "C536379;D;Discount;-1;12/14/2010 9:41;27.5;14527;France",
    "536380;22727;ALARM CLOCK;4;1/5/1980 10:00;3.75;14527;France",  # before 1990
    "536381;22727;ALARM CLOCK;3;1/6/2011 10:00;3.75;;France",  # guest
    '536382;"22728";"CLOCK; PINK";2;1/7/2011 11:00;3.75;00042;France',  # quoted, leading zeros
]


def _write(path: Path, lines: list[str], *, before: str = "", encoding: str = "utf-8") -> Path:
    path.write_bytes((before + "\n".join([HEADER, *lines]) + "\n").encode(encoding))
    return path


def _same_as_in_memory(path: Path) -> EngineTransactions:
    """Read ``path`` both ways; check the report, the cleaning and the customers agree."""
    scanned = scan_text(path)
    loaded = load_transactions(path)
    for field in ("rows_read", "mapping", "layout", "delimiter", "date_format"):
        assert getattr(scanned.report, field) == getattr(loaded.report, field), field
    assert scanned.report.skipped_lines == loaded.report.skipped_lines
    assert scanned.report.unreadable == loaded.report.unreadable
    cleaned, reference = clean_transactions(scanned), clean_transactions(loaded)
    assert cleaned.report.to_dict() == reference.report.to_dict()
    for mine, theirs in zip(cleaned.report.steps, reference.report.steps, strict=True):
        dates = {c: "datetime64[ns]" for c in mine.examples.select_dtypes("datetime").columns}
        pd.testing.assert_frame_equal(
            mine.examples.astype(dates), theirs.examples, check_dtype=False
        )
    pd.testing.assert_frame_equal(customer_features(cleaned), customer_features(reference))
    return scanned


def test_a_dirty_file_reads_as_in_memory(tmp_path: Path):
    scanned = _same_as_in_memory(_write(tmp_path / "dirty.csv", LINES, before="\nsep=;\n"))
    report = scanned.report
    assert report.rows_read == 7 and report.skipped_lines == 1
    assert report.skipped_examples == ("536367;22633;HAND WARMER;2;12/14/2010 9:41",)
    assert report.unreadable == {"quantity": 1, "invoice_date": 1}
    assert report.date_format == "month first (as 12/1/2010 8:26)"
    assert any("'six' on line 6" in note for note in report.notes)
    assert any("lie before 1990" in note for note in report.notes)
    customers = customer_features(clean_transactions(scanned))
    # 17850.0 and 17850 are one customer; 00042 keeps its zeros; the padded country is
    # trimmed; 14527 has only a cancellation and a line dated 1980 left
    assert customers["customer_id"].tolist() == ["00042", "17850"]
    assert customers.set_index("customer_id").loc["17850", "country"] == "United Kingdom"


def test_day_first_dates_found_beyond_the_start(tmp_path: Path, monkeypatch):
    # The first lines have no field above 12 (read month first); a later one shows the
    # day comes first, so the whole file is read again day first, as in memory.
    lines = [
        f"5{i:05d};A{i};ITEM;1;{1 + i % 12}/{1 + i % 12}/2011 10:00;2.0;{i % 7};UK"
        for i in range(400)
    ]
    lines.append("600000;B;ITEM;1;25/3/2011 10:00;2.0;1;UK")
    path = _write(tmp_path / "days.csv", lines)
    monkeypatch.setattr("segmentation.read.text_scanning.SAMPLE_BYTES", 2_000)
    scanned = _same_as_in_memory(path)
    assert scanned.report.date_format == "day first (a first field is above 12)"
    dates = scanned.backend.to_pandas(scanned.table.order_by("_row"))["invoice_date"]
    assert dates.iloc[-1] == pd.Timestamp("2011-03-25 10:00")


def test_bytes_beyond_the_start_that_are_not_utf8(tmp_path: Path, monkeypatch):
    lines = [f"5{i:05d};A;ITEM;1;12/1/2010 8:26;2.0;{i % 5};UK" for i in range(300)]
    lines.append("600000;B;GIFT £10;1;12/13/2010 8:26;10.0;1;UK")
    path = _write(tmp_path / "latin.csv", lines, encoding="latin-1")
    monkeypatch.setattr("segmentation.read.text_scanning.SAMPLE_BYTES", 2_000)
    scanned = _same_as_in_memory(path)
    assert scanned.report.encoding == "ISO-8859-1" and scanned.report.skipped_lines == 0
    descriptions = scanned.backend.to_pandas(scanned.table)["description"]
    assert "GIFT £10" in set(descriptions)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("536365;A;ITEM;6;12/1/2010 8:26;£2.55;17850;UK", "numbers"),
        ("536365;A;ITEM;6;40513.35;2.55;17850;UK", "dates"),
        ("536365;A;ITEM;6;2010-12-01T08:26:00+01:00;2.55;17850;UK", "dates"),
    ],
)
def test_values_that_need_the_in_memory_reader(tmp_path: Path, line: str, why: str):
    path = _write(tmp_path / "odd.csv", [line])
    with pytest.raises(NeedsParsing, match=why):
        scan_text(path)
    # read_transactions falls back to the in-memory reader, which reads them
    loaded = read_transactions(path, engine_text_bytes=0)
    assert not isinstance(loaded, EngineTransactions) and loaded.report.rows_read == 1


def test_compressed_text_is_left_to_the_in_memory_reader(tmp_path: Path):
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(_write(tmp_path / "plain.csv", LINES).read_bytes()))
    with pytest.raises(NeedsParsing):
        scan_text(path)
    assert read_transactions(path, engine_text_bytes=0).report.rows_read == 7


def test_whitespace_separated_text_is_left_to_the_in_memory_reader(tmp_path: Path):
    path = tmp_path / "purchases.txt"
    path.write_text(
        " customer_id  date number_of_cds  dollar_value\n"
        " 00001 19970101  1   11.77\n"
        " 00002 19970112  1   12.00\n"
    )
    columns = {"customer_id": "customer_id", "invoice_date": "date", "amount": "dollar_value"}
    with pytest.raises(NeedsParsing, match="white space"):
        scan_text(path, columns=columns)
    loaded = read_transactions(path, columns=columns, engine_text_bytes=0)
    assert not isinstance(loaded, EngineTransactions)
    assert loaded.report.delimiter == "white space" and loaded.report.rows_read == 2


def test_large_files_go_to_the_engine_small_ones_stay_in_memory(tmp_path: Path):
    path = _write(tmp_path / "data.csv", LINES)
    assert isinstance(read_transactions(path, engine_text_bytes=0), EngineTransactions)
    assert not isinstance(read_transactions(path), EngineTransactions)


def test_errors_are_those_of_the_in_memory_reader(tmp_path: Path):
    path = tmp_path / "nodate.csv"
    path.write_text("InvoiceNo,Quantity,UnitPrice,CustomerID\n1,2,3.0,4\n")
    with pytest.raises(ColumnError) as scanned:
        scan_text(path)
    with pytest.raises(ColumnError) as loaded:
        load_transactions(path)
    assert str(scanned.value) == str(loaded.value)
    words = _write(tmp_path / "words.csv", [f"1;A;ITEM;{w};12/1/2010 8:26;2.0;1;UK" for w in "abc"])
    with pytest.raises(ColumnError, match="holds text, not a number"):
        scan_text(words)


def test_words_for_missing_values_and_odd_blanks_read_as_in_memory(tmp_path: Path):
    lines = [
        "1;A;ITEM;2;12/1/2010 8:26;2.5;NULL;UK",  # a guest, as the word NULL
        "2;A;ITEM;NA;12/2/2010 8:26;N/A;17850;UK",  # missing quantity and price
        "3;A;ITEM;1;12/13/2010 8:26;2.5;\t17850;UK\t",  # a tab around id and country
        "4;A;ITEM;1;12/14/2010 8:26;nan;17850;UK",
    ]
    header = HEADER.replace("Country", "country;Country")  # names that differ in case
    path = tmp_path / "odd.csv"
    path.write_text("\n".join([header, *(line + ";X" for line in lines)]) + "\n")
    scanned = _same_as_in_memory(path)
    assert scanned.report.unreadable == {}
    customers = customer_features(clean_transactions(scanned))
    assert customers["customer_id"].tolist() == ["17850"]


@pytest.mark.parametrize(
    "later",
    [
        "9;B;ITEM;1;2010-12-20 10:00;2.0;1;UK",  # ISO dates after slashed ones
        '9;B;ITEM;1;12/20/2010 10:00;"1,234.50";1;UK',  # a thousands separator
        '9;B;"12\\" FRAME";1;12/20/2010 10:00;2.0;1;UK',  # quotes DuckDB reads otherwise
        '9;B;"ab"c;1;12/20/2010 10:00;2.0;1;UK',
    ],
)
def test_forms_beyond_the_start_fall_back_to_the_in_memory_reader(tmp_path, monkeypatch, later):
    lines = [f"5{i:05d};A;ITEM;1;12/{1 + i % 12}/2010 8:26;2.0;{i % 5};UK" for i in range(300)]
    path = _write(tmp_path / "later.csv", [*lines, later])
    monkeypatch.setattr("segmentation.read.text_scanning.SAMPLE_BYTES", 2_000)
    with pytest.raises(NeedsParsing):
        scan_text(path)
    loaded = read_transactions(path, engine_text_bytes=0)
    reference = load_transactions(path)
    assert not isinstance(loaded, EngineTransactions)
    assert loaded.report.to_dict() == reference.report.to_dict()


def test_windows_1252_letters_beyond_the_start_fall_back(tmp_path: Path, monkeypatch):
    lines = [f"5{i:05d};A;ITEM;1;12/1/2010 8:26;2.0;{i % 5};UK" for i in range(300)]
    path = _write(
        tmp_path / "euro.csv",
        [*lines, "9;B;GIFT €10;1;12/13/2010 8:26;2.0;1;UK"],
        encoding="cp1252",
    )
    monkeypatch.setattr("segmentation.read.text_scanning.SAMPLE_BYTES", 2_000)
    with pytest.raises(NeedsParsing):
        scan_text(path)
    assert read_transactions(path, engine_text_bytes=0).report.encoding == "Windows-1252"


def test_a_file_name_is_never_a_pattern(tmp_path: Path):
    _write(tmp_path / "data1.csv", LINES[:1])
    path = _write(tmp_path / "data[1].csv", LINES)
    with pytest.raises(NeedsParsing):
        scan_text(path)
    assert read_transactions(path, engine_text_bytes=0).report.rows_read == 7


def test_only_whole_dates_and_plain_numbers_are_read_by_the_engine(tmp_path: Path):
    lines = [
        "1;A;ITEM;1;2/6/2011 10:00;2.0;1;UK",
        "2;A;ITEM;1;13/1/2011 10:00 x;2.0;1;UK",  # no date: no evidence of the day order
        "3;A;ITEM;1_000;3/4/2011 10:00;2.0;1;UK",  # DuckDB alone reads 1_000 as a number
    ]
    scanned = _same_as_in_memory(_write(tmp_path / "forms.csv", lines))
    assert scanned.report.unreadable == {"quantity": 1, "invoice_date": 1}
    dates = scanned.backend.to_pandas(scanned.table.order_by("_row"))["invoice_date"]
    assert dates.iloc[0] == pd.Timestamp("2011-02-06 10:00")


def test_time_zones_beyond_the_start_fall_back(tmp_path: Path, monkeypatch):
    lines = [f"5{i:05d};A;ITEM;1;2010-12-01 08:26:00;2.0;{i % 5};UK" for i in range(300)]
    path = _write(tmp_path / "zones.csv", [*lines, "9;B;ITEM;1;2010-12-02 08:26:00+05:00;2;1;UK"])
    monkeypatch.setattr("segmentation.read.text_scanning.SAMPLE_BYTES", 2_000)
    with pytest.raises(NeedsParsing):
        scan_text(path)
    loaded = read_transactions(path, engine_text_bytes=0)
    assert loaded.data["invoice_date"].iloc[-1] == pd.Timestamp("2010-12-02 03:26")
