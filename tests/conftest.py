"""Shared fixtures: the real data sets (skipped where absent), the demo data's pipeline run,
no configured data file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from segmentation.demo import DEMO_TRANSACTIONS
from segmentation.transactions.pipeline import FeatureRun, run_features
from tests.samples import CDNOW, ONLINE_RETAIL, ONLINE_RETAIL_II, SHARED_DATA


def _require(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"real data {path.name} not found in {SHARED_DATA} (clone without ../shared)")
    return path


@pytest.fixture(scope="session")
def demo_run() -> FeatureRun:
    """The pipeline run of the demo data (do not mutate its tables)."""
    return run_features(DEMO_TRANSACTIONS)


@pytest.fixture(scope="session")
def online_retail_path() -> Path:
    """Path of the UCI Online Retail Parquet file."""
    return _require(ONLINE_RETAIL)


@pytest.fixture(scope="session")
def online_retail_ii_path() -> Path:
    """Path of the first sheet of UCI Online Retail II as Parquet."""
    return _require(ONLINE_RETAIL_II)


@pytest.fixture(scope="session")
def cdnow_path() -> Path:
    """Path of the CDNOW 1/10 sample: whitespace-separated text without a header."""
    return _require(CDNOW)


@pytest.fixture(scope="session")
def online_retail_raw(online_retail_path: Path) -> pd.DataFrame:
    """The Online Retail file as published (do not mutate)."""
    return pd.read_parquet(online_retail_path)


@pytest.fixture(autouse=True)
def no_configured_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app starts on the demo data whatever the environment names."""
    monkeypatch.delenv("SEGMENTATION_DATA", raising=False)
