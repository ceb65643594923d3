"""The Products and What to offer pages through AppTest, on the demo data: the planted tastes
show, category names travel to the other page and in links, a customer's lists, the
backtest, downloads, and data without products."""

from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.navigation import PAGES
from segmentation.demo import DEMO_GROUPS, DEMO_TRANSACTIONS, TASTES
from segmentation.outputs.export import is_formula
from segmentation.products.catalogue import catalogue
from segmentation.segments.segment import segment_customers
from segmentation.transactions.pipeline import run_features
from tests.app.rendered import shown, story_table
from tests.app.test_app import APP, TIMEOUT
from tests.app.test_links import open_link

PRODUCTS = "pages/explore/products.py"
OFFER = "pages/forward/offer.py"
#: The first lines of a file without product codes or descriptions.
NO_PRODUCTS = "Invoice,Date,Customer,Quantity,Price\n" + "".join(
    f"{n},2024-{1 + n % 12:02d}-{1 + n % 27:02d} 10:00,c{n % 40},{1 + n % 3},{2.5 + n % 7}\n"
    for n in range(600)
)


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.fixture(scope="module")
def planted() -> dict[str, str]:
    """The shown name of the demo segment holding most of each planted group."""
    run = run_features(DEMO_TRANSACTIONS)
    segmentation = segment_customers(run.customers)
    groups = pd.read_csv(DEMO_GROUPS, dtype=str).set_index("customer_id")["group"]
    customers = segmentation.customers.assign(group=lambda t: t["customer_id"].map(groups))
    return customers.groupby("group")["segment"].agg(lambda s: s.mode().iloc[0]).to_dict()


def sentence(at: AppTest) -> str:
    """The What to offer page's sentence on the chosen segment, as a reader sees it."""
    return next(shown(m.value) for m in at.markdown if m.value.startswith("Offer "))


def test_the_planted_tastes_lead_each_segments_offer(planted: dict[str, str]) -> None:
    at = open_page(OFFER)
    for group in ("champions", "loyal"):
        at.selectbox(key="offer_segment").set_value(planted[group]).run()
        assert not at.exception
        leading = re.match(r"Offer (.+?):", sentence(at))[1]
        assert leading in TASTES[group], (group, sentence(at))


def test_the_overview_names_what_to_offer_each_segment(planted: dict[str, str]) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    offers = story_table(at)["What to offer"]
    for group in ("champions", "loyal", "at_risk"):
        leading = re.match(r"Offer (.+?):", offers[planted[group]])[1]
        assert leading in TASTES[group], (group, offers[planted[group]])


def test_the_products_page_shows_the_catalogue_categories_and_pareto() -> None:
    at = open_page(PRODUCTS)
    products = catalogue(run_features(DEMO_TRANSACTIONS).cleaned)
    figures = {m.label: m.value for m in at.metric}
    assert figures["Products"] == f"{len(products):,}"
    table = at.dataframe[0].value
    assert len(table) == len(products)
    assert table["description"].tolist() == products["description"].tolist()
    pareto = next(m.value for m in at.markdown if "of products bring" in m.value)
    assert re.match(r"\*\*20% of products bring \d+% of revenue:\*\*", pareto)
    at.text_input(key="products_search").set_value(products["description"].iloc[0]).run()
    assert 1 <= len(at.dataframe[0].value) < len(products)


def test_a_renamed_category_carries_to_the_other_page_and_a_link(planted: dict) -> None:
    at = open_page(PRODUCTS)
    base = [c for c in at.session_state["products_category_signature"][1]]
    position = base.index(TASTES["champions"][0])
    count = int(at.metric[1].value)
    at.session_state["products_category_names"] = {position: "Cosy <home>"}
    at.run()
    assert at.query_params[f"category{position}"] == "Cosy <home>"
    assert int(at.metric[1].value) == count
    at.switch_page(OFFER).run()
    at.selectbox(key="offer_segment").set_value(planted["champions"]).run()
    assert sentence(at).startswith("Offer Cosy <home>:")

    visitor = open_link({f"category{position}": "Cosy <home>"}, OFFER)
    assert not visitor.warning and not visitor.error
    visitor.selectbox(key="offer_segment").set_value(planted["champions"]).run()
    assert sentence(visitor).startswith("Offer Cosy <home>:")

    other = (position + 1) % len(base)
    at.session_state["products_category_names"] = {position: "Both", other: "Both"}
    at.switch_page(PRODUCTS).run()
    assert int(at.metric[1].value) == count - 1


