"""Data of the model tests: the papers' CDNOW sample and UCI Online Retail, skipped where absent.

Read from ../shared/data next to the repository; nothing derived from them is stored here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from segmentation.value.purchase_history import PurchaseHistory, purchase_history
from tests.samples import classic_clean_lines


@pytest.fixture(scope="session")
def cdnow_history(cdnow_path: Path) -> PurchaseHistory:
    """CDNOW 1/10 sample, calibration to 1997-09-30 inclusive (39 weeks), in weeks."""
    raw = pd.read_csv(
        cdnow_path,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "revenue"],
        dtype={"date": str},
    )
    purchases = pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "invoice_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "revenue": raw["revenue"].astype(float),
        }
    )
    return purchase_history(purchases, "1997-09-30", "week")


@pytest.fixture(scope="session")
def online_retail_orders(online_retail_raw: pd.DataFrame) -> pd.DataFrame:
    """Online Retail after the classic cleaning, one row per line (do not mutate)."""
    lines = classic_clean_lines(online_retail_raw)
    return pd.DataFrame(
        {
            "customer_id": lines["CustomerID"].astype("int64"),
            "invoice_date": lines["InvoiceDate"],
            "revenue": lines["Quantity"] * lines["UnitPrice"],
        }
    )
