"""The running app in headless Chromium against data that attacks, and two sessions at once.

A hostile file goes through the real uploader and every page is visited in the same
session: no dialog ever opens, no script error goes uncaught, no injected element reaches
the page, the text reads as written, and the downloads are neutralised. Two browser
contexts upload different files at the same moment and each sees only its own data.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from bench.browser import CHROMIUM, CHROMIUM_ARGS, MENU, UPLOADER, go, settle
from segmentation.outputs.export import is_formula
from segmentation.transactions.pipeline import run_features
from tests.app import test_browser
from tests.app.test_browser import _open, _screenshot
from tests.samples import HOSTILE_STRINGS, hostile_csv

pytestmark = pytest.mark.browser

#: The same server fixture as the other browser tests (one server for this module).
app_url = test_browser.app_url
HOSTILE_NAME = "<img src=x onerror=alert(1)>.csv"
INJECTED = """() => ({
    images: document.querySelectorAll('img[src="x"], img[onerror]').length,
    scripts: [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length,
    links: document.querySelectorAll('a[href^="javascript"], [href^="javascript"]').length,
    handlers: [...document.querySelectorAll('*')].filter(
        e => [...e.attributes].some(a => a.name.startsWith('on') && a.value.includes('alert'))
    ).length,
    bold: [...document.querySelectorAll('strong, b')].filter(
        e => e.textContent.trim() === 'bold'
    ).length,
})"""


@pytest.fixture(scope="module")
def browser(app_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser, events: list[str]):
    """A page in a fresh context (its own session); dialogs (dismissed) and uncaught script
    errors are recorded in ``events``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.on("dialog", lambda d: (events.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda error: events.append(f"page error: {error}"))
    return page


def visible_text(page) -> str:
    return page.locator('[data-testid="stApp"]').inner_text().replace("\u200b", "")


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def safe_download(page, button: str) -> pd.DataFrame:
    """The CSV the download ``button`` gives, after checking that no cell is a formula."""
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    table = pd.read_csv(download.value.path(), dtype=str, keep_default_na=False)
    cells = table.stack()
    assert not cells.map(is_formula).any(), cells[cells.map(is_formula)].tolist()
    return table


def test_a_hostile_file_is_text_on_every_page(browser, app_url: str, tmp_path: Path) -> None:
    events: list[str] = []
    page = new_page(browser, events)
    _open(page, f"{app_url}/data")
    upload = tmp_path / HOSTILE_NAME
    upload.write_bytes(hostile_csv())
    page.locator(UPLOADER).set_input_files(str(upload))
    page.get_by_text(f"Uploaded file: {HOSTILE_NAME}").wait_for()
    settle(page)
    hostile = [" ".join(h.split()) for h in HOSTILE_STRINGS]

    for entry in MENU:
        go(page, entry)
        assert page.locator('[data-testid="stException"]').count() == 0, entry
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0, entry
        assert page.evaluate(INJECTED) == dict.fromkeys(
            ("images", "scripts", "links", "handlers", "bold"), 0
        ), entry
        text = visible_text(page)
        if entry == "Data":
            assert "Not used: " + ", ".join(hostile) in text
            page.get_by_role("heading", name=HOSTILE_NAME).wait_for(state="visible")
            _screenshot(page, "hostile-data")
        if entry == "Demographics":
            assert all(h in text for h in hostile), text
            _screenshot(page, "hostile-demographics")

    go(page, "What to offer")
    _screenshot(page, "hostile-offer")
    lists = safe_download(page, "Every customer's lists (CSV)")
    assert "'" + HOSTILE_STRINGS[2] in set(lists["stock_code"])
    assert {"'+1+1", "**bold**"} <= set(lists["description"])

    go(page, "Profiles")
    renamed = "<b>bold</b> <img src=x onerror=alert(1)> **bold**"
    name_box = page.locator('[data-testid="stTextInput"] input').first
    name_box.fill(renamed)
    name_box.press("Enter")
    page.get_by_text(renamed, exact=True).first.wait_for()
    settle(page)
    assert page.evaluate(INJECTED)["images"] == 0 and page.evaluate(INJECTED)["bold"] == 0
    legend = page.locator(".legendtext").all_text_contents()
    assert renamed in legend, legend
    _screenshot(page, "hostile-profiles")

    table = safe_download(page, "Customers with segments (CSV)")
    assert "'" + HOSTILE_STRINGS[2] in set(table["customer_id"])
    assert renamed in set(table["segment"])
    with page.expect_download() as download:
        page.get_by_role("button", name="Segment report (HTML)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "<img" not in report and "&lt;img src=x onerror=alert(1)&gt;" in report
    assert "<b>bold</b>" not in report and "&lt;b&gt;bold&lt;/b&gt;" in report

    assert events == []
    page.context.close()


def test_two_sessions_uploading_at_once_see_only_their_own_data(
    browser, app_url: str, tmp_path: Path
) -> None:
    files = {
        "alpha.csv": hostile_csv(customers=23, lines=6_000, seed=21),
        "beta.csv": hostile_csv(customers=41, lines=6_000, seed=22),
    }
    expected = {
        name: f"{len(run_features(io.BytesIO(data), name=name).customers):,}"
        for name, data in files.items()
    }
    assert expected["alpha.csv"] != expected["beta.csv"]
    events: list[str] = []
    pages = {name: new_page(browser, events) for name in files}
    for page in pages.values():
        _open(page, f"{app_url}/data")
    for name, page in pages.items():  # both uploads are in flight before either is read
        path = tmp_path / name
        path.write_bytes(files[name])
        page.locator(UPLOADER).set_input_files(str(path))
    for name, page in pages.items():
        try:
            page.get_by_text(f"Uploaded file: {name}").wait_for()
        except Exception:
            _screenshot(page, f"concurrent-{name}")
            raise
        settle(page)

    for name, page in pages.items():
        other = next(n for n in files if n != name)
        page.get_by_role("heading", name=name).wait_for(state="visible")
        go(page, "Overview")
        assert metric(page, "Customers") == expected[name]
        text = visible_text(page)
        assert f"Source: {name}." in text and other not in text
        go(page, "Clustering")
        assert metric(page, "Customers") == expected[name]
        assert other not in visible_text(page)
    assert events == []
    for page in pages.values():
        page.context.close()
