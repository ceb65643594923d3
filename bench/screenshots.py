"""Full-height screenshots of every page, on the demo data or a data file, to look at.

Run from the repository root:
``python -m bench.screenshots --output DIR [--data FILE] [--pages TITLE ...] [--width 1400]``.
The script starts the app (on ``FILE`` through ``SEGMENTATION_DATA``, else on the demo),
visits the pages of the menu in one session, Clustering first so that every page that
shows segments has them, and saves ``DIR/<url path>.png`` with the window grown to the
height of the page (the app scrolls inside its main block). With ``--output docs/screenshots``
on the demo data it regenerates the README's pictures.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from app.navigation import PAGES
from bench.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    free_port,
    full_height,
    go,
    running_app,
)


def shoot(url: str, output: Path, titles: list[str], width: int) -> list[Path]:
    """Visit every page of ``titles`` in one session and save its screenshot."""
    from playwright.sync_api import sync_playwright

    output.mkdir(parents=True, exist_ok=True)
    order = sorted(PAGES, key=lambda entry: entry.title != "Clustering")
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.set_default_timeout(600_000)
        page.goto(url)
        page.wait_for_selector('[data-testid="stSidebarNav"]')
        for entry in order:
            go(page, entry.title)
            if entry.title in titles:
                path = output / f"{entry.url_path or 'overview'}.png"
                full_height(page, path, width)
                saved.append(path)
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--data", type=Path, help="a transaction file (default: the demo)")
    parser.add_argument("--pages", nargs="*", default=[entry.title for entry in PAGES])
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "screenshots_server.log"
    with running_app(free_port(), log, cwd=ROOT, data=args.data) as (url, _pid):
        for path in shoot(url, args.output, args.pages, args.width):
            print(path)


if __name__ == "__main__":
    main()
