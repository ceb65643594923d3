"""The running app in headless Chromium: every page renders, uploads and downloads work.

Screenshots of every page go to ``tests/screenshots/`` (not committed). Skipped when
Chromium or Playwright is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from app.navigation import PAGES as NAVIGATION
from app.navigation import SECTIONS
from bench.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    full_height,
    go,
    running_app,
    settle,
)
from tests.samples import ROOT

pytestmark = pytest.mark.browser

SHOTS = ROOT / "tests" / "screenshots"
#: url path -> page title, in menu order.
PAGES = {page.url_path: page.page_heading for page in NAVIGATION}
SMALL_CSV = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    + "".join(
        f"{500 + i},{20000 + i % 7},ITEM {i % 7},{1 + i % 5},2024-0{1 + i % 9}-1{i % 9} 10:00,"
        f"{1.5 + i % 4},{17000 + i % 23},{['United Kingdom', 'France', 'EIRE'][i % 3]}\n"
        for i in range(300)
    )
).encode()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``streamlit run`` on a free port with the demo data; stop it afterwards."""
    if not Path(CHROMIUM).is_file():
        pytest.skip("Chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with running_app(free_port(), log) as (url, _pid):
        yield url


@pytest.fixture(scope="module")
def browser_page(app_url: str):
    """One Chromium page for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(90_000)
        yield page
        browser.close()


def _screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    full_height(page, SHOTS / f"{name}.png", 1400, least=1000, most=12_000, wait=800)


#: Smallest height of a row (or width of a column) of a chart with named rows, in pixels:
#: a label of 11-pixel text with a little room.
MIN_BAND = 16
#: Every chart's plot area and its discrete axes: (axis, values, plot size along it).
CHART_BANDS = """() => [
    ...document.querySelectorAll('[data-testid=stVegaLiteChart]')
].map(chart => {
    const frame = chart.querySelector('path.background');
    const box = frame ? frame.getBBox() : {width: 0, height: 0};
    return [...chart.querySelectorAll('g[aria-roledescription="axis"]')].map(axis => {
        const label = axis.getAttribute('aria-label') || '';
        const found = label.match(/^([XY])-axis.*discrete scale with (\\d+) value/);
        return found && [found[1], Number(found[2]), found[1] === 'X' ? box.width : box.height];
    }).filter(Boolean);
})"""


def squashed_charts(page) -> list[str]:
    """The charts whose named rows or columns are too thin to read."""
    return [
        f"chart {number}: {axis} axis of {values} values in {size:.0f} px"
        for number, bands in enumerate(page.evaluate(CHART_BANDS), start=1)
        for axis, values, size in bands
        if size / values < MIN_BAND
    ]


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stSidebar"]')
    settle(page)


def test_a_first_visit_to_a_page_address_goes_through_the_router(tmp_path: Path) -> None:
    """A fresh server whose first visit is a page's address: the page is shown inside the
    router (its menu sections, the sidebar controls, the banner), not on its own."""
    if not Path(CHROMIUM).is_file():
        pytest.skip("Chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with (
        running_app(free_port(), tmp_path / "server.log") as (url, _pid),
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(90_000)
        _open(page, f"{url}/clustering")
        page.get_by_role("heading", name="Clustering").first.wait_for(state="visible")
        sections = page.locator('[data-testid="stNavSectionHeader"]').all_inner_texts()
        assert sections == list(SECTIONS)
        links = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
        # Each link reads "<icon name>\n\n<title>": the icon is a ligature of its name.
        assert [link.splitlines()[-1].strip() for link in links] == [e.title for e in NAVIGATION]
        sidebar = page.locator('[data-testid="stSidebarUserContent"]')
        # the controls wait in popovers that say the current choice; opened, they show it
        assert sidebar.get_by_text("Demo data (synthetic): demo_transactions").count() == 1
        sidebar.get_by_text("Snapshot date: the day after the last purchase").click()
        page.locator('[data-testid="stDateInput"]').wait_for(state="visible")
        assert page.get_by_text("You are looking at the embedded synthetic demo data").count() == 1
        assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()


@pytest.mark.real
@pytest.mark.slow
def test_charts_on_the_real_data_have_readable_rows(
    browser_page, online_retail_path: Path, tmp_path: Path
) -> None:
    """On Online Retail (4 clusters, 11 RFM segments, 37 countries, thousands of products)
    no chart squeezes its named rows or columns; the squashed heat map of clusters against
    RFM segments had 7 px rows."""
    with running_app(free_port(), tmp_path / "server.log", data=online_retail_path) as (url, _):
        context = browser_page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(180_000)
        _open(page, url)
        for entry in (
            "Clustering",
            "Profiles",
            "Value and risk",
            "Movement",
            "What to offer",
            "Cleaning",
            "Bivariate",
            "Demographics",
            "Products",
        ):
            go(page, entry)
            assert page.locator('[data-testid="stException"]').count() == 0, entry
            assert not squashed_charts(page), entry
        context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_without_an_exception(browser_page, app_url: str, path: str) -> None:
    page = browser_page
    _open(page, f"{app_url}/{path}")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.get_by_role("heading", name=PAGES[path]).first.wait_for(state="visible")
    assert not squashed_charts(page)
    _screenshot(page, path or "overview")


def test_a_copied_link_shows_the_same_segments_and_names(browser_page, app_url: str) -> None:
    """Settings given in a link and a segment renamed on the page travel in "Copy link to
    this view" to a new session, which shows the same segments under the same names."""
    page = browser_page
    _open(
        page, f"{app_url}/profiles?method=agglomerative&auto_k=off&k=3&features=recency,frequency"
    )
    name = page.get_by_role("textbox").first
    name.fill("Whales & <friends>")
    name.press("Enter")
    settle(page)
    shown = page.locator('[data-testid="stMain"] strong').all_inner_texts()
    assert "Whales & <friends>" in shown
    page.get_by_role("button", name="Copy link to this view").click()
    link = page.locator('[data-testid="stCode"]').first.inner_text().strip()
    assert "k=3" in link and "method=agglomerative" in link and "name0=" in link
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    visitor = other.new_page()
    visitor.set_default_timeout(90_000)
    _open(visitor, link)
    assert visitor.locator('[data-testid="stMain"] strong').all_inner_texts() == shown
    assert visitor.locator('[data-testid="stAlertContentWarning"]').count() == 0
    other.close()


def test_a_category_renamed_in_the_table_travels_to_the_offers_and_a_link(
    browser_page, app_url: str
) -> None:
    """A new name typed into the Products page's category table is used on the What to
    offer page and carried by "Copy link to this view" to a new session."""
    page = browser_page
    _open(page, f"{app_url}/products")
    table = page.locator('[data-testid="stDataFrame"]').nth(1)  # the catalogue comes first
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + 35 + 17)  # the first category, under the header
    page.wait_for_timeout(500)
    page.keyboard.press("ArrowRight")  # its new name
    page.wait_for_timeout(300)
    page.keyboard.type("Cosy <home>", delay=150)  # the first key opens the cell's editor
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_role("button", name="Copy link to this view").click()
    link = page.locator('[data-testid="stCode"]').first.inner_text().strip()
    _screenshot(page, "products-renamed")
    assert "category0=Cosy+%3Chome%3E" in link, (link, page.url)
    go(page, "What to offer")
    assert page.get_by_text("Offer Cosy <home>:", exact=False).count() == 1
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    visitor = other.new_page()
    visitor.set_default_timeout(90_000)
    _open(visitor, link.replace("/products?", "/offer?"))
    assert visitor.get_by_text("Offer Cosy <home>:", exact=False).count() == 1
    assert visitor.locator('[data-testid="stAlertContentWarning"]').count() == 0
    other.close()


