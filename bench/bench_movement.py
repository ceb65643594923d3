"""Benchmark of the movement between two dates: ``migrate`` end to end and the Movement page.

For the real Online Retail file and a scaled copy (``FILE``, by default the 40x file made
by ``python3 -m bench.scale_data --factor 40 --output /tmp/online_retail_x40.parquet``):

* ``python -m segmentation migrate FILE`` with ``--kind rfm`` and ``--kind cluster``, a
  fresh process each run, imports included (median of ``--repeat``; peak RSS of the runs);
* the stages of one run in a fresh process: read and clean, the order table, the customer
  table of each date, the segments and flows, the files written.

Then the Movement page through AppTest, as ``bench/bench_app.py`` does, on the real data
and on ``FILE``: its first visit (caches cleared, imports loaded), a warm page switch (from
the Overview, caches filled) and a date change in a warm session (a new earlier date, not
seen before, compared), for both kinds. Not a test: run it by hand from the repository
root, ``python3 -m bench.bench_movement [FILE] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from segmentation.choices import MOVEMENT_KINDS

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "online_retail.parquet"
SCALED = Path(tempfile.gettempdir()) / "online_retail_x40.parquet"


def measure_command(path: str, kind: str, repeat: int) -> dict[str, float]:
    """``python -m segmentation migrate`` end to end, in child processes."""
    times = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeat):
            command = [sys.executable, "-m", "segmentation", "migrate", path]
            start = time.perf_counter()
            subprocess.run(
                [*command, "--output-dir", out, "--kind", kind],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": statistics.median(times), "runs": times, "peak_rss_mb": peak}


def measure_stages(path: str, kind: str) -> dict[str, object]:
    """The stages of one ``migrate`` run, in this (fresh) process."""
    stages: dict[str, float] = {}
    start = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal start
        now = time.perf_counter()
        stages[name] = now - start
        start = now

    from segmentation.cli import write_json
    from segmentation.movement.flows import migrate
    from segmentation.movement.snapshots import customer_snapshots
    from segmentation.outputs.export import to_safe_csv
    from segmentation.transactions.cleaning import clean_transactions
    from segmentation.transactions.features import customers_as_of
    from segmentation.transactions.orders import order_purchases
    from segmentation.transactions.pipeline import read_transactions

    lap("imports")
    cleaned = clean_transactions(read_transactions(path))
    lap("read and clean")
    purchases = order_purchases(cleaned.orders, cleaned.backend)
    lap("the order table")
    snapshots = customer_snapshots(purchases)
    lap("both customer tables")
    movement = migrate(snapshots, kind)
    lap(f"segments and flows ({kind})")
    with tempfile.TemporaryDirectory() as out:
        to_safe_csv(movement.transitions.round(2))
        to_safe_csv(movement.customers.round(2))
        write_json(movement.summary(), Path(out) / "summary.json")
    lap("files")
    customers_as_of(purchases, snapshots.from_date)
    lap("(the earlier date's table alone)")
    customers_as_of(purchases, snapshots.to_date)
    lap("(the later date's table alone)")
    return {
        "customers": [len(snapshots.before), len(snapshots.after)],
        "dates": [str(snapshots.from_date), str(snapshots.to_date)],
        "stages": stages,
    }


def measure_page(path: str, repeat: int) -> dict[str, dict[str, object]]:
    """The Movement page on the file at ``path``: a first visit after clearing the caches, a
    warm switch to it from the Overview and a date change in a warm session (medians of
    ``repeat`` each)."""
    import logging
    from datetime import timedelta

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["SEGMENTATION_DATA"] = path
    page = "pages/forward/movement.py"
    results = {}
    for kind in MOVEMENT_KINDS:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=1800)
        at.run()  # the Overview: the data read and cleaned
        at.switch_page(page)
        at.session_state["movement_kind"] = kind
        start = time.perf_counter()
        at.run()
        first = time.perf_counter() - start
        warm, changes = [], []
        for _ in range(repeat):
            at.switch_page("pages/data/overview.py").run()
            start = time.perf_counter()
            at.switch_page(page).run()
            warm.append(time.perf_counter() - start)
        later = at.date_input(key="movement_to").value
        for n in range(repeat):  # earlier dates not compared before
            at.date_input(key="movement_from").set_value(later - timedelta(days=60 + 7 * n))
            start = time.perf_counter()
            at.button(key="compare_dates").click().run()
            changes.append(time.perf_counter() - start)
        if at.exception or at.error:
            raise SystemExit(f"{kind}: {[e.value for e in [*at.exception, *at.error]]}")
        results[kind] = {
            "first visit": first,
            "warm switch": statistics.median(warm),
            "date change": statistics.median(changes),
            "date changes": changes,
        }
    return results


def child(*arguments: str) -> dict:
    command = [sys.executable, "-m", "bench.bench_movement", *arguments]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=SCALED, help="the scaled file")
    parser.add_argument("-r", "--repeat", type=int, default=3)
    parser.add_argument("--command", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--stages", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--page", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.command:
        print(json.dumps(measure_command(*args.command, args.repeat)))
        return
    if args.stages:
        print(json.dumps(measure_stages(*args.stages)))
        return
    if args.page:
        print(json.dumps(measure_page(args.page, args.repeat)))
        return
    if not REAL.is_file():
        raise SystemExit(f"The real data is not at {REAL}.")
    files = {"real": REAL}
    if args.file.is_file():
        files[args.file.name] = args.file
    else:
        print(
            f"{args.file} is missing: make it with python3 -m bench.scale_data --factor 40 "
            f"--output {args.file} (outside the repository)."
        )
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
        f"medians of {args.repeat}, a fresh process per run"
    )
    print("\n| file | kind | customers (earlier / later) | migrate | runs | peak RSS |")
    print("| --- | --- | ---: | ---: | --- | ---: |")
    breakdown = {}
    for label, path in files.items():
        for kind in MOVEMENT_KINDS:
            command = child("--command", str(path), kind, "--repeat", str(args.repeat))
            stages = child("--stages", str(path), kind)
            breakdown[(label, kind)] = stages
            runs = ", ".join(f"{t:.1f}" for t in command["runs"])
            before, after = stages["customers"]
            print(
                f"| {label} | {kind} | {before:,} / {after:,} | {command['seconds']:.2f} s "
                f"| {runs} | {command['peak_rss_mb']:,.0f} MB |",
                flush=True,
            )
    for (label, kind), stages in breakdown.items():
        print(f"\n{label}, {kind}, {' to '.join(stages['dates'])}:")
        for stage, seconds in stages["stages"].items():
            print(f"  {stage:<34} {seconds:6.2f} s")
    print("\nThe Movement page (AppTest), a warm session; the date changes one by one:")
    print("| file | kind | first visit | warm page switch | date change | date changes |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for label, path in files.items():
        page = child("--page", str(path), "--repeat", str(args.repeat))
        for kind, figures in page.items():
            changes = ", ".join(f"{t:.2f}" for t in figures["date changes"])
            print(
                f"| {label} | {kind} | {figures['first visit']:.2f} s "
                f"| {figures['warm switch']:.2f} s | {figures['date change']:.2f} s "
                f"| {changes} |",
                flush=True,
            )
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
