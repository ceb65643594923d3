"""Benchmark at scale: every stage of ``segment`` at 1x, 10x and 40x the Online Retail file,
beside the same work done the plain pandas way, measured in the same run.

The scaled files are copies of ``../shared/data/online_retail.parquet`` with offset
ids (:mod:`bench.scale_data`), written once to ``--data-dir`` (outside the
repository). Each measurement runs in a fresh process, so its peak resident memory
is its own. Medians of ``--repeat`` runs. Not a test: run it by hand,
``python -m bench.bench_scale [--scales 1,10,40] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_segmentation import timed

ROOT = Path(__file__).resolve().parents[1]
#: The stage that fits on a sample of customers and assigns every customer in the engine.
ASSIGN = "sample fit + assign"
#: Exact silhouettes take time in the square of the customers: above this many customers
#: the pandas way's silhouette is estimated from the largest measured one, not run.
FULL_SILHOUETTE_LIMIT = 50_000


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program (Linux's
    ``VmHWM``; ``ru_maxrss`` would also count the parent's memory before the exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_engine(path: str, repeat: int) -> dict[str, object]:
    """The package's stages, as ``segment`` runs them."""
    from segmentation.segments.assignment import SAMPLE_SIZE, segment_in_engine
    from segmentation.segments.clustering import fit_clusters, recommend_k, sweep_k
    from segmentation.segments.preparation import prepare_features
    from segmentation.segments.profiles import profile_clusters
    from segmentation.segments.rfm import score_cut_points
    from segmentation.transactions.cleaning import clean_transactions
    from segmentation.transactions.features import customer_table, engine_customers
    from segmentation.transactions.pipeline import read_transactions

    medians: dict[str, float] = {}
    medians["load"], loaded = timed(lambda: read_transactions(path), repeat)
    medians["clean"], cleaned = timed(lambda: clean_transactions(loaded), repeat)
    medians["features"], table = timed(lambda: customer_table(cleaned), repeat)
    customers = table.customers
    medians["prepare"], prepared = timed(lambda: prepare_features(customers), repeat)
    medians["sweep"], sweep = timed(lambda: sweep_k(prepared), repeat)
    k, _ = recommend_k(sweep)
    medians["fit + silhouette"], fitted = timed(lambda: fit_clusters(prepared, k), repeat)
    medians["linkage"], _ = timed(lambda: fit_clusters(prepared, k, "agglomerative"), repeat)
    cuts = score_cut_points(customers)
    medians["profiles"], _ = timed(lambda: profile_clusters(customers, fitted.labels, cuts), repeat)
    medians[ASSIGN], _ = timed(
        lambda: segment_in_engine(engine_customers(cleaned), sample_size=SAMPLE_SIZE), repeat
    )
    return {
        "rows": loaded.report.rows_read,
        "customers": len(customers),
        "k": k,
        "medians": medians,
        "notes": list(fitted.notes),
        "peak_rss_mb": peak_rss_mb(),
    }


def pandas_clean(raw):
    """The classic cleaning the plain pandas way: boolean masks and ``drop_duplicates``."""
    kept = raw[raw["CustomerID"].notna()].drop_duplicates()
    cancelled = kept["InvoiceNo"].str.startswith("C") | (kept["Quantity"] < 0)
    kept = kept[~cancelled & (kept["Quantity"] > 0) & (kept["UnitPrice"] > 0)]
    return kept.assign(TotalPurchase=kept["Quantity"] * kept["UnitPrice"])


def pandas_features(lines):
    """The customer table the plain pandas way: ``groupby().agg``."""
    import pandas as pd

    snapshot = lines["InvoiceDate"].max() + pd.Timedelta(days=1)
    customers = lines.groupby("CustomerID").agg(
        last=("InvoiceDate", "max"),
        first=("InvoiceDate", "min"),
        frequency=("InvoiceNo", "nunique"),
        monetary=("TotalPurchase", "sum"),
        total_quantity=("Quantity", "sum"),
        distinct_products=("StockCode", "nunique"),
    )
    country = lines.groupby(["CustomerID", "Country"]).size().rename("n").reset_index()
    country = country.sort_values(["CustomerID", "n"], ascending=[True, False])
    customers["country"] = country.drop_duplicates("CustomerID").set_index("CustomerID")["Country"]
    customers["recency"] = (snapshot - customers.pop("last")).dt.days
    customers["tenure_days"] = (snapshot - customers.pop("first")).dt.days
    customers["avg_order_value"] = customers["monetary"] / customers["frequency"]
    return customers


