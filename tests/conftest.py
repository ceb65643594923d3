"""Shared fixtures: the real data sets (skipped where absent) and small tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ONLINE_RETAIL = SHARED_DATA / "online_retail.parquet"
ONLINE_RETAIL_II = SHARED_DATA / "online_retail_ii_2009_2010.parquet"


def _require(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"real data {path.name} not found in {SHARED_DATA} (clone without ../shared)")
    return path


@pytest.fixture(scope="session")
def online_retail_path() -> Path:
    """Path of the UCI Online Retail Parquet file."""
    return _require(ONLINE_RETAIL)


@pytest.fixture(scope="session")
def online_retail_ii_path() -> Path:
    """Path of the first sheet of UCI Online Retail II as Parquet."""
    return _require(ONLINE_RETAIL_II)


@pytest.fixture(scope="session")
def online_retail_raw(online_retail_path: Path) -> pd.DataFrame:
    """The Online Retail file as published (do not mutate)."""
    return pd.read_parquet(online_retail_path)


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