def test_a_customer_look_up_shows_both_lists() -> None:
    at = open_page(OFFER)
    customer = at.selectbox(key="offer_customer").options[-1]
    at.selectbox(key="offer_customer").set_value(customer.split(" ")[0]).run()
    assert not at.exception and not at.error
    bold = [m.value for m in at.markdown]
    assert "**Buy again**" in bold and "**Discover**" in bold
    lists = [d.value for d in at.dataframe if "fallback" in d.value.columns]
    assert len(lists) == 2 and all(len(table) for table in lists)


def test_a_calibration_end_outside_the_data_is_one_sentence_and_the_default_is_tested() -> None:
    at = open_link({"offer_end": "1999-01-01"}, OFFER)
    assert len(at.error) == 1
    assert at.error[0].value.startswith("The calibration end 1999-01-01 is outside the data")
    tested = [m.value for m in at.markdown if m.value.startswith("- Discover")]
    assert len(tested) == 1 and "after 2024-09-09" in tested[0]  # the last 90 days held out
    at.date_input(key="offer_calibration_end").set_value(date(2024, 6, 30)).run()
    assert not at.exception and not at.error
    tested = [m.value for m in at.markdown if m.value.startswith("- Discover")]
    assert len(tested) == 1 and "after 2024-06-30" in tested[0]
    assert at.query_params["offer_end"] == "2024-06-30"


def test_the_downloads_are_complete_and_safe(downloads: dict[str, bytes]) -> None:
    at = open_page(OFFER)
    segment = at.selectbox(key="offer_segment").value
    every = pd.read_csv(io.BytesIO(downloads["customer_lists.csv"]), dtype=str)
    assert {"customer_id", "kind", "rank", "stock_code", "description", "segment"} <= set(
        every.columns
    )
    assert set(every["kind"]) == {"buy_again", "discover"}
    name = next(n for n in downloads if n.startswith("campaign_"))
    campaign = pd.read_csv(io.BytesIO(downloads[name]), dtype=str)
    members = set(every.loc[every["segment"] == segment, "customer_id"])
    assert set(campaign["customer_id"]) == members
    assert list(campaign.columns[1:]) == [
        f"{what}_{rank}" for rank in (1, 2, 3) for what in ("product", "description")
    ]
    at.switch_page(PRODUCTS).run()
    products = pd.read_csv(io.BytesIO(downloads["products.csv"]), dtype=str)
    assert {"stock_code", "description", "category", "revenue"} <= set(products.columns)
    for table in (every, campaign, products):
        assert not table.stack().dropna().map(is_formula).any()


def test_an_uploaded_category_file_is_used_and_a_bad_one_refused() -> None:
    at = open_page(PRODUCTS)
    codes = at.dataframe[0].value["stock_code"].tolist()
    good = "stock_code,category\n" + "".join(
        f"{code},{'Big' if n < 10 else 'Small'}\n" for n, code in enumerate(codes)
    )
    at.file_uploader(key="category_file").set_value(("mine.csv", good.encode(), "text/csv"))
    at.run()
    assert not at.exception and not at.error
    assert at.metric[1].value == "2"
    at.file_uploader(key="category_file").set_value(("bad.csv", b"\x00\xff nothing", "text/csv"))
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "The categories in use are kept." in at.error[0].value
    assert at.metric[1].value == "2"


def test_data_without_products_gets_one_sentence_and_every_other_page_works() -> None:
    at = open_page("pages/data/data.py")
    at.file_uploader(key="uploader").set_value(("plain.csv", NO_PRODUCTS.encode(), "text/csv"))
    at.run()
    assert not at.exception and not at.error
    for entry in PAGES:
        at.switch_page(entry.path).run()
        assert not at.exception, (entry.path, [e.value for e in at.exception])
        errors = [e.value for e in at.error]
        if entry.path in (PRODUCTS, OFFER):
            assert len(errors) == 1 and "product" in errors[0], (entry.path, errors)
        elif entry.path != "pages/forward/value.py":
            assert not errors, (entry.path, errors)
