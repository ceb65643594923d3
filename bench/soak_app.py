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
import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Menu entry -> page heading, in menu order.
MENU = {
    "Overview": "Customer segmentation",
    "Data": "Data",
    "Cleaning": "Cleaning",
    "Univariate": "Univariate",
    "Bivariate": "Bivariate",
    "Demographics": "Demographics",
    "Clustering": "Clustering",
    "Profiles": "Profiles",
}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
UPLOADER = '[data-testid="stFileUploaderDropzoneInput"]'


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (from ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextlib.contextmanager
def running_app(port: int, log: Path) -> Iterator[tuple[str, int]]:
    """Start the app on ``port`` (demo data); yield its URL and process id; stop it after."""
    env = {k: v for k, v in os.environ.items() if k != "SEGMENTATION_DATA"}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"streamlit did not start:\n{log.read_text()}") from None
                time.sleep(0.5)
        yield url, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def settle(page) -> None:
    """Wait until the script has finished and the charts have drawn."""
    page.wait_for_selector(IDLE, timeout=180_000)
    page.wait_for_timeout(1_000)
    page.wait_for_selector(IDLE, timeout=180_000)


def go(page, entry: str) -> None:
    """Open a page from the sidebar menu (the same session) and wait for it."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=entry).click()
    page.get_by_role("heading", name=MENU[entry]).first.wait_for(state="visible")
    settle(page)


@dataclass
class Problems:
    """What went wrong in one browser session."""

    items: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda m: self.items.append(f"console: {m.text[:160]}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.items.append(f"page error: {str(e)[:160]}"))
        page.on("requestfailed", lambda r: self.items.append(f"failed: {r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: self.items.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )

    def check_page(self, page, where: str) -> None:
        for selector, what in (
            ('[data-testid="stException"]', "exception"),
            ('[data-testid="stAlertContentError"]', "error alert"),
        ):
            count = page.locator(selector).count()
            if count:
                text = page.locator(selector).first.inner_text()[:160]
                self.items.append(f"{where}: {count} {what}(s): {text}")


def open_session(browser, url: str, problems: Problems):
    """A new context (a new Streamlit session) on the app's first page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(180_000)
    problems.watch(page)
    page.goto(url)
    page.wait_for_selector('[data-testid="stSidebar"]')
    settle(page)
    return page


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
            memory = f"{rss_mb(pid):,.0f} MB" if pid else "n/a"
            if pid:
                curve.append(rss_mb(pid))
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
