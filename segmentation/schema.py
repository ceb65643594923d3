"""Canonical column names of a transaction table and of the customer table."""

from __future__ import annotations

INVOICE_NO = "invoice_no"
STOCK_CODE = "stock_code"
DESCRIPTION = "description"
QUANTITY = "quantity"
INVOICE_DATE = "invoice_date"
UNIT_PRICE = "unit_price"
CUSTOMER_ID = "customer_id"
COUNTRY = "country"
CATEGORY = "category"
AMOUNT = "amount"
TOTAL_PURCHASE = "total_purchase"

#: Every canonical transaction column, in the order tables are written.
TRANSACTION_COLUMNS: tuple[str, ...] = (
    INVOICE_NO,
    STOCK_CODE,
    DESCRIPTION,
    QUANTITY,
    INVOICE_DATE,
    UNIT_PRICE,
    CUSTOMER_ID,
    COUNTRY,
    CATEGORY,
    AMOUNT,
)
NUMERIC_COLUMNS: tuple[str, ...] = (QUANTITY, UNIT_PRICE, AMOUNT)
TEXT_COLUMNS: tuple[str, ...] = (
    INVOICE_NO,
    STOCK_CODE,
    DESCRIPTION,
    CUSTOMER_ID,
    COUNTRY,
    CATEGORY,
)

#: Plain-word names of the canonical columns, for messages.
COLUMN_LABELS: dict[str, str] = {
    INVOICE_NO: "invoice number",
    STOCK_CODE: "product code",
    DESCRIPTION: "product description",
    QUANTITY: "quantity",
    INVOICE_DATE: "invoice date",
    UNIT_PRICE: "unit price",
    CUSTOMER_ID: "customer id",
    COUNTRY: "country",
    CATEGORY: "product category",
    AMOUNT: "line amount",
}

#: Customer table: one row per customer.
RECENCY = "recency"
FREQUENCY = "frequency"
MONETARY = "monetary"
RFM_COLUMNS: tuple[str, ...] = (RECENCY, FREQUENCY, MONETARY)
CUSTOMER_FEATURES: tuple[str, ...] = (
    RECENCY,
    FREQUENCY,
    MONETARY,
    "total_quantity",
    "avg_order_value",
    "tenure_days",
    "distinct_products",
)

#: Customer features in plain words with their unit, for axis titles and tables.
FEATURE_LABELS: dict[str, str] = {
    RECENCY: "Recency (days)",
    FREQUENCY: "Frequency (orders)",
    MONETARY: "Monetary (£)",
    "total_quantity": "Items bought",
    "avg_order_value": "Average order (£)",
    "tenure_days": "Tenure (days)",
    "distinct_products": "Distinct products",
}