def measure_pandas(path: str, repeat: int, full_silhouette: bool) -> dict[str, object]:
    """The same work the plain pandas way: read, boolean masks, ``drop_duplicates``,
    ``groupby().agg``, then scikit-learn k-means with an exact silhouette."""
    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    def model(customers: pd.DataFrame) -> tuple[np.ndarray, list[KMeans]]:
        matrix = np.log1p(customers[["recency", "frequency", "monetary"]].clip(lower=0))
        matrix = StandardScaler().fit_transform(matrix)
        return matrix, [KMeans(k, random_state=0).fit(matrix) for k in range(2, 11)]

    medians: dict[str, float] = {}
    medians["load"], raw = timed(lambda: pd.read_parquet(path), repeat)
    medians["clean"], lines = timed(lambda: pandas_clean(raw), repeat)
    medians["features"], customers = timed(lambda: pandas_features(lines), repeat)
    medians["sweep"], (matrix, fits) = timed(lambda: model(customers), repeat)
    labels = fits[2].labels_  # k = 4
    if full_silhouette:
        medians["silhouette"], _ = timed(lambda: silhouette_score(matrix, labels), repeat)
    return {"customers": len(customers), "medians": medians, "peak_rss_mb": peak_rss_mb()}


def measure_command(
    path: str, repeat: int, command: str = "segment", *options: str
) -> dict[str, float]:
    """``python -m segmentation COMMAND`` end to end, imports included, in a child process."""
    times = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "segmentation",
                    command,
                    path,
                    "--output-dir",
                    out,
                    *options,
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": statistics.median(times), "runs": times, "peak_rss_mb": peak}


def child(*arguments: str) -> dict[str, object]:
    command = [sys.executable, "-m", "bench.bench_scale", *arguments]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def scaled_file(factor: int, data_dir: Path) -> Path:
    from bench.scale_data import SOURCE, write_scaled

    if factor == 1:
        return SOURCE
    path = data_dir / f"online_retail_x{factor}.parquet"
    if not path.exists():
        write_scaled(factor, path)
    return path


def report(factor: int, engine: dict, pandas: dict, command: dict, estimate: float | None) -> None:
    sizes = f"{engine['rows']:,} rows, {engine['customers']:,} customers, k = {engine['k']}"
    print(f"\n{factor}x: {sizes}")
    print(f"  {'stage':<18}{'package':>10}{'pandas way':>12}")
    for stage in ("load", "clean", "features"):
        mine, theirs = engine["medians"][stage], pandas["medians"][stage]
        print(f"  {stage:<18}{mine:>9.2f}s{theirs:>11.2f}s")
    mine = sum(engine["medians"][s] for s in ("load", "clean", "features"))
    theirs = sum(pandas["medians"][s] for s in ("load", "clean", "features"))
    print(f"  {'load+clean+feat.':<18}{mine:>9.2f}s{theirs:>11.2f}s   ({theirs / mine:.1f}x)")
    for stage in ("prepare", "sweep", "fit + silhouette", "linkage", "profiles", ASSIGN):
        other = pandas["medians"].get({"fit + silhouette": "silhouette"}.get(stage, stage))
        shown = f"{other:>11.2f}s" if other is not None else ""
        if stage == "fit + silhouette" and other is None and estimate is not None:
            shown = f"{estimate:>10.0f}s*"
        print(f"  {stage:<18}{engine['medians'][stage]:>9.2f}s{shown}")
    print(
        f"  peak RSS: stages {engine['peak_rss_mb']:,.0f} MB, pandas way "
        f"{pandas['peak_rss_mb']:,.0f} MB"
    )
    print(
        f"  python -m segmentation segment: {command['seconds']:.2f} s end to end "
        f"(imports included), peak RSS {command['peak_rss_mb']:,.0f} MB"
    )
    for note in engine["notes"]:
        print(f"  note: {note}")
    if estimate is not None:
        print("  * exact silhouette not run: estimated from the largest measured, x (n/n0)^2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--repeat", type=int, default=3)
    parser.add_argument("--scales", default="1,10,40")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "segmentation-scale"
    )
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--pandas", help=argparse.SUPPRESS)
    parser.add_argument("--full-silhouette", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--command", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(measure_engine(args.engine, args.repeat)))
        return
    if args.pandas:
        print(json.dumps(measure_pandas(args.pandas, args.repeat, args.full_silhouette)))
        return
    if args.command:
        print(json.dumps(measure_command(args.command, args.repeat)))
        return
    from bench.scale_data import SOURCE

    if not SOURCE.is_file():
        print(f"The real data is not at {SOURCE}; the scaled files are copies of it.")
        return
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GB; "
        f"load average {os.getloadavg()[0]:.2f}; medians of {args.repeat}"
    )
    measured: tuple[int, float] | None = None  # customers, seconds of the exact silhouette
    for factor in (int(s) for s in args.scales.split(",")):
        path = str(scaled_file(factor, args.data_dir))
        repeat = str(args.repeat)
        engine = child("--engine", path, "--repeat", repeat)
        full = engine["customers"] <= FULL_SILHOUETTE_LIMIT
        pandas = child("--pandas", path, "--repeat", repeat, *(["--full-silhouette"] * full))
        command = child("--command", path, "--repeat", repeat)
        estimate = None
        if full:
            measured = (engine["customers"], pandas["medians"]["silhouette"])
        elif measured:
            estimate = measured[1] * (engine["customers"] / measured[0]) ** 2
        report(factor, engine, pandas, command, estimate)


if __name__ == "__main__":
    main()
