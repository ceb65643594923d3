"""Delimited text: whitespace-separated and fixed-width tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.errors import FileFormatError
from segmentation.read import delimited
from segmentation.read.delimited import FIXED_WIDTH, WHITESPACE, read_text
from segmentation.read.loading import load_transactions

#: The CDNOW layout with a header line whose names are not above their columns.
UNALIGNED = (
    " customer_id  date number_of_cds  dollar_value\n"
    " 00001 19970101  1   11.77\n"
    " 00002 19970112  1   12.00\n"
)
WHITESPACE_NOTE = "The columns are separated by runs of white space: the lines split into the "
FIXED_WIDTH_NOTE = "The columns were read by their positions (fixed width): not every line "
#: The CDNOW columns, as given in ../shared/data/README.md.
CDNOW_COLUMNS = "master_id customer_id date number_of_cds dollar_value"
CDNOW_MAPPING = {"customer_id": "customer_id", "invoice_date": "date", "amount": "dollar_value"}


def test_whitespace_separated_text_whose_header_is_not_aligned():
    raw = read_text(UNALIGNED.encode(), "cdnow.txt")
    assert raw.delimiter == "white space"
    assert raw.frame.column_names == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert raw.frame.to_pylist() == [
        {"customer_id": "00001", "date": "19970101", "number_of_cds": "1", "dollar_value": "11.77"},
        {"customer_id": "00002", "date": "19970112", "number_of_cds": "1", "dollar_value": "12.00"},
    ]
    assert raw.notes == [WHITESPACE_NOTE + "header's 4 fields."]
    loaded = load_transactions(UNALIGNED.encode(), name="cdnow.txt", columns=CDNOW_MAPPING)
    assert loaded.data["customer_id"].tolist() == ["00001", "00002"]  # leading zeros kept
    assert loaded.data["amount"].tolist() == [11.77, 12.0]
    assert loaded.data["invoice_date"].tolist() == [
        pd.Timestamp("1997-01-01"),
        pd.Timestamp("1997-01-12"),
    ]
    assert loaded.report.delimiter == "white space"
    assert sum(note.startswith(WHITESPACE_NOTE) for note in loaded.report.notes) == 1


def test_aligned_columns_without_spaces_in_values_read_the_same_as_white_space():
    text = (
        "Invoice    Customer   Date          Amount\n"
        "1001       A17        2024-01-05    12.50\n"
        "1002       B20        2024-02-07    7.25\n"
    )
    loaded = load_transactions(text.encode(), name="report.txt")
    assert loaded.report.delimiter == "white space"
    assert loaded.data["amount"].tolist() == [12.5, 7.25]
    assert loaded.data["customer_id"].tolist() == ["A17", "B20"]


def test_aligned_table_whose_values_hold_single_spaces_stays_fixed_width():
    text = (
        "Invoice  Description      Customer  Date        Amount\n"
        "1001     WHITE HEART      A17       2024-01-05   12.50\n"
        "1002     MUG              B20       2024-02-07    7.25\n"
        "1003     RED RETRO CLOCK  A17       2024-03-01   30.00\n"
    )
    loaded = load_transactions(text.encode(), name="report.txt")
    assert loaded.report.delimiter == "fixed width"
    assert loaded.data["description"].tolist() == ["WHITE HEART", "MUG", "RED RETRO CLOCK"]
    assert loaded.data["amount"].tolist() == [12.5, 7.25, 30.0]
    assert sum(note.startswith(FIXED_WIDTH_NOTE) for note in loaded.report.notes) == 1


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["id  name  amount", "1  Ann  10", "2\tBob 20"], WHITESPACE),
        (["id  name     amount", "1   Ann Lee  10", "2   Bob      20"], FIXED_WIDTH),  # 4 fields
        (["id name amount", "1 Ann 10", "2 Bob"], ","),  # a short line, no column 2 spaces apart
        (["amount", "10", "20"], ","),  # one field
    ],
)
def test_white_space_only_where_every_line_splits_into_the_header_fields(lines, expected):
    assert delimited._sniff_delimiter(lines) == expected


def test_lines_beyond_the_start_with_other_fields_are_skipped(monkeypatch):
    monkeypatch.setattr(delimited, "SNIFF_CHARS", 30)
    text = UNALIGNED + "\n 00003 19970201 2\n 00004 19970301  2  20.00\n"
    raw = read_text(text.encode(), "cdnow.txt")
    assert raw.delimiter == "white space"
    assert raw.frame.column("customer_id").to_pylist() == ["00001", "00002", "00004"]
    assert raw.skipped_lines == 1
    assert raw.skipped_examples == ("00003 19970201 2",)


def test_mapped_columns_of_a_whitespace_file_on_the_command_line(tmp_path: Path):
    path = tmp_path / "purchases.txt"
    path.write_text(
        f"{CDNOW_COLUMNS}\n"
        " 00004 0001 19970101  2   29.33\n"
        " 00004 0001 19970118  2   29.73\n"
        " 00021 0002 19970101  3   63.34\n"
    )
    out = tmp_path / "out"
    columns = [f"--column={canonical}={source}" for canonical, source in CDNOW_MAPPING.items()]
    assert main(["features", str(path), "--output-dir", str(out), *columns]) == 0
    customers = pd.read_csv(out / "customers.csv", dtype={"customer_id": str})
    assert customers["customer_id"].tolist() == ["0001", "0002"]
    assert customers["frequency"].tolist() == [2, 1]
    assert customers["monetary"].tolist() == [29.33 + 29.73, 63.34]
    assert customers["recency"].tolist() == [1, 18]  # snapshot 1997-01-19
    summary = json.loads((out / "summary.json").read_text())
    assert summary["load"]["delimiter"] == "white space"
    assert any(note.startswith(WHITESPACE_NOTE) for note in summary["load"]["notes"])


@pytest.mark.real
def test_cdnow_sample_is_whitespace_separated_without_a_header(cdnow_path: Path):
    data = cdnow_path.read_bytes()
    with pytest.raises(FileFormatError) as error:
        load_transactions(data, name=cdnow_path.name)
    assert str(error.value) == (
        "CDNOW_sample.txt has no header row: its first line holds values "
        "(00004, 0001, 19970101, ...); add a first line naming the columns."
    )
    # With a first line naming the columns it loads: 6,919 lines, 2,357 customers.
    named = f"{CDNOW_COLUMNS}\n".encode() + data
    loaded = load_transactions(named, name=cdnow_path.name, columns=CDNOW_MAPPING)
    assert loaded.report.delimiter == "white space"
    assert loaded.report.rows_read == 6_919
    assert loaded.data["customer_id"].nunique() == 2_357
    assert loaded.data["customer_id"].str.fullmatch(r"\d{4}").all()
