"""Tables and files built for the tests: small transaction files worked out by hand, a tiny
customer table whose RFM scores are known, hostile text, and where the real data sets are."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ONLINE_RETAIL = SHARED_DATA / "online_retail.parquet"
ONLINE_RETAIL_II = SHARED_DATA / "online_retail_ii_2009_2010.parquet"
CDNOW = SHARED_DATA / "CDNOW_sample.txt"
DEMO = ROOT / "data" / "demo_transactions.csv.gz"


#: Three lines in the UCI Online Retail layout: two purchases and a cancellation.
RETAIL_ROWS = [
    ("536365", "85123A", "WHITE HANGING HEART", 6, "12/1/2010 8:26", 2.55, 17850, "United Kingdom"),
    ("536366", "22633", "HAND WARMER", 6, "12/13/2010 8:28", 1.85, 17850.0, "United Kingdom"),
    ("C536379", "D", "Discount", -1, "12/14/2010 9:41", 27.5, "14527", "France"),
]


def retail_csv(rows: list[tuple], header: str | None = None) -> bytes:
    """A small CSV in the UCI Online Retail layout."""
    header = (
        header
        or "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    )
    lines = [header] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


#: 11 customers: with 11 values the 20/40/60/80th percentiles are exactly the 3rd, 5th,
#: 7th and 9th smallest values, so every score below is worked out by hand.
TINY_CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["T1", "T2", "T3", "M1", "M2", "M3", "M4", "G1", "G2", "G3", "G4"],
        "recency": [1, 2, 3, 20, 25, 30, 35, 300, 320, 340, 360],
        "frequency": [30, 40, 50, 5, 6, 7, 8, 1, 2, 3, 4],
        "monetary": [
            9000.0,
            12000.0,
            15000.0,
            900.0,
            1000.0,
            1400.0,
            1500.0,
            50.0,
            60.0,
            70.0,
            80.0,
        ],
    }
)


#: Strings that attack a page (HTML, script, markdown), a spreadsheet (formulas) or a file
#: system (a path) when they are taken for code instead of text.
HOSTILE_STRINGS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tleading tab",
    "../../etc/passwd",
    "**bold**",
    "[link](javascript:alert(1))",
)


def hostile_csv(customers: int = 60, lines: int = 900, seed: int = 6) -> bytes:
    """A transaction CSV in the UCI layout whose text is hostile everywhere.

    Every hostile string is a customer id, a country, a description, a stock code, part of
    an invoice number and the name of an extra column; a few lines are cancellations,
    guest purchases and duplicates, so the cleaning examples quote hostile rows too.
    """
    rng = np.random.default_rng(seed)
    ids = [*HOSTILE_STRINGS, *(f"k{n}" for n in range(customers - len(HOSTILE_STRINGS)))]
    countries = [*HOSTILE_STRINGS, "United Kingdom", "France", "Germany"]
    header = [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
        *HOSTILE_STRINGS,
    ]
    rows = []
    for n in range(lines):
        text = HOSTILE_STRINGS[n % len(HOSTILE_STRINGS)]
        customer = int(rng.integers(0, customers))
        invoice = f"{text}{n}" if n % 25 else f"C{text}{n}"
        quantity = int(rng.integers(1, 12)) * (1 if n % 25 else -1)
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 360)))
        rows.append(
            [
                invoice,
                text,
                HOSTILE_STRINGS[(n // 3) % len(HOSTILE_STRINGS)],
                quantity,
                f"{day:%Y-%m-%d} 1{n % 10}:00",
                round(float(rng.uniform(0.5, 40)), 2),
                "" if n % 40 == 7 else ids[customer],
                countries[customer % len(countries)],
                *HOSTILE_STRINGS,
            ]
        )
        if n % 50 == 3:
            rows.append(list(rows[-1]))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


#: First day of :func:`simulated_purchases`; its calibration end is day 273 (2024-09-30).
SIMULATION_START = pd.Timestamp("2024-01-01")
SIMULATION_DAYS = 365


def simulated_purchases(customers: int = 600, seed: int = 13) -> pd.DataFrame:
    """Orders of a BG/NBD customer base over a year (one row per order, as the pipeline's
    purchases table): each customer arrives on a day of the first 200, buys at a Poisson
    rate lambda ~ gamma(0.8, 1/15) per day and drops out after each repeat purchase with
    probability p ~ beta(1, 8); spend per order is gamma around a customer mean."""
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(customers):
        rate = rng.gamma(0.8, 1 / 15)
        dropout = rng.beta(1.0, 8.0)
        mean_spend = rng.gamma(4.0, 25.0)
        day = float(rng.integers(0, 200))
        while day < SIMULATION_DAYS:
            rows.append((f"c{customer:04d}", int(day), rng.gamma(6.0, mean_spend / 6)))
            if len(rows) > 1 and rows[-2][0] == rows[-1][0] and rng.random() < dropout:
                break
            day += rng.exponential(1 / rate)
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "revenue"])
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "invoice_no": [f"{n + 1:06d}" for n in range(len(frame))],
            "invoice_date": SIMULATION_START
            + pd.to_timedelta(frame["day"], unit="D")
            + pd.Timedelta(hours=10),
            "revenue": frame["revenue"].round(2),
        }
    )


def classic_clean_lines(raw: pd.DataFrame) -> pd.DataFrame:
    """The published Online Retail file after the classic cleaning of the literature, with
    pandas: customers only, no cancellations, positive quantities and prices, no duplicates."""
    keep = (
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    return raw[keep].drop_duplicates()


def assert_one_sentence(message: str) -> None:
    """A model's error: one sentence, capitalised and ending in a full stop."""
    assert message[0].isupper() and message.endswith("."), message
    assert not re.search(r"[.;:] [A-Z]", message), message
