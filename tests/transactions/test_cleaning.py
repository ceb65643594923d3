"""Cleaning: each step's count checked by hand, the account always adds up."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation.errors import CleaningError
from segmentation.read.loading import load_transactions
from segmentation.transactions.cleaning import STEP_NAMES, CleaningOptions, clean_transactions
from tests.samples import retail_csv

T = pd.Timestamp


def _lines(rows: list[tuple]) -> pd.DataFrame:
    columns = ["invoice_no", "stock_code", "quantity", "invoice_date", "unit_price", "customer_id"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["description"] = "ITEM"
    frame["country"] = "United Kingdom"
    frame["quantity"] = frame["quantity"].astype("float64")
    frame["unit_price"] = frame["unit_price"].astype("float64")
    frame["invoice_date"] = pd.to_datetime(frame["invoice_date"])
    for column in ("invoice_no", "stock_code", "customer_id", "description", "country"):
        frame[column] = frame[column].astype("str")
    return frame


DIRTY = _lines(
    [
        ("1", "A", 2, "2024-01-01 10:00", 3.0, "c1"),  # kept: 6.00
        ("1", "A", 2, "2024-01-01 10:00", 3.0, "c1"),  # exact duplicate: 6.00
        ("2", "P2", 1, "2024-01-02 10:00", 5.0, None),  # missing customer: 5.00
        ("3", "A", 2, "2024-01-03 10:00", 3.0, "c1"),  # kept, cancelled later: 6.00
        ("C4", "A", -2, "2024-01-04 10:00", 3.0, "c1"),  # cancellation: -6.00
        ("5", "POST", 1, "2024-01-05 10:00", 18.0, "c2"),  # postage, kept by default: 18.00
        ("6", "P2", 0, "2024-01-06 10:00", 5.0, "c2"),  # zero quantity: 0
        ("7", "P2", 4, "2024-01-07 10:00", 0.0, "c2"),  # zero price: 0
        ("8", "P2", 1, None, 5.0, "c2"),  # unreadable date: 5.00
        ("9", "P2", 3, "2024-01-09 10:00", 2.5, "c2"),  # kept: 7.50
    ]
)


def _removed(result) -> dict[str, int]:
    return {s.name: s.rows_removed for s in result.report.steps}


def test_default_steps_by_hand():
    before = DIRTY.copy()
    result = clean_transactions(DIRTY)
    pd.testing.assert_frame_equal(DIRTY, before)
    assert _removed(result) == {
        "unreadable_lines": 0,
        "invalid_values": 1,
        "missing_customer_id": 1,
        "duplicates": 1,
        "cancellations": 1,
        "non_product": 0,
        "non_positive_quantity": 1,
        "non_positive_price": 1,
    }
    report = result.report
    assert report.rows_in == 10 and report.rows_out == 4
    assert report.rows_in == report.rows_out + report.rows_removed
    assert result.data["invoice_no"].tolist() == ["1", "3", "5", "9"]
    assert result.data["total_purchase"].tolist() == [6.0, 6.0, 18.0, 7.5]
    assert report.revenue_out == pytest.approx(37.5)
    revenue = {s.name: s.revenue_removed for s in report.steps}
    assert revenue["duplicates"] == 6.0 and revenue["cancellations"] == -6.0
    assert revenue["missing_customer_id"] == 5.0
    table = report.table()
    assert table["rows_left"].iloc[-1] == 4
    assert table["rows_removed"].sum() == 6


def test_examples_are_the_removed_rows():
    result = clean_transactions(DIRTY)
    by_name = {s.name: s for s in result.report.steps}
    assert by_name["duplicates"].examples["row"].tolist() == [1]
    assert by_name["cancellations"].examples["invoice_no"].tolist() == ["C4"]
    assert by_name["non_product"].examples.empty


def test_examples_beyond_the_rows_searched_first(monkeypatch):
    # With only the first two rows searched first, the later steps' examples (rows 2-8)
    # come from the search of all rows; the duplicate (row 1) is found in the first.
    monkeypatch.setattr("segmentation.transactions.cleaning.EXAMPLE_ROWS", 2)
    by_name = {s.name: s for s in clean_transactions(DIRTY).report.steps}
    shown = {n: s.examples["row"].tolist() for n, s in by_name.items() if not s.examples.empty}
    assert shown["duplicates"] == [1]
    assert shown["missing_customer_id"] == [2]
    assert shown["cancellations"] == [4]
    assert shown["non_positive_quantity"] == [6]
    assert shown["non_positive_price"] == [7]
    assert shown["invalid_values"] == [8]


def test_optional_steps_net_cancellations_and_non_products():
    options = CleaningOptions(net_cancellations=True, non_product=True)
    result = clean_transactions(DIRTY, options)
    removed = _removed(result)
    assert removed["cancellations"] == 2  # C4 and the purchase it cancels, invoice 3
    assert removed["non_product"] == 1  # POST
    cancellations = next(s for s in result.report.steps if s.name == "cancellations")
    assert cancellations.details == {"originals_matched": 1}
    assert result.data["invoice_no"].tolist() == ["1", "9"]


def test_netting_needs_an_earlier_purchase_of_the_same_quantity():
    frame = _lines(
        [
            ("C1", "A", -2, "2024-01-01 09:00", 3.0, "c1"),  # before any purchase: no match
            ("2", "A", 2, "2024-01-02 10:00", 3.0, "c1"),
            ("3", "A", 5, "2024-01-03 10:00", 3.0, "c1"),
            ("C4", "A", -5, "2024-01-04 10:00", 3.0, "c1"),  # matches invoice 3
            ("C5", "A", -5, "2024-01-05 10:00", 3.0, "c1"),  # invoice 3 already taken
            ("6", "A", 2, "2024-01-06 10:00", 3.0, "c2"),  # other customer
        ]
    )
    result = clean_transactions(frame, CleaningOptions(net_cancellations=True))
    cancellations = next(s for s in result.report.steps if s.name == "cancellations")
    assert cancellations.details == {"originals_matched": 1}
    assert result.data["invoice_no"].tolist() == ["2", "6"]


def test_editable_non_product_codes_with_prefixes():
    frame = _lines(
        [
            ("1", "gift_0001_10", 1, "2024-01-01", 10.0, "c1"),
            ("2", "AMAZONFEE", 1, "2024-01-01", 10.0, "c1"),
            ("3", "85123A", 1, "2024-01-01", 10.0, "c1"),
        ]
    )
    default = clean_transactions(frame, CleaningOptions(non_product=True))
    assert default.data["invoice_no"].tolist() == ["3"]
    custom = CleaningOptions(non_product=True, non_product_codes=("85123*",))
    assert clean_transactions(frame, custom).data["invoice_no"].tolist() == ["1", "2"]


def test_switching_steps_off_keeps_rows():
    options = CleaningOptions().with_steps(duplicates=False, cancellations=False)
    result = clean_transactions(DIRTY, options)
    removed = _removed(result)
    assert removed["duplicates"] == 0 and removed["cancellations"] == 0
    # The duplicate stays; the cancellation (quantity -2) now falls to the quantity step.
    assert removed["non_positive_quantity"] == 2
    assert result.report.rows_out == 5
    assert not next(s for s in result.report.steps if s.name == "duplicates").enabled


def test_cleaning_that_leaves_nothing_names_the_step():
    frame = _lines(
        [("C1", "A", -1, "2024-01-01", 1.0, "c1"), ("C2", "A", -2, "2024-01-02", 1.0, "c1")]
    )
    with pytest.raises(CleaningError, match="the step 'Cancellations' removed the last 2"):
        clean_transactions(frame)


def test_skipped_lines_of_the_loader_are_counted():
    content = retail_csv([("1", "A", "X", 1, "2024-01-01", 2.0, 7, "UK")]) + b"only,three,fields\n"
    result = clean_transactions(load_transactions(content, name="x.csv"))
    first = result.report.steps[0]
    assert first.name == "unreadable_lines" and first.rows_removed == 1
    assert result.report.rows_in == 2 and result.report.rows_out == 1


def test_amount_only_tables():
    frame = pd.DataFrame(
        {
            "invoice_no": ["1", "2", "3"],
            "invoice_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "customer_id": ["a", "a", "b"],
            "amount": [10.0, -4.0, 0.0],
        }
    ).astype({"invoice_no": "str", "customer_id": "str"})
    result = clean_transactions(frame)
    removed = _removed(result)
    assert removed["cancellations"] == 1 and removed["non_positive_price"] == 1
    assert result.data["total_purchase"].tolist() == [10.0]


rows = st.lists(
    st.tuples(
        st.sampled_from(["1", "2", "C3", "4"]),
        st.sampled_from(["A", "P2", "POST"]),
        st.integers(-3, 3),
        st.sampled_from(["2024-01-01", "2024-01-02", None]),
        st.sampled_from([0.0, 1.5, 2.0, -1.0]),
        st.sampled_from(["c1", "c2", None]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=rows, switches=st.lists(st.booleans(), min_size=len(STEP_NAMES), max_size=len(STEP_NAMES))
)
def test_every_row_is_accounted_for(rows, switches):
    frame = _lines(rows)
    before = frame.copy()
    names = [n for n in STEP_NAMES if n != "unreadable_lines"]
    options = CleaningOptions().with_steps(**dict(zip(names, switches, strict=False)))
    try:
        result = clean_transactions(frame, options)
    except CleaningError:
        pd.testing.assert_frame_equal(frame, before)
        return
    pd.testing.assert_frame_equal(frame, before)
    report = result.report
    assert report.rows_in == len(frame)
    assert report.rows_in == report.rows_out + report.rows_removed
    assert len(result.data) == report.rows_out
    assert all(s.rows_removed == 0 for s in report.steps if not s.enabled)
