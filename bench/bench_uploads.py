"""Server memory while one session uploads five different files of a few MB in a row.

Run from the repository root: ``python -m bench.bench_uploads [--files 5] [--customers 1500]``,
or ``python -m bench.bench_uploads FILE ...`` to upload given files and open every page.
The script starts the app on ``--port``, writes ``--files`` different transaction files
(the demo generator with other seeds: about 4 MB and 54,000 lines each at 1,500
customers), uploads them one after the other through the real uploader in one browser
session, opens the Overview and the Profiles page after each (so every cached step runs),
and prints the server's resident memory after each upload and its peak over the session.
If the session kept a copy of every file, RSS would climb by at least the size of each
file and what is derived from it; bounded caches and one upload slot keep it level after
the first few.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MENU,
    UPLOADER,
    Problems,
    go,
    open_session,
    rss_mb,
    running_app,
    settle,
)
from segmentation.demo import generate_demo

#: Seconds the server is left idle before its settled memory is read (allocators give
#: freed memory back to the system with a delay).
IDLE_SECONDS = 20


def write_files(directory: Path, count: int, customers: int) -> list[Path]:
    """``count`` different transaction CSVs (demo generator, seeds 1, 2, ...)."""
    paths = []
    for seed in range(1, count + 1):
        transactions, _ = generate_demo(seed=seed, customers=customers)
        path = directory / f"shop_{seed}.csv"
        transactions.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M")
        paths.append(path)
    return paths


def _memory(pid: int) -> str:
    """The server's resident memory now and the most it has held so far."""
    return f"server RSS {rss_mb(pid):,.0f} MB (peak so far {rss_mb(pid, 'VmHWM'):,.0f} MB)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--customers", type=int, default=1500)
    parser.add_argument("--port", type=int, default=8615)
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="upload these files instead (e.g. a 10x Parquet file from bench.scale_data); "
        "every page is then opened after each upload, with the server's RSS after each",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        paths = args.paths or write_files(Path(folder), args.files, args.customers)
        pages = list(MENU) if args.paths else ["Overview", "Profiles"]
        log = Path(folder) / "server.log"
        with running_app(args.port, log) as (url, pid), sync_playwright() as playwright:
            print(f"server RSS after start: {rss_mb(pid):,.0f} MB")
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            problems = Problems()
            page = open_session(browser, url, problems)
            go(page, "Profiles")
            print(f"server RSS with the demo data segmented: {rss_mb(pid):,.0f} MB")
            go(page, "Data")
            for number, path in enumerate(paths, 1):
                start = time.perf_counter()
                page.locator(UPLOADER).set_input_files(str(path))
                page.get_by_text(f"Uploaded file: {path.name}").wait_for(timeout=180_000)
                settle(page)
                print(f"  read and cleaned: {_memory(pid)}", flush=True)
                for entry in pages:
                    go(page, entry)
                    if args.paths:
                        problems.check_page(page, f"{path.name}, {entry}")
                        print(f"  {entry}: {_memory(pid)}", flush=True)
                seconds = time.perf_counter() - start
                go(page, "Data")
                problems.check_page(page, path.name)
                print(
                    f"upload {number}: {path.name} ({os.path.getsize(path) / 1e6:.1f} MB) "
                    f"read, segmented and shown in {seconds:.1f} s; server RSS "
                    f"{rss_mb(pid):,.0f} MB",
                    flush=True,
                )
            browser.close()
            time.sleep(IDLE_SECONDS)
            print(f"server RSS after {IDLE_SECONDS} s idle: {rss_mb(pid):,.0f} MB")
            print(f"server peak RSS over the whole session: {rss_mb(pid, 'VmHWM'):,.0f} MB")
            print(f"errors: {len(problems.items)}")
            for item in problems.items:
                print(f"    {item}")


if __name__ == "__main__":
    main()
