"""Soak the running app: sequential browser sessions over every page, errors and server RSS.

Run from the repository root: ``python -m bench.soak_app [--sessions 20] [--url URL --pid PID]``.
Without ``--url`` the script starts ``streamlit run streamlit_app.py`` on ``--port`` (on the
demo data) and stops it at the end. Each session is a new browser context (a new Streamlit
session) that opens the app and visits every page from the sidebar menu; it counts
exceptions shown on a page, error alerts, browser console errors, uncaught page errors and
failed HTTP requests, then prints the server's resident memory. The script exits with
status 1 when any error was counted. Needs Playwright and Chromium (``/usr/bin/chromium``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MENU,
    Problems,
    go,
    open_session,
    rss_mb,
    running_app,
)


def soak(url: str, pid: int | None, sessions: int) -> int:
    """Run the sessions; print one line per session; return the number of errors."""
    from playwright.sync_api import sync_playwright

    total = 0
    curve: list[float] = []
    if pid:
        print(f"server RSS before the first session: {rss_mb(pid):,.0f} MB")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for number in range(1, sessions + 1):
            problems = Problems()
            start = time.perf_counter()
            page = open_session(browser, url, problems)
            for entry in MENU:
                go(page, entry)
                problems.check_page(page, entry)
            page.context.close()
            seconds = time.perf_counter() - start
            total += len(problems.items)
            memory = "n/a"
            if pid:
                curve.append(rss_mb(pid))
                memory = f"{curve[-1]:,.0f} MB"
            print(
                f"session {number:2d}: {len(MENU)} pages in {seconds:5.1f} s, "
                f"errors {len(problems.items)}, server RSS {memory}",
                flush=True,
            )
            for item in problems.items:
                print(f"    {item}")
        browser.close()
    print(f"errors in {sessions} sessions: {total}")
    if curve:
        print(
            "server RSS (MB): "
            + " ".join(f"{value:.0f}" for value in curve)
            + f"  (first {curve[0]:.0f}, max {max(curve):.0f}, last {curve[-1]:.0f})"
        )
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--url", help="a running app (default: start one)")
    parser.add_argument("--pid", type=int, help="process id of the app at --url, for its RSS")
    parser.add_argument("--port", type=int, default=8614, help="port of the app started here")
    args = parser.parse_args()
    if args.url:
        errors = soak(args.url.rstrip("/"), args.pid, args.sessions)
    else:
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"soak_app_{args.port}.log"
        with running_app(args.port, log) as (url, pid):
            errors = soak(url, pid, args.sessions)
    raise SystemExit(1 if errors else 0)


if __name__ == "__main__":
    main()
