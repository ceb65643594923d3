"""The Movement page through AppTest: the figures are the package's, bad dates are one
sentence and leave the page as it was, the dates stay across pages, downloads are safe."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from segmentation.demo import DEMO_TRANSACTIONS
from segmentation.movement.flows import largest_flow_sentence, migrate
from segmentation.movement.snapshots import customer_snapshots
from segmentation.outputs.export import is_formula
from segmentation.read.loading import load_transactions
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.orders import order_purchases
from tests.samples import ROOT, hostile_csv

APP = str(ROOT / "streamlit_app.py")
PAGE = "pages/forward/movement.py"


def open_movement() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def compare(at: AppTest, start: date | None = None, end: date | None = None, kind=None):
    if start:
        at.date_input(key="movement_from").set_value(start)
    if end:
        at.date_input(key="movement_to").set_value(end)
    if kind:
        at.radio(key="movement_kind").set_value(kind)
    at.button(key="compare_dates").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_state(at: AppTest) -> tuple:
    """What the page shows besides its errors and inputs."""
    return (
        [(m.label, m.value) for m in at.metric],
        [m.value for m in at.markdown],
        [c.value for c in at.caption],
        len(at.get("plotly_chart")),
        len(at.get("vega_lite_chart")),
        [b.label for b in at.get("download_button")],
    )


@pytest.fixture(scope="module")
def demo_movement():
    clean = clean_transactions(load_transactions(DEMO_TRANSACTIONS))
    return migrate(customer_snapshots(order_purchases(clean.orders, clean.backend)), "rfm")


def test_the_page_shows_the_package_figures_on_the_demo(demo_movement, downloads) -> None:
    at = open_movement()
    assert at.title[0].value == "Movement"
    assert not at.error
    assert at.date_input(key="movement_from").value == date(2024, 9, 9)
    assert at.date_input(key="movement_to").value == date(2024, 12, 8)
    summary = demo_movement.summary()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customers on 2024-09-09"] == f"{summary['customers_from']:,}"
    assert metrics["Customers on 2024-12-08"] == f"{summary['customers_to']:,}"
    assert metrics["New since 2024-09-09"] == f"{summary['new_customers']:,}"
    bullets = next(m.value for m in at.markdown if m.value.startswith("- "))
    assert bullets.split("\n")[0] == f"- {largest_flow_sentence(demo_movement)}"
    assert len(bullets.split("\n")) == len(demo_movement.sentences())
    assert len(at.get("plotly_chart")) == 1 and len(at.get("vega_lite_chart")) == 1
    # the files are made when a button is clicked, not on every run of the page (the
    # fixture makes them as a click would)
    buttons = at.get("download_button")
    assert len(buttons) == 3
    assert all(b.proto.deferred_file_id and not b.proto.url for b in buttons)
    # the chosen flow's customers, as the package lists them, through the safe CSV
    flow = at.selectbox(key="movement_flow").value
    largest = demo_movement.moves().iloc[0]
    assert flow == (largest["from_segment"], largest["to_segment"])
    name = "movement_hibernating_to_lost.csv"
    table = pd.read_csv(io.BytesIO(downloads[name]), dtype={"customer_id": str})
    expected = demo_movement.flow_customers(*flow)
    assert table["customer_id"].tolist() == expected["customer_id"].tolist()
    assert table["revenue_before"].sum() == pytest.approx(largest["revenue_before"], abs=0.05)
    flows = pd.read_csv(io.BytesIO(downloads["movement_2024-09-09_2024-12-08_transitions.csv"]))
    assert flows["customers"].sum() == summary["customers_to"]
    # another flow
    at.selectbox(key="movement_flow").set_value(("New since 2024-09-09", "Promising")).run()
    assert not at.exception
    assert "movement_new_since_2024_09_09_to_promising.csv" in downloads


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            date(2024, 12, 1),
            date(2024, 10, 1),
            "The dates are in the wrong order: 2024-12-01 is not before 2024-10-01; "
            "give the earlier date first.",
        ),
        (
            date(2024, 10, 1),
            date(2025, 3, 1),
            "The date 2025-03-01 is after the end of the data (2024-12-08); "
            "choose dates from 2023-12-01 to 2024-12-08.",
        ),
        (
            date(2023, 6, 1),
            date(2024, 10, 1),
            "No customer had bought anything by 2023-06-01: the first purchase is on "
            "2023-12-01; choose a first date on or after it.",
        ),
    ],
)
def test_bad_dates_are_one_sentence_and_leave_the_page_as_it_was(start, end, message) -> None:
    at = compare(open_movement(), date(2024, 6, 1), date(2024, 9, 1))
    assert not at.error
    before = page_state(at)
    compare(at, start, end)
    assert [e.value for e in at.error] == [f"{message} The last dates that worked are shown."]
    assert page_state(at) == before
    # other pages are as they were
    at.switch_page("pages/data/overview.py").run()
    assert not at.exception and not at.error


def test_bad_dates_on_a_first_visit_are_one_sentence() -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(PAGE)
    at.session_state["movement_period"] = (date(2023, 12, 1), date(2024, 12, 8))
    at.session_state["movement_from"] = date(2024, 12, 8)
    at.session_state["movement_to"] = date(2024, 12, 1)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The dates are in the wrong order: 2024-12-08 is not before 2024-12-01; "
        "give the earlier date first."
    ]
    assert not at.metric and not at.get("plotly_chart")


def test_dates_and_kind_stay_across_pages_and_clusters_follow_the_clustering_page(
    demo_run, downloads
) -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/segment/clustering.py").run()
    at.toggle(key="cluster_auto_k").set_value(False)
    at.slider(key="cluster_k").set_value(3)
    at.button(key="run_clustering").click().run()
    at.switch_page(PAGE).run()
    compare(at, date(2024, 7, 1), date(2024, 11, 30), "cluster")
    assert not at.error
    assert any("(kmeans, k = 3)" in c.value for c in at.caption)
    # the package's clusters at k = 3, fitted after measuring every k
    snapshots = customer_snapshots(demo_run.purchases, date(2024, 7, 1), date(2024, 11, 30))
    expected = migrate(snapshots, "cluster", k=3).transitions.round(2)
    flows = pd.read_csv(io.BytesIO(downloads["movement_2024-07-01_2024-11-30_transitions.csv"]))
    pd.testing.assert_frame_equal(flows, expected, check_dtype=False)
    at.switch_page("pages/segment/profiles.py").run()
    at.switch_page(PAGE).run()
    assert at.date_input(key="movement_from").value == date(2024, 7, 1)
    assert at.date_input(key="movement_to").value == date(2024, 11, 30)
    assert at.radio(key="movement_kind").value == "cluster"
    assert "Customers on 2024-07-01" in [m.label for m in at.metric]


def test_new_data_gets_its_own_default_dates() -> None:
    at = compare(open_movement(), date(2024, 6, 1), date(2024, 9, 1))
    at.switch_page("pages/data/data.py").run()
    small = (
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        b"1,A,MUG,6,2010-12-01 08:26,2.55,17850,United Kingdom\n"
        b"2,B,JUG,6,2010-12-02 08:28,1.85,17850,United Kingdom\n"
        b"3,A,MUG,32,2010-12-03 08:34,1.69,13047,France\n"
        b"4,C,JAM,6,2010-12-05 08:34,4.25,12583,EIRE\n"
    )
    at.file_uploader(key="uploader").set_value(("small.csv", small, "text/csv")).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    # shorter than 90 days: the middle of the period
    assert at.date_input(key="movement_from").value == date(2010, 12, 3)
    assert at.date_input(key="movement_to").value == date(2010, 12, 5)
    assert {m.label: m.value for m in at.metric}["New since 2010-12-03"] == "1"


def test_hostile_data_downloads_are_neutralised(downloads) -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/data/data.py").run()
    data = hostile_csv(seed=14)
    at.file_uploader(key="uploader").set_value(("shop.csv", data, "text/csv")).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    every = next(v for k, v in downloads.items() if k.endswith("_customers.csv"))
    cells = pd.read_csv(io.BytesIO(every), dtype=str).stack()
    assert not cells.map(is_formula).any()
    assert '\'=HYPERLINK("http://x","y")' in set(cells)


def _story() -> None:
    """A page that tells the largest move, as the Overview's story would."""
    import streamlit as st

    from app.movement import largest_move
    from app.session import current_bundle

    st.markdown(largest_move(current_bundle()) or "nothing to tell")


def test_largest_move_for_the_overview(demo_movement) -> None:
    at = AppTest.from_function(_story, default_timeout=180)
    at.run()
    assert not at.exception and not at.error
    assert at.markdown[0].value == largest_flow_sentence(demo_movement)
