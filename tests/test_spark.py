"""The transaction stage on Spark in local mode gives exactly DuckDB's results.

Skipped where pyspark or Java is missing; CI installs both (requirements-dev.txt, .ci/run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from segmentation import engine
from segmentation.cli import main
from segmentation.read.loading import load_transactions
from segmentation.read.scanning import EngineTransactions
from segmentation.transactions.cleaning import CleaningOptions, CleanResult, clean_transactions
from segmentation.transactions.features import customer_table
from segmentation.transactions.pipeline import FeatureRun, run_features
from tests.samples import ROOT

pytestmark = pytest.mark.spark

ALL_STEPS = CleaningOptions(net_cancellations=True, non_product=True)


def _java_missing() -> bool:
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is None and not (home and os.path.isfile(f"{home}/bin/java"))


@pytest.fixture(scope="module")
def spark():
    """One Spark session (local[2]) for the module, stopped at its end."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (see requirements-dev.txt)")
    if _java_missing():
        pytest.skip("Java is not installed: Spark needs it (openjdk-17-jre-headless)")
    backend = engine.connect_spark()
    yield backend
    backend.disconnect()


def _frame(rows: list[tuple]) -> pd.DataFrame:
    columns = [
        "invoice_no",
        "stock_code",
        "description",
        "quantity",
        "invoice_date",
        "unit_price",
        "customer_id",
        "country",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["invoice_date"] = pd.to_datetime(frame["invoice_date"], format="ISO8601")
    frame = frame.astype({"quantity": "float64", "unit_price": "float64"})
    text = ("invoice_no", "stock_code", "description", "customer_id", "country")
    return frame.astype({c: "str" for c in text})


NAN = float("nan")
UK = "United Kingdom"

#: Every step has work here: lower-case cancellations, codes with blanks, a missing
#: description in a duplicate, a tie between countries, a customer without a country.
#: Its dates are in microseconds (the loader's are in nanoseconds, see the real data).
TINY = _frame(
    [
        ("536365", "85123A", "WHITE HEART", 6, "2010-12-01 08:26", 2.55, "17850", UK),
        ("536365", "85123A", "WHITE HEART", 6, "2010-12-01 08:26", 2.55, "17850", UK),
        ("536365", "85123A", None, 6, "2010-12-01 08:26", 2.55, "17850", UK),
        ("536365", "85123A", None, 6, "2010-12-01 08:26", 2.55, "17850", UK),
        ("536366", " post ", "POSTAGE", 1, "2010-12-02 09:00", 18.0, "12347", "Iceland"),
        ("536367", "gift_0001_20", "VOUCHER", 1, "2010-12-02 09:05", 20.0, "12347", "Iceland"),
        ("536369", "22633", "HAND WARMER", 2, "2010-12-02 10:00", 1.85, "17850", UK),
        ("c536370", "22633", "HAND WARMER", -2, "2010-12-03 10:00", 1.85, "17850", UK),
        ("536371", "22634", "BOX", 0, "2010-12-04 11:00", 1.0, "12348", "Finland"),
        ("536372", "22635", "BAG", 3, "2010-12-04 11:30", 0.0, "12348", "Finland"),
        ("A563185", "B", "Adjust bad debt", 1, "2010-12-05 12:00", -11062.06, "12348", "Finland"),
        ("536373", "22636", "CUP", NAN, "2010-12-05 12:30", 1.25, "12349", "France"),
        ("536374", "22637", "MUG", 1, None, 1.25, "12349", "France"),
        ("536375", "22638", "PLATE", 4, "2010-12-06 13:00", 1.005, None, "France"),
        ("536376", "22639", "LAMP", 3, "2010-12-07 14:00:30", 1.005, "12349", "France"),
        ("536377", "22639", "LAMP", 3, "2010-12-08 14:00", 2.10, "12349", "Belgium"),
        ("536378", "22640", "CANDLE", 12, "2010-12-09 15:15", 0.42, "12349", "Belgium"),
        ("536379", "22641", "CANDLE", 1, "2010-12-09 15:20", 0.85, "12349", "France"),
        ("536380", "22642", "Straße", 2, "2010-12-09 16:00", 3.0, "12350", None),
    ]
)


def _removed(result: CleanResult) -> dict[str, int]:
    return {s.name: s.rows_removed for s in result.report.steps}


def _same(transactions, options: CleaningOptions, spark) -> CleanResult:
    """Clean and aggregate on DuckDB and on Spark, assert that every figure and frame is
    equal, and return Spark's result."""
    duck = clean_transactions(transactions, options)
    on_spark = clean_transactions(transactions, options, spark)
    assert (duck.backend.name, on_spark.backend.name) == ("duckdb", "pyspark")
    assert on_spark.report.to_dict() == duck.report.to_dict()
    assert on_spark.report.revenue_out == duck.report.revenue_out
    for theirs, ours in zip(on_spark.report.steps, duck.report.steps, strict=True):
        assert (theirs.name, theirs.rows_removed) == (ours.name, ours.rows_removed)
        assert theirs.revenue_removed == ours.revenue_removed, theirs.name
        assert_frame_equal(theirs.examples, ours.examples)
    assert_frame_equal(on_spark.data, duck.data, check_exact=True)
    duck_customers = customer_table(duck)
    spark_customers = customer_table(on_spark)
    assert spark_customers.snapshot_date == duck_customers.snapshot_date
    assert_frame_equal(spark_customers.customers, duck_customers.customers, check_exact=True)
    return on_spark


def test_classic_cleaning_of_a_tiny_table(spark):
    on_spark = _same(TINY, CleaningOptions(), spark)
    assert _removed(on_spark) == {
        "unreadable_lines": 0,
        "invalid_values": 2,
        "missing_customer_id": 1,
        "duplicates": 2,
        "cancellations": 1,
        "non_product": 0,
        "non_positive_quantity": 1,
        "non_positive_price": 2,
    }
    revenue = {s.name: s.revenue_removed for s in on_spark.report.steps}
    assert revenue["duplicates"] == 30.6 and revenue["cancellations"] == -3.7
    assert revenue["invalid_values"] == 1.25  # the line without a quantity has no total
    assert on_spark.report.revenue_out == pytest.approx(93.505, abs=1e-9)
    customers = customer_table(on_spark).customers.set_index("customer_id")
    assert customers.index.tolist() == ["12347", "12349", "12350", "17850"]
    assert customers.loc["12349", "country"] == "Belgium"  # two lines each: first name wins
    assert pd.isna(customers.loc["12350", "country"])
    assert customers.loc["17850", "monetary"] == pytest.approx(34.3)


def test_every_step_of_a_tiny_table(spark):
    on_spark = _same(TINY, ALL_STEPS, spark)
    removed = _removed(on_spark)
    assert removed["cancellations"] == 2  # c536370 and the purchase it cancels
    assert removed["non_product"] == 3  # post, gift_0001_20 and B
    assert removed["non_positive_price"] == 1
    assert on_spark.data["invoice_no"].tolist() == [
        "536365",
        "536365",
        "536376",
        "536377",
        "536378",
        "536379",
        "536380",
    ]
    cancellations = next(s for s in on_spark.report.steps if s.name == "cancellations")
    assert cancellations.details == {"originals_matched": 1}


def test_amount_only_table(spark):
    frame = pd.DataFrame(
        {
            "invoice_no": ["1", "2", "3", "4"],
            "invoice_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", None]),
            "customer_id": ["a", "a", "b", "b"],
            "amount": [10.0, -4.0, 0.0, 5.0],
        }
    ).astype({"invoice_no": "str", "customer_id": "str"})
    on_spark = _same(frame, ALL_STEPS, spark)
    assert on_spark.data["total_purchase"].tolist() == [10.0]


