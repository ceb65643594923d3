"""The running app in headless Chromium, for benchmarks and browser tests: start a server,
open sessions, move between pages, read the server's memory. Needs Playwright and Debian's
Chromium (``/usr/bin/chromium``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.navigation import PAGES

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
MENU = {page.title: page.page_heading for page in PAGES}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
UPLOADER = '[data-testid="stFileUploaderDropzoneInput"]'


def free_port() -> int:
    """A TCP port nobody listens on now, for a server of its own."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def full_height(
    page, path: Path, width: int, *, least: int = 900, most: int = 16_000, wait: int = 1_500
) -> None:
    """Save the whole page: grow the window to the height of the scrolling main area first
    (``least`` to ``most`` pixels), wait ``wait`` ms for the charts to draw, then shrink it
    back to 1000 pixels."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stAppViewContainer]')].map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": width, "height": min(max(height, least), most)})
    page.wait_for_timeout(wait)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": 1000})


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of process ``pid`` in MB (from ``/proc``): now, or with
    ``field="VmHWM"`` the most it has held since it started."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


@contextlib.contextmanager
def running_app(
    port: int,
    log: Path,
    script: Path | str = "streamlit_app.py",
    cwd: Path = ROOT,
    data: Path | None = None,
) -> Iterator[tuple[str, int]]:
    """Start ``script`` (the app, on the demo data or the file ``data``) on ``port`` from the
    folder ``cwd``; yield its URL and process id; stop it after."""
    env = {k: v for k, v in os.environ.items() if k != "SEGMENTATION_DATA"}
    if data is not None:
        env["SEGMENTATION_DATA"] = str(Path(data).resolve())
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
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
