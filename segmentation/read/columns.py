"""Map a file's column names to the canonical transaction columns."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from segmentation.errors import ColumnError
from segmentation.read.values import shorten
from segmentation.schema import (
    AMOUNT,
    CATEGORY,
    COLUMN_LABELS,
    COUNTRY,
    CUSTOMER_ID,
    DESCRIPTION,
    INVOICE_DATE,
    INVOICE_NO,
    QUANTITY,
    STOCK_CODE,
    TRANSACTION_COLUMNS,
    UNIT_PRICE,
)

#: Known layouts, detected by their exact set of column names.
KNOWN_LAYOUTS: dict[str, dict[str, str]] = {
    "UCI Online Retail": {
        INVOICE_NO: "InvoiceNo",
        STOCK_CODE: "StockCode",
        DESCRIPTION: "Description",
        QUANTITY: "Quantity",
        INVOICE_DATE: "InvoiceDate",
        UNIT_PRICE: "UnitPrice",
        CUSTOMER_ID: "CustomerID",
        COUNTRY: "Country",
    },
    "UCI Online Retail II": {
        INVOICE_NO: "Invoice",
        STOCK_CODE: "StockCode",
        DESCRIPTION: "Description",
        QUANTITY: "Quantity",
        INVOICE_DATE: "InvoiceDate",
        UNIT_PRICE: "Price",
        CUSTOMER_ID: "Customer ID",
        COUNTRY: "Country",
    },
}

#: Spellings of each canonical column, compared after lower-casing and dropping
#: everything but letters and digits; earlier spellings win.
SYNONYMS: dict[str, tuple[str, ...]] = {
    INVOICE_NO: (
        "invoiceno",
        "invoice",
        "invoiceid",
        "invoicenumber",
        "invoicenum",
        "orderid",
        "orderno",
        "ordernumber",
        "order",
        "ordernum",
        "transactionid",
        "transactionno",
        "transaction",
        "receiptid",
        "receiptno",
        "receipt",
        "billno",
        "billid",
        "basketid",
        "salesorder",
    ),
    STOCK_CODE: (
        "stockcode",
        "sku",
        "productid",
        "productcode",
        "itemcode",
        "itemid",
        "articleid",
        "article",
        "productno",
        "itemno",
        "product",
        "item",
        "code",
        "asin",
        "upc",
        "ean",
    ),
    DESCRIPTION: (
        "description",
        "productname",
        "itemname",
        "productdescription",
        "itemdescription",
        "productdesc",
        "desc",
        "name",
        "title",
        "producttitle",
    ),
    QUANTITY: (
        "quantity",
        "qty",
        "quantityordered",
        "orderedquantity",
        "units",
        "unitssold",
        "itemsordered",
        "amountordered",
        "numberofitems",
        "count",
        "pieces",
        "volume",
    ),
    INVOICE_DATE: (
        "invoicedate",
        "orderdate",
        "date",
        "transactiondate",
        "purchasedate",
        "saledate",
        "salesdate",
        "datetime",
        "timestamp",
        "orderdatetime",
        "createdat",
        "created",
        "ordertime",
        "invoicedatetime",
        "orderedat",
        "purchasedat",
        "day",
    ),
    UNIT_PRICE: (
        "unitprice",
        "price",
        "priceeach",
        "itemprice",
        "unitcost",
        "priceperunit",
        "rate",
        "sellingprice",
        "saleprice",
        "unitamount",
        "listprice",
    ),
    CUSTOMER_ID: (
        "customerid",
        "customer",
        "customerno",
        "customernumber",
        "customercode",
        "clientid",
        "client",
        "clientno",
        "userid",
        "user",
        "buyerid",
        "buyer",
        "custid",
        "cust",
        "memberid",
        "accountid",
        "account",
        "shopperid",
        "contactid",
    ),
    COUNTRY: (
        "country",
        "countryname",
        "shipcountry",
        "shippingcountry",
        "billingcountry",
        "customercountry",
        "countrycode",
        "nation",
        "market",
    ),
    CATEGORY: (
        "category",
        "productcategory",
        "categoryname",
        "productgroup",
        "producttype",
        "productfamily",
        "department",
    ),
    AMOUNT: (
        "amount",
        "revenue",
        "sales",
        "total",
        "totalprice",
        "linetotal",
        "totalamount",
        "lineamount",
        "totalpurchase",
        "ordervalue",
        "value",
        "salesamount",
        "netsales",
        "grosssales",
        "turnover",
        "subtotal",
        "linevalue",
        "totalsales",
        "spend",
    ),
}


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column feeds each canonical column, and how it was decided."""

    mapping: dict[str, str]
    layout: str
    #: Canonical columns matched by a guessed spelling rather than a known layout or the caller.
    guessed: tuple[str, ...]
    unmapped: tuple[str, ...]


