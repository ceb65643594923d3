"""Time every page of the app through AppTest: cold (empty cache) and warm, median of 5.

Run from the repository root: ``python bench/bench_app.py [--repeat 5] [--pages NAME ...]``.
The real data (``../shared/data/online_retail.parquet``) is timed when it is present.
"Cold" is a new session with every Streamlit cache cleared, in a process whose imports are
already loaded; the first run of a fresh process adds a few seconds of imports on top.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from app.navigation import PAGES as NAVIGATION

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
REAL = ROOT.parent / "shared" / "data" / "online_retail.parquet"
#: Page name (the end of its file name) -> file, in menu order.
PAGES = {Path(page.path).stem: page.path for page in NAVIGATION}


def time_page(page: str, repeat: int) -> tuple[float, float]:
    """Median seconds of a cold run (cache cleared, new session) and of a warm rerun."""
    cold, warm = [], []
    for _ in range(repeat):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=600)
        if page != "overview":
            at.switch_page(PAGES[page])
        start = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - start)
        if at.exception:
            raise SystemExit(f"{page}: {at.exception[0].value}")
    return statistics.median(cold), statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pages", nargs="*", default=list(PAGES))
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    data_sets = {"demo": None}
    if REAL.is_file():
        data_sets["real (UCI Online Retail)"] = str(REAL)
    print(f"| data | page | cold s (median of {args.repeat}) | warm s (median of {args.repeat}) |")
    print("| --- | --- | ---: | ---: |")
    for label, path in data_sets.items():
        if path is None:
            os.environ.pop("SEGMENTATION_DATA", None)
        else:
            os.environ["SEGMENTATION_DATA"] = path
        for page in args.pages:
            cold, warm = time_page(page, args.repeat)
            print(f"| {label} | {page} | {cold:.2f} | {warm:.2f} |", flush=True)


if __name__ == "__main__":
    main()
