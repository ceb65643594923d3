"""A fresh server's first visit straight to a page's address shows that page, with the
link's settings, and no notice: every address has a stand-in in ``pages/`` that runs the
router (see :mod:`app.first_visit`)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app.first_visit import ROUTER
from app.navigation import PAGES
from bench.browser import CHROMIUM, CHROMIUM_ARGS, free_port, running_app, settle

PAGES_FOLDER = ROUTER.parent / "pages"
#: Every address that is not the first page, and its stand-in.
STAND_INS = {page.url_path: PAGES_FOLDER / f"{page.url_path}.py" for page in PAGES if page.url_path}
#: A setting each page's link carries (parameter -> value); a page not listed gets the
#: cleaning step, which every page's link carries.
LINKS = {
    "": {"name0": "Whales"},
    "data": {"clean_duplicates": "off"},
    "cleaning": {"clean_duplicates": "off"},
    "univariate": {"variable": "monetary", "view": "log"},
    "bivariate": {"x": "recency", "y": "frequency"},
    "demographics": {"measure": "revenue", "region": "all"},
    "clustering": {"method": "agglomerative", "auto_k": "off", "k": "3"},
    "profiles": {"name0": "Whales"},
    "value": {"horizon": "180"},
    "movement": {"movement": "cluster"},
}
DEFAULT_LINK = {"clean_duplicates": "off"}
#: What would cover the page: Streamlit's "Page not found" notice or any other dialog.
COVERS = '[role="dialog"], [data-testid="stDialog"]'
UPDATE = "Streamlit changed how it starts a server's first session"


def test_every_address_has_a_stand_in_that_runs_the_router() -> None:
    found = {path.stem for path in PAGES_FOLDER.glob("*.py")}
    assert found == set(STAND_INS), (
        f"pages/ should hold exactly one stand-in per address: missing "
        f"{sorted(set(STAND_INS) - found)}, unexpected {sorted(found - set(STAND_INS))}"
    )
    for address, path in STAND_INS.items():
        code = path.read_text()
        assert "from app.first_visit import run_router\n\nrun_router()\n" in code, path
        assert f"/{address} " in code.splitlines()[0], path


def test_streamlit_still_resolves_a_first_visit_through_the_pages_folder() -> None:
    """The Streamlit internals the stand-ins answer: a ``pages/`` folder beside the main
    script makes a server's first session build its menu from ``pages/*.py``, each page at
    the address of its file's name, and an address not in it gets the notice. When this
    fails, Streamlit has changed: check a first visit with the browser test below, and the
    stand-ins and the range of Streamlit in requirements.txt."""
    from streamlit.commands import navigation
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.source_util import page_icon_and_name

    assert hasattr(PagesManager, "uses_pages_directory"), UPDATE
    assert '"pages"' in inspect.getsource(PagesManager.__init__), UPDATE
    assert hasattr(script_runner, "_mpa_v1"), UPDATE
    old_style = inspect.getsource(script_runner._mpa_v1)
    assert 'glob("*.py")' in old_style and "_navigation(" in old_style, UPDATE
    assert "send_page_not_found(ctx)" in inspect.getsource(navigation._navigation), UPDATE
    for address, path in STAND_INS.items():
        assert page_icon_and_name(path)[1] == address, UPDATE


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("Chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("entry", PAGES, ids=lambda entry: entry.url_path or "overview")
def test_a_link_opened_first_on_a_fresh_server_shows_its_page(
    browser, entry, tmp_path: Path
) -> None:
    """Each address on a server of its own, as when a sleeping app wakes for a link: the
    page's heading, the link's settings taken (kept in the address, none ignored), no notice."""
    link = LINKS.get(entry.url_path, DEFAULT_LINK)
    query = "&".join(f"{name}={value}" for name, value in link.items())
    with running_app(free_port(), tmp_path / "server.log") as (url, _pid):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{url}/{entry.url_path}?{query}")
        page.get_by_role("heading", name=entry.page_heading).first.wait_for(state="visible")
        settle(page)
        covers = page.locator(COVERS)
        assert covers.count() == 0, covers.first.inner_text()[:200]
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("were ignored").count() == 0
        kept = {name: values[-1] for name, values in parse_qs(urlsplit(page.url).query).items()}
        assert kept.items() >= link.items(), kept
        assert urlsplit(page.url).path == f"/{entry.url_path}"
        if "name0" in link:
            assert page.get_by_text(link["name0"], exact=True).count() >= 1
        context.close()
