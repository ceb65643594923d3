"""Transactions read by the engine itself: Parquet scans, warehouse tables, other engines."""

from __future__ import annotations

from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segmentation.cli import main
from segmentation.errors import DataError, FileFormatError
from segmentation.explore.exploration import missing_values, monthly_activity
from segmentation.read.loading import Transactions, load_transactions
from segmentation.read.scanning import (
    EngineTransactions,
    NeedsParsing,
    arrow_transactions,
    scan_parquet,
)
from segmentation.transactions.cleaning import CleaningOptions, clean_transactions
from segmentation.transactions.features import customer_table
from segmentation.transactions.pipeline import read_transactions, run_features
from tests.samples import DEMO

#: Six lines: two customers, a cancellation, a duplicate, a guest line and a free sample.
LINES = pa.table(
    {
        "InvoiceNo": ["536365", "536365", "536365", "C536379", "536400", "536401"],
        "StockCode": ["85123A", "22633", "85123A", "22633", "22633", "POST"],
        "Description": ["HEART", "WARMER", "HEART", "WARMER", "WARMER", "POSTAGE"],
        "Quantity": pa.array([6, 2, 6, -2, 1, 1], pa.int64()),
        "InvoiceDate": pa.array(
            pd.to_datetime(
                [
                    "2011-01-03 08:26",
                    "2011-01-03 08:26",
                    "2011-01-03 08:26",
                    "2011-01-05 09:00",
                    "2011-01-10 10:00",
                    "2011-01-09 11:00",
                ]
            ),
            pa.timestamp("ns"),
        ),
        "UnitPrice": [2.5, 1.5, 2.5, 1.5, 1.5, 0.0],
        "CustomerID": [17850.0, 17850.0, 17850.0, 17850.0, None, 12346.0],
        "Country": ["United Kingdom", "United Kingdom", "United Kingdom", "France", "", " France "],
    }
)


def _write(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path)
    return path


@pytest.fixture
def lines_path(tmp_path: Path) -> Path:
    return _write(LINES, tmp_path / "lines.parquet")


def test_scan_reads_the_file_in_the_engine(lines_path: Path) -> None:
    scanned = scan_parquet(lines_path)
    assert isinstance(scanned, EngineTransactions)
    assert scanned.report.rows_read == 6
    assert scanned.report.layout == "UCI Online Retail"
    frame = scanned.backend.to_pandas(scanned.table.order_by("_row"))
    assert frame["_row"].tolist() == [0, 1, 2, 3, 4, 5]
    # whole-number float ids stay whole numbers; missing stays missing; countries trimmed
    assert frame["customer_id"].tolist()[:4] == [17850] * 4
    assert pd.isna(frame["customer_id"][4])
    assert pd.isna(frame["country"][4])
    assert frame["country"][5] == "France"


def test_scan_cleans_and_aggregates_like_the_loader(lines_path: Path) -> None:
    scanned = clean_transactions(scan_parquet(lines_path))
    loaded = clean_transactions(load_transactions(lines_path))
    assert scanned.report.to_dict() == loaded.report.to_dict()
    removed = {s.name: s.rows_removed for s in scanned.report.steps}
    # by hand: line 5 is a guest, line 3 repeats line 1, line 4 is a cancellation,
    # line 6 is free: two lines of customer 17850 are left
    assert removed["missing_customer_id"] == 1
    assert removed["duplicates"] == 1
    assert removed["cancellations"] == 1
    assert removed["non_positive_price"] == 1
    assert scanned.report.rows_out == 2
    assert scanned.report.revenue_out == pytest.approx(6 * 2.5 + 2 * 1.5)
    for mine, theirs in zip(scanned.report.steps, loaded.report.steps, strict=True):
        pd.testing.assert_frame_equal(mine.examples, theirs.examples, check_dtype=False)
    duplicate = scanned.report.steps[3].examples
    assert duplicate["row"].tolist() == [2]
    assert duplicate["customer_id"].tolist() == ["17850"]
    customers = customer_table(scanned).customers
    pd.testing.assert_frame_equal(customers, customer_table(loaded).customers)
    assert customers["customer_id"].tolist() == ["17850"]
    assert customers["frequency"].tolist() == [1]
    assert customers["monetary"].tolist() == [18.0]


