"""The Value and risk page and the predictions on Profiles, through AppTest: the figures are
the package's, the settings and the calibration date change them, and every bad input is one
sentence with the rest of the app as it was."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import streamlit as st

from segmentation.segments.profiles import format_money
from segmentation.segments.segment import segment_customers
from segmentation.value import bg_nbd
from segmentation.value.forecast import forecast, segment_labels
from tests.app.test_app import SMALL_CSV, metrics, open_app
from tests.app.test_links import open_link

VALUE = "pages/forward/value.py"
PROFILES = "pages/segment/profiles.py"


def money(value: float) -> str:
    return f"£{value:,.0f}"


def test_the_page_shows_the_forecast_of_the_demo(demo_run) -> None:
    at = open_app(VALUE)
    assert not at.error
    expected = forecast(demo_run.purchases)
    customers = expected.customers
    silent = customers["p_no_purchase"] > 0.5
    # the 365 days up to the last purchase day, 2024-12-08 (2024 has 366)
    last_year = demo_run.purchases[demo_run.purchases["invoice_date"] >= pd.Timestamp("2023-12-10")]
    at_risk = last_year[last_year["customer_id"].isin(customers.index[silent])]["revenue"].sum()
    shown = metrics(at)
    assert shown["Predicted value, next 365 days"] == money(customers["clv"].sum())
    assert shown["Likely not to buy in 90 days"] == f"{silent.mean():.0%}"
    assert shown["Revenue at risk"] == money(at_risk)
    # the segments of the Clustering page, in their order, with the package's figures
    labels = segment_labels(segment_customers(demo_run.customers))
    table = expected.with_segments(labels).segments["segment"]
    by_segment = next(d.value for d in at.dataframe if "Predicted value (£)" in d.value)
    assert by_segment["Segment"].tolist() == table.index.tolist()
    assert by_segment["Predicted value (£)"].tolist() == table["clv_total"].round(0).tolist()
    # the backtest of the default calibration end, the last 90 days held out
    tested = forecast(demo_run.purchases, calibration_end="2024-09-09").backtest
    assert shown["Correlation per customer"] == f"{tested.figures()['correlation']:.2f}"
    # counted from the purchases: the purchase days after the calibration end of the
    # customers who had bought by then
    day = demo_run.purchases["invoice_date"].dt.normalize()
    calibration = day <= pd.Timestamp("2024-09-09")
    known = demo_run.purchases.loc[calibration, "customer_id"].unique()
    later = demo_run.purchases.assign(day=day)[
        ~calibration & demo_run.purchases["customer_id"].isin(known)
    ]
    held_out = len(later.drop_duplicates(["customer_id", "day"]))
    assert shown["Purchases in the 90 held-out days"] == f"{held_out:,}"
    assert len(at.warning) == 1 and "Christmas" in at.warning[0].value
    caption = f"up to 2024-09-09 of the {len(known):,} customers"
    assert any(caption in c.value for c in at.caption)


def test_settings_change_the_figures_and_travel_in_the_address(demo_run) -> None:
    at = open_app(VALUE)
    at.number_input(key="forecast_horizon").set_value(730).run()
    at.number_input(key="forecast_risk_days").set_value(30).run()
    at.number_input(key="forecast_discount").set_value(10.0).run()
    assert not at.exception and not at.error
    expected = forecast(
        demo_run.purchases, horizon_days=730, risk_days=30, annual_discount_rate=0.1
    ).customers
    shown = metrics(at)
    assert shown["Predicted value, next 730 days"] == money(expected["clv"].sum())
    assert (
        shown["Likely not to buy in 30 days"] == f"{(expected['p_no_purchase'] > 0.5).mean():.0%}"
    )
    params = {name: at.query_params[name] for name in at.query_params}
    assert params == {"horizon": "730", "risk_days": "30", "discount": "10.0"}
    at.selectbox(key="forecast_time_unit").set_value("week").run()
    assert not at.exception and not at.error
    assert metrics(at)["Predicted value, next 730 days"][:-3] == money(expected["clv"].sum())[:-3]


def test_the_calibration_date_picker_moves_the_backtest(demo_run) -> None:
    at = open_app(VALUE)
    at.date_input(key="forecast_calibration_end").set_value(date(2024, 6, 30)).run()
    assert not at.exception and not at.error
    tested = forecast(demo_run.purchases, calibration_end="2024-06-30").backtest
    shown = metrics(at)
    assert shown["Correlation per customer"] == f"{tested.figures()['correlation']:.2f}"
    assert shown[f"Purchases in the {tested.holdout_days} held-out days"] == (
        f"{tested.figures()['actual']:,.0f}"
    )
    assert at.query_params["calibration_end"] == "2024-06-30"


def test_a_calibration_end_with_too_little_history_is_one_sentence() -> None:
    at = open_app(VALUE)
    before = metrics(at)["Predicted value, next 365 days"]
    at.date_input(key="forecast_calibration_end").set_value(date(2023, 12, 2)).run()
    assert not at.exception
    assert len(at.error) == 1 and "too few to fit the BG/NBD model" in at.error[0].value
    assert metrics(at)["Predicted value, next 365 days"] == before  # the rest is as it was


def test_a_link_to_a_calibration_end_outside_the_data_uses_the_default() -> None:
    at = open_link({"calibration_end": "1999-01-01"}, VALUE)
    assert len(at.error) == 1
    assert at.error[0].value.startswith("The calibration end 1999-01-01 is outside the data")
    assert "Purchases in the 90 held-out days" in metrics(at)
    at.run()  # the address, written before the page ran, follows on the next run
    assert not at.error and "calibration_end" not in at.query_params


def test_too_little_history_is_one_sentence_and_profiles_do_without(demo_run) -> None:
    at = open_app("pages/data/data.py")
    at.file_uploader(key="uploader").set_value(("small.csv", SMALL_CSV, "text/csv")).run()
    at.switch_page(VALUE).run()
    assert not at.exception
    assert len(at.error) == 1 and "too few to fit the BG/NBD model" in at.error[0].value
    at.switch_page(PROFILES).run()
    assert not at.exception and not at.error
    assert any(c.value.startswith("No predicted value or risk: Only") for c in at.caption)
    assert not any("predicted in the next" in m.value for m in at.markdown)


def test_a_fit_that_does_not_converge_is_one_sentence(monkeypatch) -> None:
    st.cache_data.clear()
    monkeypatch.setattr(bg_nbd, "GRADIENT_TOLERANCE", 0.0)
    at = open_app(VALUE)
    assert len(at.error) == 1 and "fit did not converge" in at.error[0].value
    at.switch_page(PROFILES).run()
    assert not at.exception and not at.error
    assert any(m.label == "Customers" for m in at.metric)  # the cards are there
    st.cache_data.clear()


def test_profiles_cards_csv_and_report_carry_value_and_risk(demo_run, downloads) -> None:
    at = open_app(PROFILES)
    segmentation = segment_customers(demo_run.customers)
    result = forecast(demo_run.purchases).with_segments(segment_labels(segmentation))
    table = result.segments["segment"]
    # cards run down three columns: compare the sentences, not their order
    lines = sorted(m.value for m in at.markdown if "predicted in the next 365 days" in m.value)
    assert lines == sorted(
        f"{format_money(row.clv_total)} predicted in the next 365 days, "
        f"{format_money(row.clv_mean)} per customer; {row.likely_silent_share:.0%} likely not "
        f"to buy in the next 90 days, {format_money(row.revenue_at_risk)} of revenue at risk."
        for row in table.itertuples()
    )
    customers = pd.read_csv(io.BytesIO(downloads["customer_segments.csv"]), dtype={0: str})
    columns = ["p_alive", "expected_purchases", "p_no_purchase", "expected_order_value", "clv"]
    assert customers.columns[-5:].tolist() == columns
    predicted = result.customers.loc[customers["customer_id"], "clv"].to_numpy()
    assert (customers["clv"] - predicted).abs().max() <= 0.005
    report = downloads["segment_report.html"].decode("utf-8")
    assert "<h2>Value and risk</h2>" in report
    first = table.iloc[0]
    assert f"<p>{format_money(first['clv_total'])} predicted in the next 365 days, " in report
