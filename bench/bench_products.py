"""Benchmark of the product stage: ``recommend`` end to end, its stages, a wide catalogue,
and the backtest table.

* ``python -m segmentation recommend FILE`` on the real Online Retail file and on a scaled
  copy (``FILE``, by default the 40x file made by ``python3 -m bench.scale_data --factor 40
  --output /tmp/online_retail_x40.parquet``): a fresh process each run, imports included
  (median of ``--repeat``; peak RSS of the runs so far, the real file's first);
* the stages of one run on the scaled file, in this process;
* a synthetic catalogue ten times wider: every Online Retail product split into ten, a
  customer buying the variant their id picks (about 35,000 products, a tenth of the buyers
  each): the product stage's time and this process's peak RSS;
* the backtest of ``recommend`` on Online Retail (cut 2011-09-09) and Online Retail II
  (cut 2010-09-09) beside the baselines.

Not a test: run it by hand from the repository root,
``python3 -m bench.bench_products [FILE] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_scale import measure_command

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
REAL = DATA / "online_retail.parquet"
REAL_II = DATA / "online_retail_ii_2009_2010.parquet"
SCALED = Path(tempfile.gettempdir()) / "online_retail_x40.parquet"
CUTS = {REAL: "2011-09-09", REAL_II: "2010-09-09"}


def peak_mb() -> float:
    """This process's peak RSS so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_stages(path: Path) -> list[tuple[str, float]]:
    """Seconds of each stage of one run in this process."""
    from segmentation.products.affinity import segment_affinity
    from segmentation.products.catalogue import catalogue, customer_products
    from segmentation.products.categories import categorise
    from segmentation.products.recommend import recommend
    from segmentation.segments.segment import segment_customers
    from segmentation.transactions.pipeline import run_features

    laps, start = [], time.perf_counter()

    def lap(name: str) -> None:
        nonlocal start
        laps.append((name, time.perf_counter() - start))
        start = time.perf_counter()

    run = run_features(path)
    lap("read, clean, customer table")
    segmentation = segment_customers(run.customers)
    lap("segments")
    bought = customer_products(run.cleaned)
    lap(f"customer × product table ({len(bought):,} rows)")
    products = catalogue(run.cleaned, bought=bought)
    lap(f"catalogue ({len(products):,} products)")
    categories = categorise(run.cleaned, products, bought)
    lap(f"categories ({len(categories.table)})")
    customers = segmentation.customers.set_index("customer_id")
    for column in ("segment", "rfm_segment"):
        segment_affinity(bought, categories, customers[column], products)
    lap("affinity (clusters and RFM)")
    lists = recommend(bought, products, customers["segment"])
    lap(f"lists ({len(lists.lists):,} rows)")
    with tempfile.TemporaryDirectory() as out:
        lists.write_csv(Path(out) / "recommendations.csv")
    lap("recommendations.csv")
    return laps


def measure_wide() -> dict[str, object]:
    """The product stage on the synthetic catalogue of about 35,000 products."""
    import pandas as pd

    from segmentation.products import recommend as module
    from segmentation.products.catalogue import catalogue, customer_products
    from segmentation.products.categories import categorise
    from segmentation.transactions.pipeline import run_features

    lines = pd.read_parquet(REAL)
    variant = lines["CustomerID"].fillna(0).astype("int64") % 10
    lines = lines.assign(
        StockCode=lines["StockCode"].astype("str") + "-" + variant.astype("str"),
        Description=lines["Description"].astype("str") + " " + variant.astype("str"),
    )
    with tempfile.TemporaryDirectory() as out:
        wide = Path(out) / "wide.parquet"
        lines.to_parquet(wide)
        del lines
        run = run_features(wide)
        before = peak_mb()
        start = time.perf_counter()
        bought = customer_products(run.cleaned)
        products = catalogue(run.cleaned, bought=bought)
        categorise(run.cleaned, products, bought)
        everyone = pd.Series(dtype="str")  # no segments: no promote lists
        lists = module.recommend(bought, products, everyone)
        seconds = time.perf_counter() - start
    buyers = bought.groupby("stock_code", observed=True).size().sort_values(ascending=False)
    head = buyers.iloc[: module.MAX_EASE_PRODUCTS].sum() / buyers.sum()
    return {
        "products": len(products),
        "seconds": seconds,
        "peak_rss_mb": peak_mb(),
        "rss_before_mb": before,
        "head_share": head,
        "rows": len(lists.lists),
    }


def print_wide() -> None:
    """Print :func:`measure_wide`'s figures in one line."""
    wide = measure_wide()
    print(
        f"wide catalogue: {wide['products']:,} products, product stage {wide['seconds']:.1f} s, "
        f"peak RSS {wide['peak_rss_mb']:,.0f} MB ({wide['rss_before_mb']:,.0f} MB before), "
        f"EASE's products hold {wide['head_share']:.0%} of the purchases",
        flush=True,
    )


def measure_backtests() -> list[tuple[str, object]]:
    """The backtest of each real file at its cut."""
    from segmentation.products.backtest import backtest_recommendations
    from segmentation.transactions.pipeline import run_features

    found = []
    for path, cut in CUTS.items():
        if path.is_file():
            found.append((path.name, backtest_recommendations(run_features(path).cleaned, cut)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=SCALED)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wide-only", action="store_true", help="the wide catalogue only")
    args = parser.parse_args()
    if args.wide_only:
        print_wide()
        return
    for path in (REAL, args.file):
        figures = measure_command(str(path), args.repeat, "recommend")
        runs = ", ".join(f"{t:.1f}" for t in figures["runs"])
        print(
            f"recommend {path.name}: {figures['seconds']:.1f} s (runs {runs}), "
            f"peak RSS {figures['peak_rss_mb']:,.0f} MB",
            flush=True,
        )
    for name, seconds in measure_stages(args.file):
        print(f"  {name}: {seconds:.1f} s", flush=True)
    # a fresh process, so that its peak RSS is its own
    wide = [sys.executable, "-m", "bench.bench_products", "--wide-only"]
    print(subprocess.run(wide, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    print("| data | list | customers | hit rate@10 | baseline | recall@10 | baseline |")
    for name, result in measure_backtests():
        for kind, figures in (("discover", result.discover), ("buy again", result.buy_again)):
            base = figures["baseline"]
            print(
                f"| {name} | {kind} | {figures['customers']:,} | {figures['hit_rate']:.3f} | "
                f"{base['hit_rate']:.3f} | {figures['recall']:.3f} | {base['recall']:.3f} |"
            )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
