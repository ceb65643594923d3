"""The reference figures of ../shared/data/README.md, from every format of the real data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from bench.scale_data import write_scaled
from segmentation.movement.flows import migrate
from segmentation.movement.snapshots import customer_snapshots
from segmentation.read.loading import Transactions, load_transactions
from segmentation.read.scanning import EngineTransactions
from segmentation.transactions.pipeline import read_transactions, run_features
from tests.samples import classic_clean_lines

pytestmark = pytest.mark.real

REFERENCE = {
    "rows_out": 392_692,
    "customers": 4_338,
    "orders": 18_532,
    "countries": 37,
    "revenue": 8_887_208.894,
    "recency": {"mean": 92.54, "median": 51, "min": 1, "max": 374},
    "frequency": {"mean": 4.27, "median": 2, "min": 1, "max": 209},
    "monetary": {"mean": 2_048.69, "median": 668.57, "min": 3.75, "max": 280_206.02},
}


def _check_reference(run) -> None:
    summary = run.summary()
    assert summary["rows_in"] == 541_909
    assert summary["rows_out"] == REFERENCE["rows_out"]
    assert summary["customers"] == REFERENCE["customers"]
    assert summary["orders"] == REFERENCE["orders"]
    assert summary["countries"] == REFERENCE["countries"]
    assert summary["revenue"] == pytest.approx(REFERENCE["revenue"], abs=0.01)
    assert summary["snapshot_date"] == "2011-12-10 12:50"
    customers = run.customers
    for feature in ("recency", "frequency", "monetary"):
        figures = REFERENCE[feature]
        column = customers[feature]
        assert column.mean() == pytest.approx(figures["mean"], abs=0.005)
        assert column.median() == pytest.approx(figures["median"], abs=0.005)
        assert column.min() == pytest.approx(figures["min"], abs=0.005)
        assert column.max() == pytest.approx(figures["max"], abs=0.005)
    removed = sum(step["rows_removed"] for step in summary["steps"])
    assert summary["rows_in"] == summary["rows_out"] + removed


@pytest.fixture(scope="module")
def parquet_run(online_retail_path):
    return run_features(online_retail_path)


def test_parquet_gives_the_reference_figures(parquet_run):
    _check_reference(parquet_run)
    assert parquet_run.transactions.report.layout == "UCI Online Retail"


def test_cleaning_steps_match_the_published_counts(parquet_run, online_retail_raw):
    raw = online_retail_raw
    steps = {s["name"]: s["rows_removed"] for s in parquet_run.summary()["steps"]}
    assert steps["missing_customer_id"] == int(raw["CustomerID"].isna().sum()) == 135_080
    kept = raw.dropna(subset=["CustomerID"])
    assert steps["duplicates"] == int(kept.duplicated().sum())


@pytest.fixture(scope="module")
def kaggle_csv(tmp_path_factory, online_retail_raw) -> Path:
    """The real data as Kaggle's ``data.csv``: ISO-8859-1, dates as ``12/1/2010 8:26``."""
    kaggle = online_retail_raw.assign(
        InvoiceDate=online_retail_raw["InvoiceDate"].dt.strftime("%-m/%-d/%Y %-H:%M")
    )
    path = tmp_path_factory.mktemp("kaggle") / "data.csv"
    kaggle.to_csv(path, index=False, encoding="ISO-8859-1", errors="replace")
    return path


def test_kaggle_csv_gives_the_same_figures(kaggle_csv: Path, parquet_run):
    assert "12/1/2010 8:26" in kaggle_csv.read_text(encoding="ISO-8859-1")[:400]
    run = run_features(kaggle_csv)
    _check_reference(run)
    pd.testing.assert_frame_equal(run.customers, parquet_run.customers)


def test_kaggle_csv_read_by_the_engine_equals_the_in_memory_read(kaggle_csv: Path):
    # its first megabyte is plain ASCII, the pound signs further on are not UTF-8
    engine = run_features(read_transactions(kaggle_csv, engine_text_bytes=0))
    memory = run_features(kaggle_csv)
    assert isinstance(engine.transactions, EngineTransactions)
    assert isinstance(memory.transactions, Transactions)
    _check_reference(engine)
    assert engine.transactions.report.encoding == "ISO-8859-1"
    assert engine.transactions.report.date_format == memory.transactions.report.date_format
    assert engine.cleaned.report.to_dict() == memory.cleaned.report.to_dict()
    pd.testing.assert_frame_equal(engine.customers, memory.customers)
    steps = zip(engine.cleaned.report.steps, memory.cleaned.report.steps, strict=True)
    for scanned, read in steps:
        pd.testing.assert_frame_equal(scanned.examples, read.examples, check_dtype=False)


