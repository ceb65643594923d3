"""Delimited text: a whitespace-aligned table."""

from __future__ import annotations

from segmentation.read.loading import load_transactions


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
