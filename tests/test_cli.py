"""The command line: outputs, determinism, and one error line for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentation.cli import main
from tests.samples import retail_csv

ROWS = [
    ("1", "A", "MUG", 2, "2024-01-01 10:00", 3.0, 17850.0, "United Kingdom"),
    ("2", "B", '=HYPERLINK("http://x")', 1, "2024-01-05 10:00", 4.0, 13047, "+France"),
    ("C3", "A", "MUG", -2, "2024-01-06 10:00", 3.0, 17850, "United Kingdom"),
    ("4", "A", "MUG", 1, "2024-01-09 10:00", 3.0, 17850, "United Kingdom"),
]


def _input(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    path.write_bytes(retail_csv(ROWS))
    return path


def test_features_writes_customers_and_summary(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["features", str(_input(tmp_path)), "--output-dir", str(out)]) == 0
    customers = pd.read_csv(out / "customers.csv", dtype={"customer_id": str})
    assert customers.columns[:4].tolist() == ["customer_id", "recency", "frequency", "monetary"]
    assert customers["customer_id"].tolist() == ["13047", "17850"]
    assert customers["frequency"].tolist() == [1, 2]
    assert customers["monetary"].tolist() == [4.0, 9.0]
    # A country that a spreadsheet would run as a formula is neutralised.
    assert customers["country"].tolist() == ["'+France", "United Kingdom"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows_in"] == 4 and summary["rows_out"] == 3
    assert summary["customers"] == 2 and summary["revenue"] == 13.0
    assert summary["snapshot_date"] == "2024-01-10 10:00"
    assert [s["name"] for s in summary["steps"]][:3] == [
        "unreadable_lines",
        "invalid_values",
        "missing_customer_id",
    ]
    assert capsys.readouterr().err == ""


def test_options_change_the_result(tmp_path):
    out = tmp_path / "out"
    args = ["features", str(_input(tmp_path)), "--output-dir", str(out)]
    assert main([*args, "--snapshot-date", "2024-02-01", "--enable", "net_cancellations"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["snapshot_date"] == "2024-02-01 00:00"
    cancellations = next(s for s in summary["steps"] if s["name"] == "cancellations")
    assert cancellations["rows_removed"] == 2 and cancellations["originals_matched"] == 1
    customers = pd.read_csv(out / "customers.csv", dtype={"customer_id": str})
    assert customers["recency"].tolist() == [26, 22]


def test_same_input_same_bytes(tmp_path):
    source = _input(tmp_path)
    for name in ("a", "b"):
        assert main(["features", str(source), "--output-dir", str(tmp_path / name)]) == 0
    for file in ("customers.csv", "summary.json"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_bad_options_are_one_error_line(tmp_path, capsys):
    args = ["features", str(_input(tmp_path)), "--output-dir", str(tmp_path)]
    assert main([*args, "--column", "customer_id"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: --column 'customer_id' is not CANONICAL=SOURCE"
    )
    assert main([*args, "--snapshot-date", "2023-01-01"]) == 2
    assert "is before the last purchase" in capsys.readouterr().err


def test_segment_on_the_demo_data_is_deterministic(tmp_path):
    from segmentation.demo import DEMO_GROUPS, DEMO_TRANSACTIONS

    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main(["segment", str(DEMO_TRANSACTIONS), "--output-dir", str(out)]) == 0
        outputs.append(out)
    for file in ("customers.csv", "summary.json"):
        assert (outputs[0] / file).read_bytes() == (outputs[1] / file).read_bytes()
    customers = pd.read_csv(outputs[0] / "customers.csv", dtype={"customer_id": str})
    assert customers.columns[-6:].tolist() == [
        "cluster",
        "segment",
        "r_score",
        "f_score",
        "m_score",
        "rfm_segment",
    ]
    summary = json.loads((outputs[0] / "summary.json").read_text())
    assert summary["method"] == "kmeans" and summary["k"] == 5
    assert summary["customers"] == len(customers) == 3000
    assert summary["k_reason"].startswith("5 clusters")
    assert [c["cluster"] for c in summary["clusters"]] == [0, 1, 2, 3, 4]
    assert sum(c["customers"] for c in summary["clusters"]) == 3000
    assert sum(c["revenue_share"] for c in summary["clusters"]) == pytest.approx(1, abs=1e-3)
    groups = pd.read_csv(DEMO_GROUPS, dtype={"customer_id": str})
    merged = customers.merge(groups, on="customer_id")
    champions = merged[merged["group"] == "champions"]["segment"].mode().iloc[0]
    assert champions == "Champions"


def test_segment_options(tmp_path, capsys):
    from segmentation.demo import DEMO_TRANSACTIONS

    out = tmp_path / "out"
    args = ["segment", str(DEMO_TRANSACTIONS), "--output-dir", str(out)]
    assert main([*args, "--k", "3", "--method", "agglomerative", "--seed", "4"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["k"] == 3 and summary["method"] == "agglomerative"
    assert main([*args, "--k", "many"]) == 2
    assert capsys.readouterr().err.startswith("error: --k 'many' is not a whole number or auto.")


def test_migrate_on_the_demo_data_is_deterministic(tmp_path):
    from segmentation.demo import DEMO_TRANSACTIONS
    from segmentation.transactions.pipeline import run_features

    for kind in ("rfm", "cluster"):
        outputs = []
        for name in ("a", "b"):
            out = tmp_path / kind / name
            args = ["migrate", str(DEMO_TRANSACTIONS), "--output-dir", str(out), "--kind", kind]
            assert main([*args, "--from", "2024-09-01", "--to", "2024-12-01"]) == 0
            outputs.append(out)
        for file in ("transitions.csv", "customers.csv", "summary.json"):
            assert (outputs[0] / file).read_bytes() == (outputs[1] / file).read_bytes(), file
        transitions = pd.read_csv(outputs[0] / "transitions.csv")
        assert transitions.columns.tolist() == [
            "from_segment",
            "to_segment",
            "customers",
            "revenue_before",
            "revenue_after",
        ]
        summary = json.loads((outputs[0] / "summary.json").read_text())
        assert (summary["from_date"], summary["to_date"], summary["kind"]) == (
            "2024-09-01",
            "2024-12-01",
            kind,
        )
        # every customer who bought on or before --to is in exactly one flow
        lines = run_features(DEMO_TRANSACTIONS).cleaned.data
        bought = lines[lines["invoice_date"].dt.normalize() <= "2024-12-01"]
        assert transitions["customers"].sum() == bought["customer_id"].nunique()
        assert summary["customers_to"] == bought["customer_id"].nunique()
        assert transitions["revenue_before"].sum() + transitions["revenue_after"].sum() == (
            pytest.approx(bought["total_purchase"].sum(), abs=0.05)
        )
        segments = summary["segments"]
        assert sum(s["customers_to"] for s in segments) == summary["customers_to"]
        assert sum(s["customers_from"] for s in segments) == summary["customers_from"]
        assert summary["customers_to"] - summary["customers_from"] == summary["new_customers"]
        new = transitions[transitions["from_segment"] == "New since 2024-09-01"]
        assert new["customers"].sum() == summary["new_customers"]
        assert (new["revenue_before"] == 0).all()
    assert set(summary["model"]) >= {"fitted_on", "method", "k", "features", "clusters"}
    rfm = json.loads((tmp_path / "rfm" / "a" / "summary.json").read_text())
    assert set(rfm["model"]) == {"cut_points_of", "recency", "frequency", "monetary"}
    assert rfm["model"]["cut_points_of"] == "the customers on 2024-12-01"


def test_migrate_defaults_to_the_end_of_the_data_and_90_days_before(tmp_path):
    out = tmp_path / "out"
    assert main(["migrate", str(_input(tmp_path)), "--output-dir", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    # the data covers 2024-01-01 to 2024-01-09, shorter than 90 days: the middle of it
    assert (summary["from_date"], summary["to_date"]) == ("2024-01-05", "2024-01-09")
    customers = pd.read_csv(out / "customers.csv", dtype={"customer_id": str})
    assert customers["customer_id"].tolist() == ["13047", "17850"]
    assert customers["from_segment"].tolist()[0] != "New since 2024-01-05"  # bought on 01-05
    assert customers["country"].tolist() == ["'+France", "United Kingdom"]


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (
            ["--from", "2024-01-08", "--to", "2024-01-03"],
            "error: The dates are in the wrong order: 2024-01-08 is not before 2024-01-03; "
            "give the earlier date first.",
        ),
        (
            ["--from", "2024-01-03", "--to", "2024-02-01"],
            "error: The date 2024-02-01 is after the end of the data (2024-01-09); "
            "choose dates from 2024-01-01 to 2024-01-09.",
        ),
        (
            ["--from", "2023-12-01", "--to", "2024-01-05"],
            "error: No customer had bought anything by 2023-12-01: the first purchase is on "
            "2024-01-01; choose a first date on or after it.",
        ),
        (
            ["--from", "yesterday"],
            "error: The first date 'yesterday' is not a date; write it as YYYY-MM-DD.",
        ),
        (
            ["--snapshot-date", "2024-02-01"],
            "error: --snapshot-date does not apply to migrate: recency is counted to the day "
            "after --from and to the day after --to.",
        ),
    ],
)
def test_migrate_bad_dates_are_one_error_line(tmp_path, capsys, dates, message):
    out = tmp_path / "out"
    assert main(["migrate", str(_input(tmp_path)), "--output-dir", str(out), *dates]) == 2
    error = capsys.readouterr().err
    assert error.startswith(message) and error.count("\n") == 1, error
    assert not out.exists()


def test_migrate_unknown_kind_is_one_error_line(tmp_path, capsys):
    args = ["migrate", str(_input(tmp_path)), "--output-dir", str(tmp_path), "--kind", "tribes"]
    with pytest.raises(SystemExit) as exit_status:
        main(args)
    assert exit_status.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("error: argument --kind: invalid choice: 'tribes'")
    assert error.count("\n") == 1


FORECAST_COLUMNS = [
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "p_no_purchase",
    "expected_order_value",
    "clv",
]


def test_forecast_on_the_demo_data(tmp_path):
    from segmentation.demo import DEMO_TRANSACTIONS
    from segmentation.segments.segment import segment_customers
    from segmentation.transactions.pipeline import run_features
    from segmentation.value.forecast import forecast, segment_labels

    out = tmp_path / "out"
    args = ["forecast", str(DEMO_TRANSACTIONS), "--output-dir", str(out), "--k", "3"]
    assert main([*args, "--risk-days", "60", "--discount-rate", "0.1"]) == 0
    customers = pd.read_csv(out / "customers.csv", dtype={"customer_id": str})
    assert customers.columns.tolist() == FORECAST_COLUMNS
    summary = json.loads((out / "summary.json").read_text())
    assert summary["customers"] == len(customers) == 3000 and summary["k"] == 3
    assert summary["calibration_end"] is None and "backtest" not in summary
    assert (summary["risk_days"], summary["annual_discount_rate"]) == (60, 0.1)
    assert set(summary["model"]) == {"name", "r", "alpha", "a", "b", "log_likelihood"}
    assert set(summary["spend_model"]) == {"name", "p", "q", "v"}
    # the per-segment figures are those of the segmentation of the same options
    run = run_features(DEMO_TRANSACTIONS)
    labels = segment_labels(segment_customers(run.customers, k=3))
    expected = forecast(
        run.purchases, risk_days=60, annual_discount_rate=0.1, segments=labels
    ).segments["segment"]
    written = pd.DataFrame(summary["segments"]["segment"]).set_index("segment")
    assert written.index.tolist() == expected.index.tolist()
    np.testing.assert_allclose(written["clv_total"], expected["clv_total"], atol=1e-4)
    assert written["customers"].sum() == 3000
    np.testing.assert_allclose(customers["clv"].sum(), summary["clv"], atol=1)


def test_forecast_with_a_calibration_end_is_deterministic(tmp_path):
    from segmentation.demo import DEMO_TRANSACTIONS

    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        args = ["forecast", str(DEMO_TRANSACTIONS), "--output-dir", str(out)]
        assert main([*args, "--calibration-end", "2024-09-09", "--time-unit", "week"]) == 0
        outputs.append(out)
    for file in ("customers.csv", "summary.json"):
        assert (outputs[0] / file).read_bytes() == (outputs[1] / file).read_bytes()
    customers = pd.read_csv(outputs[0] / "customers.csv", dtype={"customer_id": str})
    assert customers.columns.tolist() == [*FORECAST_COLUMNS, "holdout_purchases", "holdout_revenue"]
    summary = json.loads((outputs[0] / "summary.json").read_text())
    backtest = summary["backtest"]
    assert summary["calibration_end"] == "2024-09-09" and summary["time_unit"] == "week"
    assert backtest["customers"] == len(customers) < 3000  # those who had bought by then
    assert backtest["actual_purchases"] == customers["holdout_purchases"].sum()
    assert set(backtest["baseline"]) == {"predicted_purchases", "mae", "rmse", "correlation"}
    assert backtest["correlation"] > backtest["baseline"]["correlation"]
    assert "clearly different rate" in backtest["warning"]
    at_end = summary["segments_at_calibration_end"]
    assert sum(s["customers"] for s in summary["segments"]["segment"]) == len(customers)
    assert len(summary["segments"]["segment"]) == at_end["k"] == summary["k"]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--calibration-end", "2020-01-01"], "is before the first purchase (2023-12-01)"),
        (["--calibration-end", "2024-12-08"], "leaves a holdout with no days"),
        (["--calibration-end", "2024-09-31"], "The calibration end '2024-09-31' is not a date"),
        (["--horizon-days", "0"], "The horizon must be a number of days from 1 to 3650"),
        (["--horizon-days", "ten"], "argument --horizon-days: invalid float value: 'ten'"),
        (["--time-unit", "month"], "argument --time-unit: invalid choice: 'month'"),
    ],
)
def test_bad_forecast_options_are_one_error_line(tmp_path, capsys, options, words):
    from segmentation.demo import DEMO_TRANSACTIONS

    args = ["forecast", str(DEMO_TRANSACTIONS), "--output-dir", str(tmp_path), *options]
    try:
        status = main(args)
    except SystemExit as parser_exit:  # the parser's own errors end the process
        status = parser_exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err, err


def test_forecast_on_too_little_history_is_one_error_line(tmp_path, capsys):
    args = ["forecast", str(_input(tmp_path)), "--output-dir", str(tmp_path / "out")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Only 1 customer(s) bought more than once, too few to fit")
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_a_forecast_that_does_not_converge_is_one_error_line(tmp_path, capsys, monkeypatch):
    from segmentation.demo import DEMO_TRANSACTIONS
    from segmentation.value import bg_nbd

    monkeypatch.setattr(bg_nbd, "GRADIENT_TOLERANCE", 0.0)
    args = ["forecast", str(DEMO_TRANSACTIONS), "--output-dir", str(tmp_path / "out")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The BG/NBD fit did not converge") and err.count("\n") == 1


RECOMMEND_FILES = ("recommendations.csv", "products.csv", "summary.json")


def test_recommend_on_the_demo_data_is_deterministic(tmp_path):
    from segmentation.demo import DEMO_TRANSACTIONS

    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        args = ["recommend", str(DEMO_TRANSACTIONS), "--output-dir", str(out), "--k", "3"]
        assert main([*args, "--calibration-end", "2024-09-09", "--top", "5"]) == 0
        outputs.append(out)
    for file in RECOMMEND_FILES:
        assert (outputs[0] / file).read_bytes() == (outputs[1] / file).read_bytes(), file
    lists = pd.read_csv(outputs[0] / "recommendations.csv", dtype={"customer_id": str})
    assert lists.columns.tolist() == [
        "customer_id",
        "kind",
        "rank",
        "stock_code",
        "description",
        "score",
    ]
    assert set(lists["kind"]) == {"buy_again", "discover"} and lists["rank"].max() == 5
    products = pd.read_csv(outputs[0] / "products.csv")
    assert products.columns.tolist() == [
        "stock_code",
        "description",
        "category",
        "customers",
        "orders",
        "quantity",
        "revenue",
        "median_price",
    ]
    summary = json.loads((outputs[0] / "summary.json").read_text())
    # the lists cover the customers of the calibration period only
    assert lists["customer_id"].nunique() < summary["customers"] == 3000
    assert summary["k"] == 3 and len(summary["segments"]) == 3
    segment = summary["segments"][0]
    assert {"segment", "customers", "top_categories", "top_products", "promote"} <= set(segment)
    assert set(segment["top_categories"][0]) == {"category", "share", "lift"}
    assert sum(s["customers"] for s in summary["rfm_segments"]) == 3000
    backtest = summary["backtest"]
    assert backtest["calibration_end"] == "2024-09-09"
    for kind in ("discover", "buy_again"):
        assert set(backtest[kind]) == {"customers", "hit_rate", "recall", "baseline"}
    assert sum(c["revenue_share"] for c in summary["categories"]) == pytest.approx(1, abs=1e-3)
    assert summary["rows_in"] > summary["rows_out"]


def test_recommend_neutralises_hostile_descriptions(tmp_path):
    rows = [
        (str(n), code, text, 1, f"2024-01-{n + 1:02d} 10:00", 2.0, cid, "United Kingdom")
        for n, (code, text, cid) in enumerate(
            [
                ("A", '=HYPERLINK("http://x")', 1),
                ("K", "<script>alert(1)</script>", 1),
                ("A", '=HYPERLINK("http://x")', 2),
                ("C", "@SUM(1)", 2),
                ("K", "<script>alert(1)</script>", 3),
                ("A", '=HYPERLINK("http://x")', 3),
            ]
        )
    ]
    source = tmp_path / "hostile.csv"
    source.write_bytes(retail_csv(rows))
    out = tmp_path / "out"
    assert main(["recommend", str(source), "--output-dir", str(out), "--k", "2"]) == 0
    safe = {'\'=HYPERLINK("http://x")', "<script>alert(1)</script>", "'@SUM(1)"}
    products = pd.read_csv(out / "products.csv", dtype=str)
    assert set(products["description"]) == safe  # text in a CSV, never a formula
    lists = pd.read_csv(out / "recommendations.csv", dtype=str)
    assert set(lists["description"]) <= safe and len(set(lists["description"])) > 1


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--calibration-end", "2020-01-01"], "is outside the data"),
        (["--calibration-end", "2024-12-08"], "is the last purchase date"),
        (["--calibration-end", "2024-09-31"], "The calibration end '2024-09-31' is not a date"),
        (["--top", "0"], "--top 0 is not a number of products"),
        (["--column", "description=InvoiceNo"], None),
    ],
)
def test_bad_recommend_options_are_one_error_line(tmp_path, capsys, options, words):
    from segmentation.demo import DEMO_TRANSACTIONS

    args = ["recommend", str(DEMO_TRANSACTIONS), "--output-dir", str(tmp_path), *options]
    if words is None:  # a file without descriptions
        source = tmp_path / "plain.csv"
        data = pd.read_csv(DEMO_TRANSACTIONS).drop(columns="Description").head(2000)
        data.to_csv(source, index=False)
        args = ["recommend", str(source), "--output-dir", str(tmp_path)]
        words = "This data has no product description column"
    try:
        status = main(args)
    except SystemExit as parser_exit:
        status = parser_exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err, err