def test_ids_keep_their_identity(tmp_path: Path) -> None:
    table = pa.table(
        {
            "order_id": [" 0001 ", "0002", "17.0"],
            "customer": pa.array([12.5, 13.0, None]),
            "order_date": pa.array(pd.to_datetime(["2020-01-01"] * 3), pa.timestamp("us")),
            "amount": [10.0, 20.0, 30.0],
        }
    )
    scanned = scan_parquet(_write(table, tmp_path / "ids.parquet"))
    frame = scanned.backend.to_pandas(scanned.table.order_by("_row"))
    assert frame["invoice_no"].tolist() == ["0001", "0002", "17"]
    # a column holding a fraction is text throughout, as the loader writes it
    assert frame["customer_id"].tolist()[:2] == ["12.5", "13.0"]
    loaded = load_transactions(tmp_path / "ids.parquet").data
    assert loaded["customer_id"].tolist()[:2] == ["12.5", "13.0"]


def test_blank_text_is_missing_as_the_loader_has_it(tmp_path: Path) -> None:
    table = pa.table(
        {
            "order_id": ["1", "2", "3"],
            "customer": ["  ", "c1", " c2"],
            "country": ["   ", "UK", "UK"],
            "order_date": pa.array(pd.to_datetime(["2020-01-01"] * 3), pa.timestamp("us")),
            "amount": [10.0, 20.0, 30.0],
        }
    )
    path = _write(table, tmp_path / "blank.parquet")
    scanned = scan_parquet(path)
    frame = scanned.backend.to_pandas(scanned.table.order_by("_row"))
    assert frame["customer_id"].isna().tolist() == [True, False, False]
    assert frame["country"].isna().tolist() == [True, False, False]
    assert frame["customer_id"].tolist()[1:] == ["c1", "c2"]
    cleaned = clean_transactions(scanned)
    assert cleaned.report.to_dict() == clean_transactions(load_transactions(path)).report.to_dict()


def test_values_that_cannot_be_real_are_counted(tmp_path: Path) -> None:
    table = LINES.set_column(5, "UnitPrice", pa.array([2.5, np.inf, 1e13, 1.5, np.nan, 1.0]))
    scanned = scan_parquet(_write(table, tmp_path / "bad.parquet"))
    # inf and 1e13 are unreadable; NaN is missing, as in the loader
    assert scanned.report.unreadable == {"unit_price": 2}
    assert "2 value(s) of 'UnitPrice'" in " ".join(scanned.report.notes)
    cleaned = clean_transactions(scanned)
    invalid = {s.name: s.rows_removed for s in cleaned.report.steps}["invalid_values"]
    assert invalid == 3


def test_text_dates_are_left_to_the_loader(tmp_path: Path) -> None:
    dates = pa.array(["1/3/2011 8:26"] * 6)
    path = _write(LINES.set_column(4, "InvoiceDate", dates), tmp_path / "text.parquet")
    with pytest.raises(NeedsParsing, match=r"'InvoiceDate' .* holds text, not dates"):
        scan_parquet(path)
    read = read_transactions(path)
    assert isinstance(read, Transactions)
    assert run_features(path).summary()["customers"] == 1


def test_orders_without_an_invoice_column_are_customer_days(tmp_path: Path) -> None:
    path = _write(LINES.drop_columns(["InvoiceNo"]), tmp_path / "no_invoice.parquet")
    scanned = run_features(path)
    loaded = run_features(load_transactions(path))
    assert isinstance(scanned.transactions, EngineTransactions)
    pd.testing.assert_frame_equal(scanned.customers, loaded.customers)
    # the cancellation (negative quantity) and the purchases of 17850 are on two days
    assert scanned.cleaned.report.to_dict() == loaded.cleaned.report.to_dict()


