"""Benchmark of large delimited text: load + clean + features of the scaled Online Retail
files written as Kaggle's CSV (dates as ``12/1/2010 8:26``), three ways in the same run:
read by DuckDB into a temporary Parquet file (what files of 100 MB and more get), parsed
in memory (what smaller files get), and the plain pandas way (``read_csv``, boolean masks,
``groupby().agg``).

Each measurement runs in a fresh process, so its peak resident memory is its own;
medians of ``--repeat`` runs. The CSV files are written once to ``--data-dir``, outside
the repository. Not a test: ``python -m bench.bench_text [--scales 1,10] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_scale import pandas_clean, pandas_features, peak_rss_mb, scaled_file
from bench.bench_segmentation import timed

ROOT = Path(__file__).resolve().parents[1]
WAYS = ("engine", "memory", "pandas")


def write_csv(factor: int, data_dir: Path) -> Path:
    """The scaled file as Kaggle's CSV (written once, by DuckDB)."""
    import duckdb

    path = data_dir / f"kaggle_x{factor}.csv"
    if not path.exists():
        source = scaled_file(factor, data_dir)
        columns = "InvoiceNo, StockCode, Description, Quantity, "
        columns += "strftime(InvoiceDate, '%-m/%-d/%Y %-H:%M') AS InvoiceDate, "
        columns += "UnitPrice, CustomerID, Country"
        duckdb.connect().execute(
            f"COPY (SELECT {columns} FROM read_parquet('{source}')) TO '{path}' (HEADER)"
        )
    return path


def measure(way: str, path: str, repeat: int) -> dict[str, object]:
    """Load + clean + features of ``path`` one way, in this process."""
    if way == "pandas":
        import pandas as pd

        def run() -> int:
            raw = pd.read_csv(path, dtype={"InvoiceNo": "str", "StockCode": "str"})
            raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"], format="%m/%d/%Y %H:%M")
            return len(pandas_features(pandas_clean(raw)))

    else:
        from segmentation.transactions.cleaning import clean_transactions
        from segmentation.transactions.features import customer_features
        from segmentation.transactions.pipeline import read_transactions

        threshold = 0 if way == "engine" else 1 << 62

        def run() -> int:
            loaded = read_transactions(path, engine_text_bytes=threshold)
            return len(customer_features(clean_transactions(loaded)))

    seconds, customers = timed(run, repeat)
    return {"seconds": seconds, "customers": customers, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--repeat", type=int, default=3)
    parser.add_argument("--scales", default="1,10")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "segmentation-scale"
    )
    parser.add_argument("--way", choices=WAYS, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.way:
        print(json.dumps(measure(args.way, args.path, args.repeat)))
        return
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; medians of {args.repeat}")
    print(f"{'file':<22}{'MB':>6}" + "".join(f"{way + ' s':>12}{'MB':>8}" for way in WAYS))
    for factor in (int(s) for s in args.scales.split(",")):
        path = write_csv(factor, args.data_dir)
        cells = []
        for way in WAYS:
            command = [sys.executable, "-m", "bench.bench_text", "--way", way]
            command += ["--path", str(path), "--repeat", str(args.repeat)]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            result = json.loads(done.stdout)
            cells.append(f"{result['seconds']:>12.2f}{result['peak_rss_mb']:>8,.0f}")
        size = path.stat().st_size / 1e6
        print(f"{path.name:<22}{size:>6,.0f}" + "".join(cells))


if __name__ == "__main__":
    main()
