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


def retail_csv(rows: list[tuple], header: str | None = None) -> bytes:
    """A small CSV in the UCI Online Retail layout."""
    header = (
        header
        or "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    )
    lines = [header] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")