def test_customer_table_of_a_frame(spark):
    clean = clean_transactions(TINY).data
    on_spark = customer_table(clean, backend=spark)
    assert_frame_equal(on_spark.customers, customer_table(clean).customers, check_exact=True)
    assert on_spark.snapshot_date == pd.Timestamp("2010-12-10 16:00")


def test_duckdb_runs_do_not_import_pyspark():
    code = """
import sys
import pandas as pd
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.features import customer_table
frame = pd.DataFrame({"invoice_no": ["1"], "invoice_date": [pd.Timestamp("2024-01-01")],
                      "customer_id": ["a"], "amount": [2.0]}).astype({"invoice_no": "str"})
customer_table(clean_transactions(frame))
assert "pyspark" not in sys.modules, "pyspark was imported"
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.fixture(scope="module")
def online_retail(online_retail_path):
    return load_transactions(online_retail_path)


@pytest.mark.real
@pytest.mark.slow
def test_real_data_classic_cleaning(online_retail, spark):
    on_spark = _same(online_retail, CleaningOptions(), spark)
    customers = customer_table(on_spark)
    summary = FeatureRun(online_retail, on_spark, customers.customers, customers.snapshot_date)
    summary = summary.summary()
    assert summary["rows_in"] == 541_909 and summary["rows_out"] == 392_692
    assert summary["customers"] == 4_338 and summary["orders"] == 18_532
    assert summary["countries"] == 37
    assert summary["revenue"] == pytest.approx(8_887_208.894, abs=0.01)
    assert summary["snapshot_date"] == "2011-12-10 12:50"


@pytest.mark.real
@pytest.mark.slow
def test_real_data_every_step(online_retail, spark):
    on_spark = _same(online_retail, ALL_STEPS, spark)
    assert on_spark.report.rows_out == 388_336


def test_a_parquet_file_runs_on_spark_from_the_command_line(spark, tmp_path, capsys):
    path = tmp_path / "tiny.parquet"
    TINY.to_parquet(path, index=False)
    on_spark = run_features(path, engine="spark")
    assert on_spark.cleaned.backend.name == "pyspark"
    assert isinstance(on_spark.transactions, EngineTransactions)
    in_duckdb = run_features(path)
    assert on_spark.summary() == in_duckdb.summary()
    assert_frame_equal(on_spark.customers, in_duckdb.customers, check_exact=True)
    out = tmp_path / "out"
    assert main(["features", str(path), "--engine", "spark", "--output-dir", str(out)]) == 0
    written = pd.read_csv(out / "customers.csv", dtype={"customer_id": str})
    assert written["customer_id"].tolist() == ["12347", "12349", "12350", "17850"]


@pytest.mark.real
@pytest.mark.slow
def test_real_data_file_on_spark_gives_the_reference_figures(online_retail_path, spark):
    on_spark = run_features(online_retail_path, engine="spark")
    summary = on_spark.summary()
    assert on_spark.cleaned.backend.name == "pyspark"
    assert summary["rows_out"] == 392_692 and summary["customers"] == 4_338
    assert summary["revenue"] == pytest.approx(8_887_208.894, abs=0.01)
    assert_frame_equal(on_spark.customers, run_features(online_retail_path).customers)


def test_a_sample_fit_assigned_on_spark(spark):
    from sklearn.metrics import adjusted_rand_score

    from segmentation.demo import DEMO_TRANSACTIONS
    from segmentation.engine import text_identifiers
    from segmentation.segments.assignment import segment_in_engine
    from segmentation.segments.segment import segment_customers
    from segmentation.transactions.features import engine_customers

    loaded = load_transactions(DEMO_TRANSACTIONS)
    found = engine_customers(clean_transactions(loaded, backend=spark))
    result = segment_in_engine(found, sample_size=800, k=5)
    assigned = text_identifiers(spark.to_pandas(result.customers))
    assigned = assigned.sort_values("customer_id").reset_index(drop=True)
    everyone = run_features(loaded).customers
    assert assigned["customer_id"].tolist() == everyone["customer_id"].tolist()
    full = segment_customers(everyone, k=5)
    assert adjusted_rand_score(full.customers["cluster"], assigned["cluster"]) >= 0.9
