"""Loading end to end: every kind of source, the canonical table, files without invoices."""

from __future__ import annotations

import io

import pandas as pd

from segmentation.read.loading import load_transactions
from tests.samples import RETAIL_ROWS as ROWS
from tests.samples import retail_csv


def test_uci_csv_is_detected_and_converted():
    loaded = load_transactions(retail_csv(ROWS), name="data.csv")
    data, report = loaded.data, loaded.report
    assert report.layout == "UCI Online Retail"
    assert report.guessed == ()
    assert report.format == "delimited text" and report.delimiter == "comma"
    assert list(data["customer_id"]) == ["17850", "17850", "14527"]
    assert list(data["quantity"]) == [6.0, 6.0, -1.0]
    assert data["invoice_date"].iloc[1] == pd.Timestamp("2010-12-13 08:28")
    assert "month first" in report.date_format
    assert report.rows_read == 3


def test_same_data_from_path_bytes_and_file_object(tmp_path):
    content = retail_csv(ROWS)
    path = tmp_path / "sales.csv"
    path.write_bytes(content)
    from_path = load_transactions(path).data
    from_bytes = load_transactions(content, name="sales.csv").data
    upload = io.BytesIO(content)
    upload.name = "sales.csv"
    from_file = load_transactions(upload).data
    pd.testing.assert_frame_equal(from_path, from_bytes)
    pd.testing.assert_frame_equal(from_path, from_file)


def test_amount_only_without_invoice_or_country():
    text = "client,date,revenue\nA,2024-01-05 10:00,10\nA,2024-01-05 16:00,5\nA,2024-01-06,1\n"
    loaded = load_transactions(text.encode(), name="sales.csv")
    data = loaded.data
    assert "country" not in data and "quantity" not in data
    assert data["invoice_no"].nunique() == 2
    assert any("one customer's lines on one date form one order" in n for n in loaded.report.notes)
