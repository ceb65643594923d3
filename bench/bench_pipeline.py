"""Benchmark of the transaction stage on the real data: load, clean, features.

Prints the median wall time of each stage (after imports) and the peak resident
memory of a fresh process per format. Not a test: run it by hand,
``python -m bench.bench_pipeline [--repeat N] [--formats parquet,csv,xlsx]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_scale import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "online_retail.parquet"


def write_formats(folder: Path, formats: list[str]) -> dict[str, Path]:
    """Write the real data as Kaggle's CSV (ISO-8859-1, ``12/1/2010 8:26``) and as .xlsx."""
    import pandas as pd

    raw = pd.read_parquet(DATA)
    paths = {"parquet": DATA}
    if "csv" in formats:
        kaggle = raw.assign(InvoiceDate=raw["InvoiceDate"].dt.strftime("%-m/%-d/%Y %-H:%M"))
        paths["csv"] = folder / "data.csv"
        kaggle.to_csv(paths["csv"], index=False, encoding="ISO-8859-1", errors="replace")
    if "xlsx" in formats:
        paths["xlsx"] = folder / "Online Retail.xlsx"
        with pd.ExcelWriter(paths["xlsx"], engine="xlsxwriter") as writer:
            raw.to_excel(writer, sheet_name="Online Retail", index=False)
    return {f: p for f, p in paths.items() if f in formats}


def measure(path: str, repeat: int) -> dict[str, object]:
    """In this process: time each stage ``repeat`` times; return medians and peak RSS."""
    from segmentation.transactions.cleaning import clean_transactions
    from segmentation.transactions.features import customer_features
    from segmentation.transactions.pipeline import read_transactions

    times: dict[str, list[float]] = {"load": [], "clean": [], "features": [], "total": []}
    for _ in range(repeat):
        start = time.perf_counter()
        loaded = read_transactions(path)
        loaded_at = time.perf_counter()
        cleaned = clean_transactions(loaded)
        cleaned_at = time.perf_counter()
        customers = customer_features(cleaned)
        done = time.perf_counter()
        times["load"].append(loaded_at - start)
        times["clean"].append(cleaned_at - loaded_at)
        times["features"].append(done - cleaned_at)
        times["total"].append(done - start)
    peak_mb = peak_rss_mb()
    return {
        "customers": len(customers),
        "medians": {stage: statistics.median(values) for stage, values in times.items()},
        "peak_rss_mb": peak_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-r", "--repeat", type=int, default=7)
    parser.add_argument("--formats", default="parquet,csv,xlsx")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return
    if not DATA.is_file():
        sys.exit(f"The real data is not at {DATA}; nothing to measure.")
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory() as folder:
        paths = write_formats(Path(folder), formats)
        header = ("format", "load s", "clean s", "features s", "total s", "peak RSS MB")
        print("{:8} {:>8} {:>8} {:>10} {:>8} {:>12}".format(*header))
        for name, path in paths.items():
            repeat = min(args.repeat, 3) if name == "xlsx" else args.repeat
            child = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.bench_pipeline",
                    "--child",
                    str(path),
                    "-r",
                    str(repeat),
                ],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            result = json.loads(child.stdout)
            m = result["medians"]
            print(
                f"{name:8} {m['load']:8.3f} {m['clean']:8.3f} {m['features']:10.3f} "
                f"{m['total']:8.3f} {result['peak_rss_mb']:12.0f}"
            )
    xlsx_repeat = min(args.repeat, 3)
    print(
        f"medians of {args.repeat} runs (xlsx: {xlsx_repeat}) after imports, a process per format"
    )


if __name__ == "__main__":
    main()