def test_upload_of_a_good_then_a_bad_file(browser_page, app_url: str, tmp_path: Path) -> None:
    page = browser_page
    _open(page, f"{app_url}/data")
    good = tmp_path / "small.csv"
    good.write_bytes(SMALL_CSV)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    page.get_by_text("Uploaded file: small.csv").wait_for()
    settle(page)
    page.get_by_role("heading", name="small.csv").wait_for(state="visible")

    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"just one line of text\n")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    page.get_by_text("The data loaded before is still in use.").wait_for()
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() >= 1
    page.get_by_role("heading", name="small.csv").wait_for(state="visible")
    _screenshot(page, "upload-error")


def test_downloads_of_the_segments(browser_page, app_url: str, tmp_path: Path) -> None:
    page = browser_page
    _open(page, f"{app_url}/profiles")
    with page.expect_download() as download:
        page.get_by_role("button", name="Customers with segments (CSV)").click()
    path = tmp_path / "segments.csv"
    download.value.save_as(path)
    frame = pd.read_csv(path, dtype=str)
    assert {"customer_id", "recency", "frequency", "monetary", "segment"} <= set(frame.columns)
    assert len(frame) > 0 and frame["segment"].notna().all()
    text_cells = frame.stack()
    assert not text_cells.str.match(r"^[=+@]").any()

    with page.expect_download() as download:
        page.get_by_role("button", name="Segment report (HTML)").click()
    report = tmp_path / "report.html"
    download.value.save_as(report)
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
