"""The customer tables of a date from the order table are those counted by hand from the
clean lines, on the demo and on the real data: the one rule of a customer as of a date
(an order belongs to the date of its first line; recency and tenure in whole days to the
day after the date; money summed exactly; the country of most lines)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from segmentation.errors import ModelError
from segmentation.movement.snapshots import customer_snapshots
from segmentation.transactions.features import customers_as_of
from segmentation.transactions.pipeline import FeatureRun, run_features

NINE = Decimal("1e-9")


def by_hand(run: FeatureRun, day: str) -> pd.DataFrame:
    """The customers as of ``day`` counted from the clean lines, indexed by customer id."""
    lines = run.cleaned.data
    lines = lines[lines["customer_id"].notna()]
    order = [lines["customer_id"], lines["invoice_no"]]
    order_day = lines.groupby(order)["invoice_date"].transform("min").dt.normalize()
    until = lines[order_day <= pd.Timestamp(day)].assign(_day=order_day)
    snapshot = pd.Timestamp(day) + pd.Timedelta(days=1)
    grouped = until.groupby("customer_id")
    # each line's amount to the nine decimals the engine keeps, added up exactly
    exact = until["total_purchase"].map(lambda amount: Decimal(repr(amount)).quantize(NINE))
    monetary = exact.groupby(until["customer_id"]).sum().map(float)
    frequency = grouped["invoice_no"].nunique()
    lines_per_country = until.groupby(["customer_id", "country"]).size().rename("n").reset_index()
    main = lines_per_country.sort_values(
        ["customer_id", "n", "country"], ascending=[True, False, True]
    ).drop_duplicates("customer_id")
    return pd.DataFrame(
        {
            "recency": (snapshot - grouped["_day"].max()).dt.days,
            "frequency": frequency,
            "monetary": monetary,
            "total_quantity": grouped["quantity"].sum(),
            "avg_order_value": monetary / frequency,
            "tenure_days": (snapshot - grouped["_day"].min()).dt.days,
            "country": main.set_index("customer_id")["country"],
        }
    )


def check_dates(run: FeatureRun, days: list[str]) -> None:
    for day in days:
        table = customers_as_of(run.purchases, day).customers.set_index("customer_id")
        expected = by_hand(run, day)
        assert table.index.tolist() == sorted(expected.index)
        for column in expected.columns:  # equal to the last bit, not approximately
            assert (table[column].to_numpy() == expected.loc[table.index, column].to_numpy()).all()


def test_the_demo_as_of_dates_is_counted_by_hand(demo_run):
    check_dates(demo_run, ["2024-01-15", "2024-09-09", "2024-12-08"])
    snapshots = customer_snapshots(demo_run.purchases)
    assert (f"{snapshots.from_date}", f"{snapshots.to_date}") == ("2024-09-09", "2024-12-08")
    # at the end of the data, the customers are the pipeline's but for recency and tenure,
    # counted to the day after the date rather than to a day after the last purchase's time
    pipeline = demo_run.customers.drop(columns=["distinct_products", "recency", "tenure_days"])
    pd.testing.assert_frame_equal(snapshots.after[pipeline.columns], pipeline)


def test_tables_given_by_as_of_are_the_snapshots_tables(demo_run):
    """A date's table from ``as_of`` (the app's cached one) is the one used, asked once per
    date, after the dates are checked."""
    asked = []

    def as_of(day):
        asked.append(day)
        return customers_as_of(demo_run.purchases, day).customers

    given = customer_snapshots(demo_run.purchases, "2024-06-30", "2024-12-08", as_of=as_of)
    computed = customer_snapshots(demo_run.purchases, "2024-06-30", "2024-12-08")
    assert [f"{day}" for day in asked] == ["2024-06-30", "2024-12-08"]
    pd.testing.assert_frame_equal(given.before, computed.before)
    pd.testing.assert_frame_equal(given.after, computed.after)
    with pytest.raises(ModelError, match="wrong order"):
        customer_snapshots(demo_run.purchases, "2024-12-08", "2024-06-30", as_of=as_of)
    assert len(asked) == 2


@pytest.mark.real
def test_online_retail_as_of_dates_is_counted_by_hand(online_retail_path):
    check_dates(run_features(online_retail_path), ["2011-03-31", "2011-09-10", "2011-12-09"])


@pytest.mark.real
def test_online_retail_ii_as_of_dates_is_counted_by_hand(online_retail_ii_path):
    check_dates(run_features(online_retail_ii_path), ["2010-03-31", "2010-09-10", "2010-12-09"])