def test_a_truncated_file_gets_one_sentence(lines_path: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(lines_path.read_bytes()[:-30])
    with pytest.raises(FileFormatError, match=r"broken\.parquet is not a readable Parquet"):
        scan_parquet(broken)


def test_an_uploaded_parquet_is_read_without_a_copy(lines_path: Path) -> None:
    scanned = arrow_transactions(LINES, name="upload.parquet")
    assert scanned.report.source == "upload.parquet"
    assert clean_transactions(scanned).report.rows_out == 2
    uploaded = run_features(lines_path.read_bytes(), name="upload.parquet")
    assert isinstance(uploaded.transactions, EngineTransactions)
    from_path = run_features(lines_path)
    pd.testing.assert_frame_equal(uploaded.customers, from_path.customers)
    assert uploaded.preview(2)["customer_id"].tolist() == ["17850", "17850"]
    missing = uploaded.transactions_table()
    assert "_row" not in missing.columns


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    """A DuckDB database file holding the demo transactions as table ``sales``."""
    url = f"duckdb://{tmp_path / 'warehouse.duckdb'}"
    backend = ibis.connect(url)
    backend.create_table("sales", obj=ibis.memtable(load_transactions(DEMO).data))
    backend.disconnect()
    return url


def test_a_warehouse_table_gives_the_figures_of_the_file(warehouse: str) -> None:
    from_table = run_features(None, engine=warehouse, table="sales")
    from_file = run_features(DEMO)
    assert from_table.transactions.report.format == "table"
    assert from_table.cleaned.report.to_dict() == from_file.cleaned.report.to_dict()
    pd.testing.assert_frame_equal(from_table.customers, from_file.customers)


def test_a_file_can_be_cleaned_in_another_engine(warehouse: str) -> None:
    elsewhere = run_features(DEMO, engine=warehouse)
    assert isinstance(elsewhere.transactions, EngineTransactions)
    assert elsewhere.cleaned.backend.name == "duckdb"
    pd.testing.assert_frame_equal(elsewhere.customers, run_features(DEMO).customers)


def test_engine_mistakes_get_one_sentence(warehouse: str) -> None:
    with pytest.raises(DataError, match="no table named 'orders'"):
        run_features(None, engine=warehouse, table="orders")
    with pytest.raises(DataError, match=r"Cannot connect to the engine 'nosuch://\.\.\.'"):
        run_features(None, engine="nosuch://user:secret@host/db", table="sales")
    with pytest.raises(DataError, match="either a file or a table"):
        run_features(None)


def test_the_command_line_reads_a_warehouse_table(
    warehouse: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert (
        main(["features", "--engine", warehouse, "--table", "sales", "--output-dir", str(out)]) == 0
    )
    customers = pd.read_csv(out / "customers.csv", dtype={"customer_id": str})
    assert len(customers) == len(run_features(DEMO).customers)
    assert main(["features", str(DEMO), "--table", "sales", "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Give either a file or a table")


def test_the_app_views_are_the_same_from_the_engine(lines_path: Path) -> None:
    scanned = run_features(lines_path)
    loaded = run_features(load_transactions(lines_path))
    mine = missing_values(scanned.transactions_table())
    pd.testing.assert_frame_equal(mine, missing_values(loaded.transactions_table()))
    # by hand: one missing customer id and one empty country out of six lines
    assert mine.set_index("column")["missing"][["customer_id", "country"]].tolist() == [1, 1]
    pd.testing.assert_series_equal(scanned.line_totals(), loaded.line_totals())
    assert scanned.line_totals().tolist() == [15.0, 3.0]
    months = monthly_activity(scanned.cleaned.table)
    assert months[["revenue", "orders", "customers"]].values.tolist() == [[18.0, 1, 1]]
    pd.testing.assert_frame_equal(scanned.preview(3), loaded.preview(3), check_dtype=False)


def test_dates_out_of_range_count_as_unreadable_as_in_the_loader(tmp_path: Path) -> None:
    when = pd.to_datetime(
        ["2011-01-03", "1970-01-01", "2099-05-01", "2011-01-05", None, "2011-1-9"]
    )
    dates = pa.array(when, pa.timestamp("us"))
    path = _write(LINES.set_column(4, "InvoiceDate", dates), tmp_path / "dates.parquet")
    scanned = scan_parquet(path)
    assert scanned.report.unreadable == {"invoice_date": 2}
    assert "2 value(s) of 'InvoiceDate' lie before 1990 or in the future" in " ".join(
        scanned.report.notes
    )
    loaded = load_transactions(path)
    assert loaded.report.unreadable == {"invoice_date": 2}
    mine, theirs = clean_transactions(scanned), clean_transactions(loaded)
    assert mine.report.to_dict() == theirs.report.to_dict()
    # 1970 and 2099 and the missing date: three invalid lines
    assert {s.name: s.rows_removed for s in mine.report.steps}["invalid_values"] == 3


def test_odd_float_ids_are_text_or_missing(tmp_path: Path) -> None:
    ids = pa.array([np.nan, 17850.0, np.inf, 1e20, 12346.0, 12346.0], pa.float64())
    path = _write(LINES.set_column(6, "CustomerID", ids), tmp_path / "odd_ids.parquet")
    scanned = scan_parquet(path)
    frame = scanned.backend.to_pandas(scanned.table.order_by("_row"))
    # one id too large for a whole number makes the column text, as the loader has it
    assert pd.isna(frame["customer_id"][0])
    assert frame["customer_id"][1] == "17850.0"
    cleaned = clean_transactions(scanned)
    assert {s.name: s.rows_removed for s in cleaned.report.steps}["missing_customer_id"] == 1


def test_integer_stock_codes_and_every_step(tmp_path: Path) -> None:
    codes = pa.array([85123, 22633, 85123, 22633, 22633, 1], pa.int64())
    path = _write(LINES.set_column(1, "StockCode", codes), tmp_path / "int_codes.parquet")
    every = CleaningOptions(net_cancellations=True, non_product=True)
    scanned = clean_transactions(scan_parquet(path), every)
    loaded = clean_transactions(load_transactions(path), every)
    assert scanned.report.to_dict() == loaded.report.to_dict()
    # by hand: the cancellation of 2 x 22633 nets the purchase of line 2
    assert {s.name: s.rows_removed for s in scanned.report.steps}["cancellations"] == 2


def test_an_empty_file_gets_one_sentence(tmp_path: Path) -> None:
    path = _write(LINES.slice(0, 0), tmp_path / "empty.parquet")
    with pytest.raises(FileFormatError, match=r"empty\.parquet has a header but no data rows"):
        run_features(path)


def test_columns_named_like_row_numbers_are_data(tmp_path: Path) -> None:
    numbered = LINES.append_column("file_row_number", pa.array([9, 9, 9, 9, 9, 9]))
    path = _write(numbered.append_column("_row", pa.array(["a"] * 6)), tmp_path / "rows.parquet")
    from_path = run_features(path)
    from_bytes = run_features(path.read_bytes(), name="rows.parquet")
    loaded = run_features(load_transactions(path))
    assert from_path.cleaned.report.to_dict() == loaded.cleaned.report.to_dict()
    assert from_bytes.cleaned.report.to_dict() == loaded.cleaned.report.to_dict()
    assert from_path.cleaned.report.rows_out == 2


def test_an_engine_without_parquet_reading_gets_the_file_from_memory(
    lines_path: Path, tmp_path: Path
) -> None:
    elsewhere = run_features(lines_path, engine=f"sqlite://{tmp_path / 'shop.db'}")
    assert elsewhere.cleaned.backend.name == "sqlite"
    pd.testing.assert_frame_equal(elsewhere.customers, run_features(lines_path).customers)
