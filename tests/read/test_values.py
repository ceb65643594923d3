"""Values: dates in every format, numbers with separators, and what cannot be read."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from segmentation.errors import ColumnError
from segmentation.read.loading import load_transactions
from tests.samples import RETAIL_ROWS as ROWS
from tests.samples import retail_csv


@pytest.mark.parametrize(
    ("values", "expected", "note"),
    [
        (
            ["2011-01-02 10:00", "2011-12-09T12:50:00"],
            ["2011-01-02 10:00", "2011-12-09 12:50"],
            None,
        ),
        (["13/01/2011 10:00", "02/03/2011 09:05"], ["2011-01-13 10:00", "2011-03-02 09:05"], "day"),
        (["1/13/2011 10:00", "2/3/2011 9:05"], ["2011-01-13 10:00", "2011-02-03 09:05"], "month"),
        (["1/2/2011", "2/3/2011"], ["2011-01-02", "2011-02-03"], "no day above 12"),
        (["1/2/11 3:04 PM", "2/3/11 11:00 AM"], ["2011-01-02 15:04", "2011-02-03 11:00"], "month"),
        ([20110102, 20111209], ["2011-01-02", "2011-12-09"], "YYYYMMDD"),
        ([40545.5, 40886.0], ["2011-01-02 12:00", "2011-12-09"], "Excel"),
    ],
)
def test_date_formats(values, expected, note):
    frame = pd.DataFrame({"customer": ["A", "B"], "date": values, "amount": [1.0, 2.0]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    loaded = load_transactions(buffer.getvalue(), name="d.parquet")
    assert loaded.data["invoice_date"].tolist() == [pd.Timestamp(v) for v in expected]
    if note:
        assert note in (loaded.report.date_format or "")


def test_decimal_commas_and_thousands_separators():
    semicolon = "Order;Client;Date;Qty;Price\n1;7;2024-01-05;2;1.234,50\n2;8;2024-01-06;1;0,99\n"
    loaded = load_transactions(semicolon.encode(), name="eu.csv")
    assert loaded.data["unit_price"].tolist() == [1234.5, 0.99]
    comma = 'Order,Client,Date,Qty,Price\n1,7,2024-01-05,2,"£1,234.50"\n2,8,2024-01-06,1,$0.99\n'
    assert load_transactions(comma.encode(), name="en.csv").data["unit_price"].tolist() == [
        1234.5,
        0.99,
    ]


def test_unreadable_values_are_counted_not_dropped():
    rows = [*ROWS, ("536367", "X", "Y", "lots", "not a date", "abc", 1, "UK")]
    loaded = load_transactions(retail_csv(rows), name="dirty.csv")
    assert len(loaded.data) == 4
    assert loaded.report.unreadable == {"quantity": 1, "invoice_date": 1, "unit_price": 1}
    assert any("'lots' on line 5" in note for note in loaded.report.notes)


def test_all_dates_unreadable():
    rows = [(r[0], r[1], r[2], r[3], "soon", r[5], r[6], r[7]) for r in ROWS]
    with pytest.raises(ColumnError, match=r"'InvoiceDate' \(invoice date\) of x\.csv holds text"):
        load_transactions(retail_csv(rows), name="x.csv")


def test_numeric_column_with_text():
    rows = [(r[0], r[1], r[2], "many", r[4], r[5], r[6], r[7]) for r in ROWS]
    with pytest.raises(
        ColumnError, match=r"'Quantity' \(quantity\) of x\.csv holds text, not a number"
    ):
        load_transactions(retail_csv(rows), name="x.csv")


def test_infinite_and_absurd_numbers_are_unreadable():
    rows = [*ROWS, (*ROWS[0][:5], "inf", *ROWS[0][6:]), (*ROWS[0][:3], "1e300", *ROWS[0][4:])]
    loaded = load_transactions(retail_csv(rows), name="odd.csv")
    assert loaded.report.unreadable == {"quantity": 1, "unit_price": 1}
    assert loaded.data["unit_price"].isna().sum() == 1
    assert loaded.data["quantity"].isna().sum() == 1
