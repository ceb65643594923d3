"""Benchmark of the customer-lifetime-value models: history, fits and predictions.

Prints the median wall time of several runs of each stage (after imports) on the real
Online Retail data (classic cleaning; calibration to 2011-09-09, and all customers) and
on synthetic tables of 173,000 customers simulated (seeded) from the BG/NBD and
Gamma-Gamma parameters fitted on Online Retail: those of the calibration to 2011-09-09
(no dropout, a = 0) and those of all customers (a small dropout). Not a test: run it by hand,
``python3 -m bench.bench_clv [--repeat N] [--customers N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.value.bg_nbd import BgNbdFit, expected_purchases, fit_bg_nbd, predict
from segmentation.value.gamma_gamma import GammaGammaFit, expected_spend, fit_gamma_gamma
from segmentation.value.lifetime_value import lifetime_value
from segmentation.value.purchase_history import purchase_history

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "online_retail.parquet"
CALIBRATION_END = "2011-09-09"
START, END = pd.Timestamp("2010-12-01"), pd.Timestamp("2011-12-09")


def online_retail_orders() -> pd.DataFrame:
    """The classic cleaning of Online Retail, one row per line: customer, date, revenue."""
    raw = pd.read_parquet(DATA)
    keep = (
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    lines = raw[keep].drop_duplicates()
    return pd.DataFrame(
        {
            "customer_id": lines["CustomerID"].astype("int64"),
            "invoice_date": lines["InvoiceDate"],
            "revenue": lines["Quantity"] * lines["UnitPrice"],
        }
    )


def simulate_orders(
    purchases: BgNbdFit, spend: GammaGammaFit, customers: int, seed: int = 0
) -> pd.DataFrame:
    """Orders of customers acquired uniformly over the Online Retail year, in days.

    BG/NBD: lambda ~ gamma(r, alpha) per day, p ~ beta(a, b) (p = 0 when a = 0); after
    the first purchase, Poisson purchases until the end date or until the J-th repeat
    purchase, J ~ geometric(p). Spend of a purchase day ~ gamma(p, nu), nu ~ gamma(q, v);
    a purchase day is split into 1 + Poisson(0.3) orders at random times of that day.
    """
    rng = np.random.default_rng(seed)
    span = (END - START).days + 1
    first = rng.integers(0, span, customers)
    window = span - 1 - first
    rate = rng.gamma(purchases.r, 1 / purchases.alpha, customers)
    never = np.iinfo(np.int64).max
    if purchases.a == 0:
        limit = np.full(customers, never)
    else:  # a small a draws many p that underflow to 0: those customers never drop out
        dropout = rng.beta(purchases.a, purchases.b, customers)
        limit = np.where(dropout > 1e-12, rng.geometric(np.maximum(dropout, 1e-12)), never)
    arrivals = rng.poisson(rate * window)
    owner = np.repeat(np.arange(customers), arrivals)
    when = rng.random(len(owner)) * window[owner]
    order = np.lexsort((when, owner))
    owner, when = owner[order], when[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    kept = rank < limit[owner]
    day_owner = np.r_[np.arange(customers), owner[kept]]
    day = np.r_[first, first[owner[kept]] + np.ceil(when[kept]).astype(np.int64)]
    nu = rng.gamma(spend.q, 1 / spend.v, customers)
    day_spend = rng.gamma(spend.p, 1 / nu[day_owner])
    orders_per_day = 1 + rng.poisson(0.3, len(day))
    row_owner = np.repeat(day_owner, orders_per_day)
    row_day = np.repeat(day, orders_per_day)
    row_spend = np.repeat(day_spend / orders_per_day, orders_per_day)
    minutes = rng.integers(8 * 60, 20 * 60, len(row_day))
    stamps = START + pd.to_timedelta(row_day, "D") + pd.to_timedelta(minutes, "min")
    return pd.DataFrame({"customer_id": row_owner, "invoice_date": stamps, "revenue": row_spend})


def median_time(run: Callable[[], object], repeat: int) -> tuple[float, str, object]:
    """Median wall time of ``repeat`` runs, their range as text, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), f"{min(times):.3f}-{max(times):.3f}", result


def measure(
    name: str, orders: pd.DataFrame, end: str | None, repeat: int
) -> tuple[BgNbdFit, GammaGammaFit]:
    """Print the median time of each stage on one table; return the two fits."""
    t_history, r_history, history = median_time(
        lambda: purchase_history(orders, end, "day"), repeat
    )
    table = history.customers
    t_bg, r_bg, bg = median_time(lambda: fit_bg_nbd(table), repeat)
    t_gg, r_gg, gg = median_time(lambda: fit_gamma_gamma(table), repeat)

    def predictions() -> pd.DataFrame:
        """P(alive), purchases and P(none) in 90 days, spend, 1-year CLV at 10% a year."""
        out = predict(bg, table, 90)
        out["expected_spend"] = expected_spend(gg, table)
        out["lifetime_value"] = lifetime_value(
            bg, gg, table, time_unit="day", horizon_days=365, annual_discount_rate=0.1
        )
        return out

    t_predict, r_predict, _ = median_time(predictions, repeat)
    total = t_history + t_bg + t_gg + t_predict
    print(
        f"{name:<34} {len(orders):>9,} {len(table):>9,} {t_history:>8.3f} {t_bg:>8.3f} "
        f"{t_gg:>8.3f} {t_predict:>8.3f} {total:>8.3f}"
    )
    print(
        f"{'':<34} ranges: history {r_history}, BG/NBD {r_bg}, Gamma-Gamma {r_gg}, "
        f"predictions {r_predict}"
    )
    print(
        f"{'':<34} BG/NBD r={bg.r:.4g} alpha={bg.alpha:.4g} a={bg.a:.4g} b={bg.b:.4g}"
        f"{' (no dropout)' if bg.no_dropout else ''}; Gamma-Gamma p={gg.p:.4g} q={gg.q:.4g} "
        f"v={gg.v:.4g}"
    )
    if history.holdout_days:
        predicted = expected_purchases(bg, table, history.holdout_length).sum()
        value = lifetime_value(bg, gg, table, time_unit="day", horizon_days=history.holdout_days)
        print(
            f"{'':<34} holdout of {history.holdout_days} days: purchase days predicted "
            f"{predicted:,.0f}, actual {table['holdout_purchases'].sum():,}; revenue predicted "
            f"{value.sum():,.0f}, actual {table['holdout_revenue'].sum():,.0f}"
        )
    return bg, gg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per stage (median)")
    parser.add_argument("--customers", type=int, default=173_000, help="synthetic customers")
    args = parser.parse_args()
    print(
        f"median of {args.repeat} runs, seconds\n"
        f"{'table':<34} {'rows':>9} {'customers':>9} {'history':>8} {'BG/NBD':>8} "
        f"{'GammaG':>8} {'predict':>8} {'total':>8}"
    )
    retail = online_retail_orders()
    calibrated = measure(
        f"Online Retail, to {CALIBRATION_END}", retail, CALIBRATION_END, args.repeat
    )
    everyone = measure("Online Retail, all customers", retail, None, args.repeat)
    for label, (bg, gg) in [(f"to {CALIBRATION_END} fit", calibrated), ("all-data fit", everyone)]:
        synthetic = simulate_orders(bg, gg, args.customers)
        measure(f"synthetic {args.customers // 1000}k, {label}", synthetic, None, args.repeat)


if __name__ == "__main__":
    main()