def normalise_name(name: str) -> str:
    """Lower-case a name and keep letters and digits: ``Customer ID`` -> ``customerid``."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def detect_columns(
    names: Sequence[str], overrides: Mapping[str, str] | None = None, *, source: str = "the file"
) -> ColumnMapping:
    """Map source column names to canonical ones; ``overrides`` (canonical -> source) win."""
    names = [str(n) for n in names]
    mapping = _check_overrides(names, dict(overrides or {}), source)
    given = set(mapping)
    layout = _known_layout(names)
    if layout and not given:
        mapping = dict(KNOWN_LAYOUTS[layout])
        guessed: list[str] = []
    else:
        layout = layout or "custom"
        guessed = _guess(names, mapping)
    used = set(mapping.values())
    unmapped = tuple(n for n in names if n not in used)
    result = ColumnMapping(
        mapping=mapping, layout=layout, guessed=tuple(guessed), unmapped=unmapped
    )
    check_required(result, names, source)
    return result


def check_required(columns: ColumnMapping, names: Sequence[str], source: str) -> None:
    """Raise :class:`ColumnError` unless a customer id, a date and money columns are mapped."""
    mapped = columns.mapping
    missing = [c for c in (CUSTOMER_ID, INVOICE_DATE) if c not in mapped]
    if AMOUNT not in mapped:
        missing += [c for c in (QUANTITY, UNIT_PRICE) if c not in mapped]
    if not missing:
        return
    wanted = " and ".join(f"the {COLUMN_LABELS[c]}" for c in missing)
    found = ", ".join(repr(shorten(n)) for n in names[:20]) + (", ..." if len(names) > 20 else "")
    example = missing[0]
    raise ColumnError(
        f"{source} has no column for {wanted} (columns found: {found}); "
        f"name the column to use, e.g. --column {example}=NAME."
    )


def _known_layout(names: Sequence[str]) -> str | None:
    present = set(names)
    for layout, columns in KNOWN_LAYOUTS.items():
        if set(columns.values()) <= present:
            return layout
    return None


def _check_overrides(names: list[str], overrides: dict[str, str], source: str) -> dict[str, str]:
    for canonical, column in overrides.items():
        if canonical not in TRANSACTION_COLUMNS:
            known = ", ".join(TRANSACTION_COLUMNS)
            raise ColumnError(
                f"{shorten(canonical)!r} is not a column this tool uses; use one of {known}."
            )
        if column not in names:
            found = ", ".join(repr(shorten(n)) for n in names[:20])
            raise ColumnError(
                f"{source} has no column {shorten(column)!r} to use as the "
                f"{COLUMN_LABELS[canonical]} (columns found: {found})."
            )
    return overrides


def _guess(names: list[str], mapping: dict[str, str]) -> list[str]:
    """Fill ``mapping`` in place from the synonym table; return the canonical columns guessed."""
    keys = {n: normalise_name(n) for n in names}
    guessed = []
    for canonical in TRANSACTION_COLUMNS:
        if canonical in mapping:
            continue
        used = set(mapping.values())
        free = [n for n in names if n not in used]
        match = next(
            (n for spelling in SYNONYMS[canonical] for n in free if keys[n] == spelling), None
        )
        if match is not None:
            mapping[canonical] = match
            guessed.append(canonical)
    return guessed
