"""A newcomer's first impression: seconds from opening the address to the first figure.

Run from the repository root: ``python -m bench.bench_first_page [--rounds 3] [--app DIR ...]``.
Each round starts a fresh server for every target (this checkout's app, any other
checkout given with ``--app``, and a bare Streamlit page with one ``st.metric``), opens
the address in a new headless Chromium context and times until the first metric is
visible: the first visit to a fresh server. Once that session's script has finished (the
Overview computes its segments after the figures), a second new context on the same, now
warm, server is timed the same way: a new session on a warm server, in a browser that has
not seen the app (it loads Streamlit's scripts and fonts). Last, once that one has finished
too, a new tab in that browser: a new session whose browser has the scripts and fonts
already. Targets take turns within
each round, so a drift of the machine's speed touches them alike. Prints the median of
the rounds and every figure.

The time is taken in the page: from the start of the navigation to the first animation
frame after the first metric has a size (a ``MutationObserver`` watches for it).
Playwright's own wait polls at growing intervals (0, 20, 50, 100, 100, then every 500 ms),
which rounds a figure that appears past 0.3 s after loading up to the next half second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from bench.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, running_app, settle

BARE_PAGE = 'import streamlit as st\n\nst.metric("Customers", "3,000")\n'
FIGURE = '[data-testid="stMetric"]'
VIEWPORT = {"width": 1400, "height": 1000}


#: Records ``window.firstFigure``: milliseconds from the start of the navigation to the
#: first animation frame after a metric is laid out with a size.
FIRST_FIGURE_WATCH = f"""
new MutationObserver((_, observer) => {{
  const figure = document.querySelector('{FIGURE}');
  if (figure && figure.getBoundingClientRect().height > 0) {{
    observer.disconnect();
    requestAnimationFrame(() => {{ window.firstFigure = performance.now(); }});
  }}
}}).observe(document, {{childList: true, subtree: true}});
"""


def first_figure(context, url: str) -> float:
    """Seconds from opening ``url`` in a new tab of ``context`` until the first metric is
    drawn, timed in the page; then waits for the script run to finish."""
    page = context.new_page()
    page.add_init_script(FIRST_FIGURE_WATCH)
    page.goto(url)
    page.wait_for_function("window.firstFigure !== undefined", timeout=180_000)
    seconds = page.evaluate("window.firstFigure") / 1000
    settle(page)
    return seconds


def measure(browser, script: Path, cwd: Path, log: Path) -> tuple[float, float, float]:
    """First visit to a fresh server; a new session on the same warm server from a new
    browser; a new session from a second tab of that browser."""
    with running_app(free_port(), log, script=script, cwd=cwd) as (url, _pid):
        fresh = first_figure(browser.new_context(viewport=VIEWPORT), url)
        context = browser.new_context(viewport=VIEWPORT)
        warm = first_figure(context, url)
        tab = first_figure(context, url)
    return fresh, warm, tab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--app", type=Path, nargs="*", default=[], help="other checkouts of the app to time"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="first_page_"))
    bare = workdir / "bare_page.py"
    bare.write_text(BARE_PAGE)
    targets = {"this app": (Path("streamlit_app.py"), ROOT)}
    for checkout in args.app:
        targets[str(checkout)] = (Path("streamlit_app.py"), checkout.resolve())
    targets["bare page"] = (bare, ROOT)
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in targets}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for round_number in range(1, args.rounds + 1):
            for name, (script, cwd) in targets.items():
                log = workdir / f"{name.replace('/', '_')}_{round_number}.log"
                figures[name].append(measure(browser, script, cwd, log))
                fresh, warm, tab = figures[name][-1]
                print(
                    f"round {round_number}, {name}: fresh {fresh:.2f} s, warm {warm:.2f} s, "
                    f"second tab {tab:.2f} s"
                )
        browser.close()
    bare = [statistics.median(run[i] for run in figures["bare page"]) for i in range(3)]
    print(f"\nmedians of {args.rounds} rounds (load average {os.getloadavg()[0]:.1f} at the end)")
    print(
        f"{'target':<28} {'fresh server':>13} {'x bare':>7} {'warm server':>12} {'x bare':>7} "
        f"{'second tab':>11}"
    )
    for name, runs in figures.items():
        fresh, warm, tab = (statistics.median(run[i] for run in runs) for i in range(3))
        print(
            f"{name:<28} {fresh:>11.2f} s {fresh / bare[0]:>6.2f}x {warm:>10.2f} s "
            f"{warm / bare[1]:>6.2f}x {tab:>9.2f} s"
        )


if __name__ == "__main__":
    main()
