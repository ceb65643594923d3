"""Properties over generated transaction files, from the bytes to the named segments.

The cleaning and segmentation modules have their own properties over ready-made tables
(tests/test_cleaning.py, tests/test_segment.py); these start from a file with every kind
of dirt, so reading, value parsing, cleaning, the customer table and the RFM scores are
checked together, each figure against one computed here from the clean rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation.errors import CleaningError, ColumnError, DataError, FileFormatError, ModelError
from segmentation.read.loading import load_transactions
from segmentation.segments.profiles import CLUSTER, SEGMENT
from segmentation.segments.rfm import RFM_SEGMENT, SEGMENT_GRID, SEGMENTS, rfm_scores
from segmentation.segments.segment import segment_customers
from segmentation.transactions.cleaning import CleaningOptions, clean_transactions
from segmentation.transactions.features import customer_table

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
DATES = [
    f"2011-{month:02d}-{day:02d} {hour:02d}:30"
    for month in (1, 6, 11)
    for day in (3, 17)
    for hour in (8, 16)
]
PROPERTY_SETTINGS = settings(
    max_examples=35,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: One line of a shop export: invoice (a C makes it a cancellation), product, description,
#: quantity, date, price, customer (17850 and 17850.0 are one), country; a few values
#: unreadable or missing, and now and then a line cut short.
line = st.tuples(
    st.sampled_from(["1001", "1002", "1003", "1004", "1005"] * 2 + ["C1006"]),
    st.sampled_from(["A", "B", "POST"]),
    st.sampled_from(["MUG", "JUG"]),
    st.sampled_from([str(q) for q in range(1, 9)] * 2 + ["0", "-1", "-2", "x", ""]),
    st.sampled_from([*DATES, "soon", ""]),
    st.sampled_from(["1.50", "2.55", "10", "£3.00"] * 3 + ["0", "-1.00", "abc", ""]),
    st.sampled_from(["c1", "c2", "c3", "c4", "c5", "17850", "17850.0"] * 2 + [""]),
    st.sampled_from(["United Kingdom", "France", ""]),
    st.sampled_from([False] * 7 + [True]),
)
lines = st.lists(line, min_size=1, max_size=30)


def export(rows: list[tuple]) -> bytes:
    """The CSV text of ``rows``; a row whose last flag is set loses its last two fields."""
    out = [HEADER]
    for *fields, short in rows:
        out.append(",".join(fields[:-2] if short else fields))
    return ("\n".join(out) + "\n").encode()


def one_sentence(error: DataError) -> str:
    message = str(error)
    assert "\n" not in message and message.endswith("."), message
    return message


@PROPERTY_SETTINGS
@given(rows=lines, netting=st.booleans(), non_product=st.booleans())
def test_every_line_of_a_file_is_accounted_for_and_customers_add_up(rows, netting, non_product):
    data = export(rows)
    options = CleaningOptions(net_cancellations=netting, non_product=non_product)
    try:
        loaded = load_transactions(data, name="shop.csv")
    except (FileFormatError, ColumnError) as error:
        one_sentence(error)  # every line cut short, or most values of a column unreadable
        return
    loaded_before = loaded.data.copy()
    try:
        cleaned = clean_transactions(loaded, options)
    except CleaningError as error:
        assert one_sentence(error).startswith(f"Cleaning removed all {len(rows):,} rows")
        pd.testing.assert_frame_equal(loaded.data, loaded_before)
        return
    report = cleaned.report
    assert report.rows_in == len(rows)
    assert report.rows_in == report.rows_out + report.rows_removed
    assert report.steps[0].rows_removed == sum(short for *_, short in rows)
    table = customer_table(cleaned)
    pd.testing.assert_frame_equal(loaded.data, loaded_before)

    clean = cleaned.data
    customers = table.customers
    per_customer = clean.groupby("customer_id")
    assert customers["customer_id"].tolist() == sorted(per_customer.groups)
    assert customers["customer_id"].is_unique
    indexed = customers.set_index("customer_id")
    assert (indexed["frequency"] == per_customer["invoice_no"].nunique()).all()
    assert np.allclose(indexed["monetary"], per_customer["total_purchase"].sum())
    days = (table.snapshot_date - per_customer["invoice_date"].max()) // pd.Timedelta(days=1)
    assert (indexed["recency"] == days).all()
    assert (customers["recency"] >= 0).all()
    assert (customers["frequency"] >= 1).all()
    assert (customers["monetary"] > 0).all()
    assert customers["recency"].min() == 1  # the default snapshot: the last purchase + 1 day
    assert "17850.0" not in set(customers["customer_id"])


customer_tables = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 5, 30, 90, 200, 365]),
        st.integers(1, 6),
        st.sampled_from([4.5, 10.0, 99.99, 250.0, 1200.0]),
    ),
    min_size=1,
    max_size=40,
)


@PROPERTY_SETTINGS
@given(rows=customer_tables, order=st.randoms(use_true_random=False))
def test_rfm_scores_are_total_monotone_and_ignore_row_order(rows, order):
    table = pd.DataFrame(rows, columns=["recency", "frequency", "monetary"])
    table.insert(0, "customer_id", [f"k{i}" for i in range(len(table))])
    before = table.copy()
    scores = rfm_scores(table)
    pd.testing.assert_frame_equal(table, before)
    assert scores.index.equals(table.index)
    assert scores[["r_score", "f_score", "m_score"]].isin(range(1, 6)).all().all()
    expected = [
        SEGMENT_GRID[(r, f)] for r, f in zip(scores["r_score"], scores["f_score"], strict=True)
    ]
    assert scores[RFM_SEGMENT].tolist() == expected
    assert set(expected) <= set(SEGMENTS)
    # More recent never scores lower in R; more orders or spend never lower in F or M;
    # equal values share a score.
    for feature, score, sign in (
        ("recency", "r_score", -1),
        ("frequency", "f_score", 1),
        ("monetary", "m_score", 1),
    ):
        ranked = pd.DataFrame({"value": sign * table[feature], "score": scores[score]})
        ranked = ranked.sort_values(["value", "score"])
        assert ranked["score"].is_monotonic_increasing
        assert (ranked.groupby("value")["score"].nunique() == 1).all()
    shuffled = list(table.index)
    order.shuffle(shuffled)
    again = rfm_scores(table.loc[shuffled])
    pd.testing.assert_frame_equal(again.loc[table.index], scores)


#: Lines of up to 15 customers, so that most files have enough of them to segment.
many_customers = st.lists(st.tuples(line, st.integers(1, 15)), min_size=8, max_size=40).map(
    lambda pairs: [(*row[:6], f"k{n}" if row[6] else "", *row[7:]) for row, n in pairs]
)


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(rows=many_customers)
def test_segments_of_a_file_are_total_and_repeat(rows):
    try:
        loaded = load_transactions(export(rows), name="shop.csv")
        customers = customer_table(clean_transactions(loaded)).customers
    except DataError:
        return  # refusals are the first property's business
    before = customers.copy()
    try:
        first = segment_customers(customers)
    except ModelError as error:
        assert any(words in one_sentence(error) for words in ("cannot be split", "too many"))
        return
    pd.testing.assert_frame_equal(customers, before)
    labelled = first.customers
    assert labelled["customer_id"].tolist() == customers["customer_id"].tolist()
    assert labelled[CLUSTER].between(0, first.k - 1).all()
    assert labelled[SEGMENT].notna().all() and labelled[RFM_SEGMENT].isin(list(SEGMENTS)).all()
    names = dict(zip(first.profiles.table[CLUSTER], first.profiles.table[SEGMENT], strict=True))
    assert labelled[SEGMENT].tolist() == [names[c] for c in labelled[CLUSTER]]
    assert first.profiles.table["customers"].sum() == len(customers)
    second = segment_customers(customers)
    pd.testing.assert_frame_equal(second.customers, labelled)
    assert second.summary() == first.summary()
