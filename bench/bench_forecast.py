"""Speed of the forecast: the purchases table, fit and predictions, the backtest, the
``forecast`` command end to end, and the Value and risk page cold and warm.

Run from the repository root: ``python -m bench.bench_forecast [--repeat 5]
[--scaled /tmp/online_retail_x40.parquet]``; the scaled file is made with
``python -m bench.scale_data --factor 40 --output /tmp/online_retail_x40.parquet`` (outside
the repository). The real data sets are timed where ``../shared/data/`` has them. Medians of
``--repeat`` runs (the command: of 3, each a fresh process with its imports).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

from bench.bench_app import REAL, time_page
from bench.bench_scale import measure_command
from bench.bench_segmentation import timed
from segmentation.demo import DEMO_TRANSACTIONS
from segmentation.transactions.pipeline import run_features
from segmentation.value.forecast import default_calibration_end, forecast

SHARED = REAL.parent


def measure(path: Path, repeat: int) -> dict[str, object]:
    """The stages of a forecast of ``path`` after the pipeline has run (medians)."""
    run = run_features(path)
    start = time.perf_counter()
    purchases = run.purchases  # fetched from the engine once per run
    fetch = time.perf_counter() - start
    fit, result = timed(lambda: forecast(purchases), repeat)
    end = default_calibration_end(purchases)
    backtest, tested = timed(lambda: forecast(purchases, calibration_end=end), repeat)
    correlation = tested.backtest.figures()["correlation"]
    command = measure_command(str(path), 3, "forecast")
    backtested = measure_command(str(path), 3, "forecast", "--calibration-end", f"{end:%Y-%m-%d}")
    return {
        "orders / customers": f"{len(purchases):,} / {len(result.customers):,}",
        "purchases table from the engine": f"{fetch:.2f} s",
        "fit and predictions (BG/NBD, Gamma-Gamma, CLV)": f"{fit:.2f} s",
        "backtest, last 90 days held out (with MBG/NBD)": (
            f"{backtest:.2f} s (r = {correlation:.2f})"
        ),
        "`forecast FILE`, imports included": f"{command['seconds']:.2f} s",
        "`forecast FILE --calibration-end`": f"{backtested['seconds']:.2f} s",
        "peak RSS of the commands": f"{backtested['peak_rss_mb']:,.0f} MB",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scaled", type=Path, help="the 40x file, if made")
    args = parser.parse_args()
    files = {"demo": DEMO_TRANSACTIONS}
    for label, name in (
        ("Online Retail", "online_retail.parquet"),
        ("Online Retail II", "online_retail_ii_2009_2010.parquet"),
    ):
        if (SHARED / name).is_file():
            files[label] = SHARED / name
    if args.scaled is not None:
        files["40x"] = args.scaled
    columns = {label: measure(path, args.repeat) for label, path in files.items()}
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print("| | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for row in next(iter(columns.values())):
        print(f"| {row} | " + " | ".join(str(c[row]) for c in columns.values()) + " |")
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    print("\n| Value and risk page | cold | warm |\n| --- | ---: | ---: |")
    for label, path in (("demo", None), ("Online Retail", REAL if REAL.is_file() else None)):
        if path is None and label != "demo":
            continue
        if path is None:
            os.environ.pop("SEGMENTATION_DATA", None)
        else:
            os.environ["SEGMENTATION_DATA"] = str(path)
        cold, warm = time_page("value", args.repeat)
        print(f"| {label} | {cold:.2f} s | {warm:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
