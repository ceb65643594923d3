"""A link shows the same view: settings travel in the address and come back from a link;
hostile or invalid values fall back to the defaults with one warning sentence."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from app.navigation import PAGES
from segmentation.demo import DEMO_TRANSACTIONS
from segmentation.segments.segment import segment_customers
from segmentation.transactions.cleaning import CleaningOptions
from segmentation.transactions.pipeline import run_features
from tests.app.rendered import MARKUP, unescaped_markup
from tests.app.test_app import APP, TIMEOUT

PROFILES = "pages/segment/profiles.py"
MOVEMENT = "pages/forward/movement.py"
LINK = {
    "method": "agglomerative",
    "linkage": "average",
    "auto_k": "off",
    "k": "3",
    "features": "recency,frequency",
    "transform": "none",
    "clean_duplicates": "off",
    "name1": "Big spenders <b>",
    "variable": "monetary",
    "view": "log",
}


def open_link(params: dict[str, str], page: str = PROFILES) -> AppTest:
    """A new session opened from a link to ``page`` with ``params``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def card_names(at: AppTest) -> list[str]:
    """The texts in bold alone on the Profiles page, the cards' segment names first."""
    cards = [m.value for m in at.markdown if re.fullmatch(r"\*\*[^*]+\*\*", m.value)]
    return [re.sub(r"\\(.)", r"\1", card[2:-2]) for card in cards]


def test_a_link_gives_the_same_segments_and_names() -> None:
    at = open_link(LINK)
    assert not at.warning
    customers = run_features(
        DEMO_TRANSACTIONS, cleaning=CleaningOptions().with_steps(duplicates=False)
    ).customers
    expected = segment_customers(
        customers,
        features=("recency", "frequency"),
        transform="none",
        method="agglomerative",
        linkage="average",
        k=3,
    )
    names = expected.profiles.table["segment"].tolist()
    names[1] = "Big spenders <b>"
    assert card_names(at)[: len(names)] == names
    assert at.session_state["explore_view_monetary"] == "log"
    written = {name: at.query_params[name] for name in at.query_params}
    assert written == LINK


def test_changed_settings_are_written_into_the_address() -> None:
    at = open_link({}, "pages/segment/clustering.py")
    assert not {name for name in at.query_params} - {"log_axes"}
    at.selectbox(key="cluster_method").set_value("gmm")
    at.toggle(key="cluster_auto_k").set_value(False)
    at.slider(key="cluster_k").set_value(5)
    at.button(key="run_clustering").click().run()
    assert not at.exception
    assert at.query_params["method"] == "gmm"
    assert at.query_params["auto_k"] == "off" and at.query_params["k"] == "5"
    link = at.code[0].value
    query = parse_qs(urlsplit(link).query)
    assert query["method"] == ["gmm"] and query["k"] == ["5"]


@pytest.mark.parametrize(
    "params",
    [
        {"k": "<script>alert(1)</script>", "method": "rm -rf /"},
        {"features": "recency,recency", "snapshot": "2099-99-99", "transform": "**bold**"},
        {"clean_duplicates": "maybe", "k": "11", "auto_k": "1"},
        {"name0": "x" * 500, "name12345": "y", "unknown": "[link](javascript:alert(1))"},
        {"variable": '=HYPERLINK("http://x")', "view": "../../etc/passwd", "data": "upload"},
        {"horizon": "0", "risk_days": "-1", "discount": "nan", "time_unit": "<b>month</b>"},
        {"calibration_end": "2024-13-01", "horizon": "1e9", "discount": "101"},
        {"offer": "<b>rfm</b>", "offer_end": "2024-02-30", "category0": "", "category": "x"},
        {"category1": "x" * 500, "category12345": "y", "category2": "tab\there"},
    ],
)
def test_a_hostile_link_falls_back_to_the_defaults_with_one_sentence(params) -> None:
    for entry in PAGES:
        at = open_link(params, entry.path)
        assert not at.error, (entry.path, [e.value for e in at.error])
        # one sentence on the link (Value and risk may warn about its data as well)
        about_link = [w.value for w in at.warning if w.icon == ":material/link_off:"]
        assert len(about_link) == 1, entry.path
        warning = about_link[0]
        assert warning.startswith("This link's settings")
        assert not MARKUP.search(warning) and not unescaped_markup(warning), warning
        for name in params:
            assert name in warning
        # the address now holds only what was understood: the defaults are left out of it
        assert not set(params) & {name for name in at.query_params}, entry.path


def test_a_link_to_the_movement_page_keeps_its_dates() -> None:
    at = open_link({"from": "2024-06-01", "to": "2024-11-30", "movement": "cluster"}, MOVEMENT)
    assert not at.warning and not at.error
    assert [d.value for d in at.date_input if d.key.startswith("movement_")] == [
        date(2024, 6, 1),
        date(2024, 11, 30),
    ]
    assert at.radio(key="movement_kind").value == "cluster"
    assert "2024-06-01" in " ".join(m.value for m in at.markdown)


def test_a_link_carries_the_forecast_settings() -> None:
    params = {
        "horizon": "730",
        "risk_days": "30",
        "discount": "10.0",
        "time_unit": "week",
        "calibration_end": "2024-06-30",
    }
    at = open_link(params, "pages/forward/value.py")
    assert not [w for w in at.warning if w.icon == ":material/link_off:"]
    assert not at.error
    state = at.session_state
    assert (state["forecast_horizon"], state["forecast_risk_days"]) == (730, 30)
    assert (state["forecast_discount"], state["forecast_time_unit"]) == (10.0, "week")
    assert state["forecast_calibration_end"].isoformat() == "2024-06-30"
    labels = {m.label for m in at.metric}
    assert {"Predicted value, next 730 days", "Likely not to buy in 30 days"} <= labels
    assert any("up to 2024-06-30 of the" in c.value for c in at.caption)
    assert {name: at.query_params[name] for name in at.query_params} == params


def test_a_link_carries_the_offer_settings_and_category_names() -> None:
    params = {"offer": "rfm", "offer_end": "2024-09-01", "category0": "Cosy <home>"}
    at = open_link(params, "pages/forward/offer.py")
    assert not [w for w in at.warning if w.icon == ":material/link_off:"]
    assert not at.error
    assert at.radio(key="offer_kind").value == "rfm"
    assert at.session_state["offer_calibration_end"].isoformat() == "2024-09-01"
    assert at.session_state["products_category_names"] == {0: "Cosy <home>"}
    assert any("2024-09-01" in m.value for m in at.markdown)
    assert {name: at.query_params[name] for name in at.query_params} == params
