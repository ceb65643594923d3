"""Benchmark of the modelling stages on the real customers and on synthetic ones.

For each data set (the Online Retail customer table, then synthetic tables of 20,000,
100,000 and 1,000,000 customers) a fresh process times each stage ``--repeat`` times and
prints the medians and its peak resident memory; a second fresh process times the whole
``segment_customers`` call, whose peak memory is the one the 2 GB target is about.
Not a test: run it by hand, ``python -m bench.bench_segmentation [--repeat N]
[--sizes real,20000,100000,1000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "online_retail.parquet"

#: Synthetic behaviour groups: share, log-normal medians of recency (days), orders
#: beyond the first, spend (£).
_GROUPS = {
    "champions": (0.10, 6, 20, 5_000),
    "loyal": (0.20, 20, 7, 1_800),
    "new": (0.20, 12, 0.3, 250),
    "at_risk": (0.25, 120, 3, 700),
    "lost": (0.25, 250, 0.2, 150),
}
_COUNTRIES = ("United Kingdom", "Germany", "France", "EIRE", "Spain")


def synthetic_customers(n: int, seed: int = 0) -> pd.DataFrame:
    """A customer table of ``n`` customers drawn from five overlapping behaviour groups."""
    rng = np.random.default_rng(seed)
    shares, recency, orders, spend = (np.array(v) for v in zip(*_GROUPS.values(), strict=True))
    group = rng.choice(len(shares), size=n, p=shares)
    return pd.DataFrame(
        {
            "customer_id": np.char.add("C", np.arange(n).astype(str)),
            "recency": np.clip(np.rint(rng.lognormal(np.log(recency[group]), 0.5)), 0, 730),
            "frequency": 1 + rng.poisson(rng.lognormal(np.log(orders[group]), 0.4)),
            "monetary": np.round(rng.lognormal(np.log(spend[group]), 0.6), 2),
            "country": rng.choice(_COUNTRIES, size=n, p=[0.85, 0.05, 0.04, 0.03, 0.03]),
        }
    ).astype({"recency": "int64"})


def customer_table(size: str) -> pd.DataFrame:
    if size != "real":
        return synthetic_customers(int(size))
    from segmentation.transactions.cleaning import clean_transactions
    from segmentation.transactions.features import customer_features
    from segmentation.transactions.pipeline import read_transactions

    return customer_features(clean_transactions(read_transactions(DATA)))


def timed(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls and the last call's result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure_stages(size: str, repeat: int) -> dict[str, object]:
    from segmentation.segments.clustering import fit_clusters, recommend_k, sweep_k
    from segmentation.segments.hierarchy import cophenetic_correlations
    from segmentation.segments.preparation import prepare_features
    from segmentation.segments.profiles import profile_clusters
    from segmentation.segments.stability import bootstrap_stability

    customers = customer_table(size)
    medians = {}
    medians["prepare"], prepared = timed(lambda: prepare_features(customers), repeat)
    medians["sweep"], sweep = timed(lambda: sweep_k(prepared), repeat)
    k, _ = recommend_k(sweep)
    medians["fit_silhouette"], fitted = timed(lambda: fit_clusters(prepared, k), repeat)
    medians["agglomerative"], _ = timed(lambda: fit_clusters(prepared, k, "agglomerative"), repeat)
    medians["cophenetic"], _ = timed(lambda: cophenetic_correlations(prepared.matrix), repeat)
    medians["stability"], stability = timed(lambda: bootstrap_stability(prepared, k), repeat)
    medians["profile"], _ = timed(lambda: profile_clusters(customers, fitted.labels), repeat)
    return {
        "customers": len(customers),
        "k": k,
        "stability_ari": round(stability.mean_ari, 3),
        "medians": medians,
        "notes": list(fitted.notes),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_segment(size: str, repeat: int) -> dict[str, object]:
    from segmentation.segments.segment import segment_customers

    customers = customer_table(size)
    table_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    median, result = timed(lambda: segment_customers(customers), repeat)
    return {
        "k": result.k,
        "segment": median,
        "table_rss_mb": table_mb,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(mode: str, size: str, repeat: int) -> dict[str, object]:
    command = [sys.executable, "-m", "bench.bench_segmentation", f"--{mode}", size]
    done = subprocess.run(
        [*command, "--repeat", str(repeat)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-r", "--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="real,20000,100000,1000000")
    parser.add_argument("--stages", help=argparse.SUPPRESS)
    parser.add_argument("--segment", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages:
        print(json.dumps(measure_stages(args.stages, args.repeat)))
        return
    if args.segment:
        print(json.dumps(measure_segment(args.segment, args.repeat)))
        return
    sizes = args.sizes.split(",")
    if "real" in sizes and not DATA.is_file():
        print(f"The real data is not at {DATA}; skipping it.")
        sizes.remove("real")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; medians of {args.repeat}")
    for size in sizes:
        stages = child("stages", size, args.repeat)
        whole = child("segment", size, args.repeat)
        print(f"\n{size}: {stages['customers']:,} customers, k = {stages['k']}")
        for stage, seconds in stages["medians"].items():
            print(f"  {stage:<15} {seconds:8.2f} s")
        print(f"  stages peak RSS {stages['peak_rss_mb']:.0f} MB")
        print(f"  stability: mean ARI {stages['stability_ari']} over 10 resamples")
        print(
            f"  segment_customers {whole['segment']:6.2f} s (k = {whole['k']}), peak RSS "
            f"{whole['peak_rss_mb']:.0f} MB (table alone {whole['table_rss_mb']:.0f} MB)"
        )
        for note in stages["notes"]:
            print(f"  note: {note}")


if __name__ == "__main__":
    main()
