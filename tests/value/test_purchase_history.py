"""The purchase history: conventions checked on a table worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import ModelError
from segmentation.value.purchase_history import purchase_history
from tests.samples import assert_one_sentence

#: Calibration to 2024-01-10 inclusive; the last purchase is on 2024-01-20.
ROWS = [
    # A: 01-01 twice (one purchase day, 15), 01-04 (20), 01-10 at 23:59 (30, calibration);
    #    holdout 01-15 twice (one day, 10) and 01-20 (4).
    ("A", "2024-01-01 09:00", 10.0),
    ("A", "2024-01-01 17:00", 5.0),
    ("A", "2024-01-04 12:00", 20.0),
    ("A", "2024-01-10 23:59", 30.0),
    ("A", "2024-01-15 10:00", 7.0),
    ("A", "2024-01-15 11:00", 3.0),
    ("A", "2024-01-20 08:00", 4.0),
    # B: one purchase on 01-03, nothing later.
    ("B", "2024-01-03 14:00", 12.0),
    # C: first purchase after the calibration end: not a calibration customer.
    ("C", "2024-01-11 00:30", 9.0),
    ("C", "2024-01-20 07:00", 1.0),
    # D: 01-02 (5), two orders on 01-09 (8 + 2); holdout 01-11 just after midnight (6).
    ("D", "2024-01-02 10:00", 5.0),
    ("D", "2024-01-09 10:00", 8.0),
    ("D", "2024-01-09 18:00", 2.0),
    ("D", "2024-01-11 00:00", 6.0),
]


def purchases() -> pd.DataFrame:
    table = pd.DataFrame(ROWS, columns=["customer_id", "invoice_date", "revenue"])
    return table.assign(invoice_date=pd.to_datetime(table["invoice_date"]))


def test_calibration_and_holdout_in_days_by_hand() -> None:
    given = purchases()
    before = given.copy()
    history = purchase_history(given, "2024-01-10", "day")
    table = history.customers
    assert list(table.index) == ["A", "B", "D"]
    assert table.index.name == "customer_id"
    assert table["frequency"].tolist() == [2, 0, 1]
    assert table["recency"].tolist() == [9.0, 0.0, 7.0]
    assert table["T"].tolist() == [9.0, 7.0, 8.0]
    assert table["monetary_value"].tolist() == [25.0, 0.0, 10.0]
    assert table["holdout_purchases"].tolist() == [2, 0, 1]
    assert table["holdout_revenue"].tolist() == [14.0, 0.0, 6.0]
    assert history.holdout_days == 10
    assert history.holdout_length == 10.0
    assert history.calibration_end == pd.Timestamp("2024-01-10")
    pd.testing.assert_frame_equal(given, before)


def test_weeks_divide_recency_and_T_by_seven() -> None:
    history = purchase_history(purchases(), pd.Timestamp("2024-01-10 08:00"), "week")
    table = history.customers
    np.testing.assert_allclose(table["recency"], [9 / 7, 0.0, 1.0])
    np.testing.assert_allclose(table["T"], [9 / 7, 1.0, 8 / 7])
    assert table["frequency"].tolist() == [2, 0, 1]
    assert history.holdout_days == 10
    assert history.holdout_length == pytest.approx(10 / 7)


def test_no_calibration_end_uses_all_data_without_holdout() -> None:
    history = purchase_history(purchases(), None, "day")
    table = history.customers
    assert list(table.index) == ["A", "B", "C", "D"]
    assert table["frequency"].tolist() == [4, 0, 1, 2]
    assert table["recency"].tolist() == [19.0, 0.0, 9.0, 9.0]
    assert table["T"].tolist() == [19.0, 17.0, 9.0, 18.0]
    assert table["monetary_value"].tolist() == [(20 + 30 + 10 + 4) / 4, 0.0, 1.0, 8.0]
    assert "holdout_purchases" not in table.columns
    assert history.holdout_days == 0


def test_matches_a_loop_over_customers_on_random_orders() -> None:
    rng = np.random.default_rng(7)
    n = 2_000
    start = pd.Timestamp("2023-01-01")
    table = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 300, n),
            "invoice_date": start + pd.to_timedelta(rng.integers(0, 200 * 24 * 60, n), "min"),
            "revenue": rng.gamma(2.0, 10.0, n).round(2),
        }
    )
    end = pd.Timestamp("2023-05-01")
    got = purchase_history(table, end, "week").customers
    expected = {}
    for customer, rows in table.groupby("customer_id"):
        days = rows.groupby(rows["invoice_date"].dt.normalize())["revenue"].sum().sort_index()
        calibration, holdout = days[days.index <= end], days[days.index > end]
        if calibration.empty:
            continue
        first, last = calibration.index[0], calibration.index[-1]
        repeat = calibration.iloc[1:]
        expected[customer] = (
            len(repeat),
            (last - first).days / 7,
            (end - first).days / 7,
            repeat.mean() if len(repeat) else 0.0,
            len(holdout),
            holdout.sum(),
        )
    columns = ["frequency", "recency", "T", "monetary_value"]
    columns += ["holdout_purchases", "holdout_revenue"]
    want = pd.DataFrame.from_dict(expected, orient="index", columns=columns)
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got[columns].to_numpy(float), want.to_numpy(float), rtol=1e-12)


def test_time_zone_aware_dates_keep_their_local_calendar_day() -> None:
    table = purchases()
    aware = table.assign(invoice_date=table["invoice_date"].dt.tz_localize("Asia/Tokyo"))
    got = purchase_history(aware, "2024-01-10", "day").customers
    want = purchase_history(table, "2024-01-10", "day").customers
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize(
    ("change", "end", "unit", "words"),
    [
        (None, "2023-12-31", "day", "before the first purchase"),
        (None, "2024-01-21", "day", "after the last purchase"),
        (None, "2024-01-20", "day", "holdout with no days"),
        (None, "2024-01-10", "month", "Unknown time unit"),
        (None, "someday", "day", "not a date"),
        ("empty", None, "day", "no rows"),
        ("no revenue", None, "day", "lacks the column(s) revenue"),
        ("text dates", None, "day", "not dates"),
        ("missing id", None, "day", "missing value"),
    ],
)
def test_errors_are_one_actionable_sentence(
    change: str | None, end: str | None, unit: str, words: str
) -> None:
    table = purchases()
    if change == "empty":
        table = table.iloc[:0]
    elif change == "no revenue":
        table = table.drop(columns="revenue")
    elif change == "text dates":
        table = table.assign(invoice_date=table["invoice_date"].astype(str))
    elif change == "missing id":
        table = table.assign(customer_id=table["customer_id"].where(table.index != 3))
    with pytest.raises(ModelError) as error:
        purchase_history(table, end, unit)  # type: ignore[arg-type]
    assert words in str(error.value)
    assert_one_sentence(str(error.value))
