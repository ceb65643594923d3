"""Lifetime value: the documented sum of discounted expected purchases times expected spend."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import ModelError
from segmentation.value.bg_nbd import BgNbdFit, expected_purchases
from segmentation.value.gamma_gamma import GammaGammaFit, expected_spend
from segmentation.value.lifetime_value import lifetime_value
from tests.samples import assert_one_sentence

PURCHASES = BgNbdFit(r=0.2426, alpha=4.4136, a=0.7929, b=2.4259)  # CDNOW, weeks
SPEND = GammaGammaFit(p=6.25, q=3.74, v=15.44)
WEEKS = pd.DataFrame(
    {
        "frequency": [0, 1, 2, 7, 20],
        "recency": [0.0, 5.0, 30.43, 29.43, 38.0],
        "T": [38.86, 20.0, 38.86, 38.86, 39.0],
        "monetary_value": [0.0, 100.0, 20.0, 35.0, 12.5],
    },
    index=pd.Index(list("ABCDE"), name="customer_id"),
)


def test_without_discount_the_steps_telescope_to_purchases_times_spend() -> None:
    spend = expected_spend(SPEND, WEEKS)
    for horizon, step in [(365.0, 365 / 12), (100.0, 7.0), (30.0, 365.0)]:
        value = lifetime_value(
            PURCHASES, SPEND, WEEKS, time_unit="week", horizon_days=horizon, step_days=step
        )
        want = spend * expected_purchases(PURCHASES, WEEKS, horizon / 7)
        np.testing.assert_allclose(value, want, rtol=1e-12)
        assert list(value.index) == list("ABCDE")


def test_discount_applies_at_the_end_of_each_step_by_hand() -> None:
    """Horizon 50 days in steps of 30: purchases of days 0-30 discounted by 1.1^(30/365),
    those of days 30-50 by 1.1^(50/365)."""
    spend = expected_spend(SPEND, WEEKS)
    first = expected_purchases(PURCHASES, WEEKS, 30 / 7)
    both = expected_purchases(PURCHASES, WEEKS, 50 / 7)
    want = spend * (first / 1.1 ** (30 / 365) + (both - first) / 1.1 ** (50 / 365))
    value = lifetime_value(
        PURCHASES,
        SPEND,
        WEEKS,
        time_unit="week",
        horizon_days=50,
        annual_discount_rate=0.1,
        step_days=30,
    )
    np.testing.assert_allclose(value, want, rtol=1e-12)


def test_days_and_weeks_give_the_same_value() -> None:
    """A history in days is the one in weeks times 7, with alpha times 7 (lambda per day)."""
    days = WEEKS.assign(recency=WEEKS["recency"] * 7, T=WEEKS["T"] * 7)
    per_day = BgNbdFit(PURCHASES.r, PURCHASES.alpha * 7, PURCHASES.a, PURCHASES.b)
    options = {"horizon_days": 400.0, "annual_discount_rate": 0.08}
    in_weeks = lifetime_value(PURCHASES, SPEND, WEEKS, time_unit="week", **options)
    in_days = lifetime_value(per_day, SPEND, days, time_unit="day", **options)
    np.testing.assert_allclose(in_days, in_weeks, rtol=1e-10)


def test_value_grows_with_the_horizon_and_shrinks_with_the_discount() -> None:
    values = [
        lifetime_value(PURCHASES, SPEND, WEEKS, time_unit="week", horizon_days=h)
        for h in (30, 365, 3 * 365)
    ]
    assert (values[0] > 0).all()
    assert (values[1] > values[0]).all() and (values[2] > values[1]).all()
    discounted = lifetime_value(
        PURCHASES, SPEND, WEEKS, time_unit="week", horizon_days=365, annual_discount_rate=0.2
    )
    assert (discounted < values[1]).all()
    # Discounting a year at 20% costs less than the whole year's factor 1/1.2.
    assert (discounted > values[1] / 1.2).all()


def test_no_dropout_fit_gives_nbd_purchases_times_spend() -> None:
    edge = BgNbdFit(r=0.72, alpha=65.6, a=0.0, b=math.nan, no_dropout=True)
    days = WEEKS.assign(recency=WEEKS["recency"] * 7, T=WEEKS["T"] * 7)
    value = lifetime_value(edge, SPEND, days, time_unit="day", horizon_days=90)
    want = expected_spend(SPEND, days) * (0.72 + days["frequency"]) * 90 / (65.6 + days["T"])
    np.testing.assert_allclose(value, want, rtol=1e-12)


def test_input_is_not_modified() -> None:
    before = WEEKS.copy()
    lifetime_value(PURCHASES, SPEND, WEEKS, time_unit="week", annual_discount_rate=0.1)
    pd.testing.assert_frame_equal(WEEKS, before)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"time_unit": "month"}, "Unknown time unit"),
        ({"time_unit": "day", "horizon_days": 0}, "horizon"),
        ({"time_unit": "day", "horizon_days": math.inf}, "horizon"),
        ({"time_unit": "day", "step_days": -1}, "step"),
        ({"time_unit": "day", "annual_discount_rate": -1.0}, "discount rate"),
    ],
)
def test_bad_options_are_one_sentence(options: dict, words: str) -> None:
    with pytest.raises(ModelError) as error:
        lifetime_value(PURCHASES, SPEND, WEEKS, **options)
    assert words in str(error.value)
    assert_one_sentence(str(error.value))
