"""Column detection: known layouts, common spellings, explicit mappings, what is required."""

from __future__ import annotations

import pytest

from segmentation.errors import ColumnError
from segmentation.read.loading import load_transactions


def test_online_retail_ii_and_common_spellings():
    text = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    text += "489434,85048,LED LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\n"
    loaded = load_transactions(text.encode(), name="retail_ii.csv")
    assert loaded.report.layout == "UCI Online Retail II"
    assert loaded.data["customer_id"].tolist() == ["13085"]
    shop = "Order ID,order_date,SKU,QTY,Price Each,User ID,Ship Country\n"
    shop += "A-1,2024-03-01,X1,2,9.99,00042,Germany\n"
    loaded = load_transactions(shop.encode(), name="shop.csv")
    assert loaded.report.mapping == {
        "invoice_no": "Order ID",
        "stock_code": "SKU",
        "quantity": "QTY",
        "invoice_date": "order_date",
        "unit_price": "Price Each",
        "customer_id": "User ID",
        "country": "Ship Country",
    }
    assert set(loaded.report.guessed) == set(loaded.report.mapping)
    assert loaded.data["customer_id"].tolist() == ["00042"]


def test_explicit_mapping_overrides_detection():
    text = "who,when,paid,CustomerID\nA,2024-01-05,10,IGNORED\n"
    loaded = load_transactions(
        text.encode(),
        name="x.csv",
        columns={"customer_id": "who", "invoice_date": "when", "amount": "paid"},
    )
    assert loaded.data["customer_id"].tolist() == ["A"]
    assert loaded.report.guessed == ()
    with pytest.raises(ColumnError, match="'client_name' is not a column this tool uses"):
        load_transactions(text.encode(), name="x.csv", columns={"client_name": "who"})
    with pytest.raises(ColumnError, match=r"has no column 'nobody' to use as the customer id"):
        load_transactions(text.encode(), name="x.csv", columns={"customer_id": "nobody"})


def test_required_column_missing_lists_what_was_found():
    with pytest.raises(ColumnError) as caught:
        load_transactions(b"Invoice,When,Amount\n1,2024-01-01,3\n", name="x.csv")
    message = str(caught.value)
    assert "x.csv has no column for the customer id" in message
    assert "'Invoice', 'When', 'Amount'" in message
    assert "--column customer_id=NAME" in message


def test_duplicate_and_blank_header_names():
    text = "CustomerID,Date,Amount,Amount,\nA,2024-01-01,1,2,x\n"
    loaded = load_transactions(text.encode(), name="dup.csv")
    assert loaded.report.mapping["amount"] == "Amount"
    assert set(loaded.report.unmapped) == {"Amount.2", "column_5"}