@pytest.mark.slow
def test_xlsx_gives_the_same_figures(tmp_path: Path, online_retail_raw, parquet_run):
    path = tmp_path / "Online Retail.xlsx"
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        online_retail_raw.to_excel(writer, sheet_name="Online Retail", index=False)
    run = run_features(path)
    _check_reference(run)
    pd.testing.assert_frame_equal(run.customers, parquet_run.customers)


def test_online_retail_ii_needs_no_options(online_retail_ii_path):
    run = run_features(online_retail_ii_path)
    summary = run.summary()
    assert run.transactions.report.layout == "UCI Online Retail II"
    assert summary["customers"] == 4_312
    assert summary["rows_out"] == 400_916
    assert summary["revenue"] == pytest.approx(8_798_233.74, abs=0.01)


def test_the_engine_scan_equals_the_in_memory_load(parquet_run, online_retail_path):
    assert isinstance(parquet_run.transactions, EngineTransactions)
    loaded = run_features(load_transactions(online_retail_path))
    assert parquet_run.cleaned.report.to_dict() == loaded.cleaned.report.to_dict()
    pd.testing.assert_frame_equal(parquet_run.customers, loaded.customers)
    steps = zip(parquet_run.cleaned.report.steps, loaded.cleaned.report.steps, strict=True)
    for scanned, read in steps:
        pd.testing.assert_frame_equal(scanned.examples, read.examples, check_dtype=False)


def test_a_scaled_copy_scales_every_figure(tmp_path: Path, online_retail_path):
    path = write_scaled(3, tmp_path / "x3.parquet", source=online_retail_path)
    summary = run_features(path).summary()
    assert summary["rows_in"] == 3 * 541_909
    assert summary["rows_out"] == 3 * REFERENCE["rows_out"]
    assert summary["customers"] == 3 * REFERENCE["customers"]
    assert summary["orders"] == 3 * REFERENCE["orders"]
    assert summary["revenue"] == pytest.approx(3 * REFERENCE["revenue"], abs=0.03)


@pytest.mark.parametrize(("start", "end"), [(None, None), ("2011-03-31", "2011-06-30")])
def test_movement_flows_add_up_to_the_customers_who_bought_by_the_later_date(
    parquet_run, start, end
):
    snapshots = customer_snapshots(parquet_run.purchases, start, end)
    lines = parquet_run.cleaned.data
    days = lines["invoice_date"].dt.normalize()
    bought = lines[days <= pd.Timestamp(snapshots.to_date)]
    before = lines[days <= pd.Timestamp(snapshots.from_date)]
    for kind in ("rfm", "cluster"):
        movement = migrate(snapshots, kind)
        flows = movement.transitions
        assert flows["customers"].sum() == bought["customer_id"].nunique()
        assert movement.customers["customer_id"].is_unique
        new = flows[flows["from_segment"] == movement.new_label]["customers"].sum()
        assert flows["customers"].sum() - new == before["customer_id"].nunique()
        assert flows["revenue_before"].sum() == pytest.approx(
            before["total_purchase"].sum(), abs=0.01
        )
        assert flows["revenue_before"].sum() + flows["revenue_after"].sum() == pytest.approx(
            bought["total_purchase"].sum(), abs=0.01
        )
    if start is None:  # the defaults: the end of the data and 90 days before
        assert (snapshots.from_date, snapshots.to_date) == (date(2011, 9, 10), date(2011, 12, 9))
        assert len(snapshots.after) == REFERENCE["customers"]
        assert snapshots.after["monetary"].sum() == pytest.approx(REFERENCE["revenue"], abs=0.01)
        assert snapshots.after["recency"].median() == REFERENCE["recency"]["median"]


def test_the_purchases_are_the_reference_orders(parquet_run, online_retail_raw):
    purchases = parquet_run.purchases
    assert len(purchases) == REFERENCE["orders"]
    assert purchases["revenue"].sum() == pytest.approx(REFERENCE["revenue"], abs=0.01)
    per_customer = purchases.groupby("customer_id").size()
    customers = parquet_run.customers.set_index("customer_id")["frequency"]
    pd.testing.assert_series_equal(per_customer, customers, check_names=False)
    # the purchase days of the customer-base models, from the raw lines with the classic cleaning
    lines = classic_clean_lines(online_retail_raw)
    days = lines.groupby([lines["CustomerID"], lines["InvoiceDate"].dt.date]).ngroups
    assert purchases.groupby(["customer_id", purchases["invoice_date"].dt.date]).ngroups == days
