"""The command line: ``python -m segmentation COMMAND INPUT --output-dir DIR``, where COMMAND is
``features``, ``segment``, ``migrate``, ``forecast`` or ``recommend``."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from segmentation.choices import METHODS, MOVEMENT_KINDS
from segmentation.errors import DataError
from segmentation.outputs.export import write_safe_csv
from segmentation.read.loading import Transactions
from segmentation.read.scanning import EngineTransactions
from segmentation.schema import RFM_COLUMNS, TRANSACTION_COLUMNS
from segmentation.transactions.cleaning import (
    STEP_NAMES,
    CleaningOptions,
    CleanResult,
    clean_transactions,
)
from segmentation.transactions.pipeline import (
    FeatureRun,
    read_transactions,
    reading_summary,
    run_features,
)

if TYPE_CHECKING:
    from segmentation.movement.flows import Movement
    from segmentation.segments.segment import Segmentation

MONEY_COLUMNS = ("monetary", "avg_order_value")
SWITCHABLE_STEPS = (*(s for s in STEP_NAMES if s != "unreadable_lines"), "net_cancellations")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error:`` line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every sub-command."""
    parser = _Parser(prog="python -m segmentation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    features = commands.add_parser(
        "features", help="clean transactions and write one row per customer with RFM features"
    )
    _add_feature_options(features)
    segment = commands.add_parser(
        "segment", help="as features, then cluster the customers and name the segments"
    )
    _add_feature_options(segment)
    _add_segment_options(segment)
    migrate = commands.add_parser(
        "migrate",
        help="segments at two dates and the customers who moved between them, with revenue",
    )
    _add_feature_options(migrate)
    _add_segment_options(migrate, "(with --kind cluster) ")
    migrate.add_argument(
        "--from",
        dest="from_date",
        metavar="YYYY-MM-DD",
        help="the earlier date (default 90 days before --to)",
    )
    migrate.add_argument(
        "--to",
        dest="to_date",
        metavar="YYYY-MM-DD",
        help="the later date (default the date of the last purchase)",
    )
    migrate.add_argument(
        "--kind",
        choices=MOVEMENT_KINDS,
        default="rfm",
        help="rfm: the RFM rule table with the cut points of --to (default); cluster: "
        "the clusters fitted at --to, applied at both dates",
    )
    forecast = commands.add_parser(
        "forecast",
        help="as segment, then predict each customer's value and risk, and with "
        "--calibration-end test the predictions on the days after it",
    )
    _add_feature_options(forecast)
    _add_segment_options(forecast)
    _add_forecast_options(forecast)
    recommend = commands.add_parser(
        "recommend",
        help="as segment, then what each segment buys and two lists of products per "
        "customer (buy again, discover); with --calibration-end scored on the days after it",
    )
    _add_feature_options(recommend)
    _add_segment_options(recommend)
    recommend.add_argument(
        "--calibration-end",
        help="make the lists from the purchases up to this date (YYYY-MM-DD) and score them "
        "on what each customer bought after it",
    )
    recommend.add_argument("--top", type=int, default=10, help="products per list (default 10)")
    return parser


def _add_segment_options(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="kmeans",
        help=f"{prefix}clustering method (default kmeans)",
    )
    parser.add_argument(
        "--k", default="auto", help=f"{prefix}number of clusters, or auto (default)"
    )
    parser.add_argument(
        "--features",
        default=",".join(RFM_COLUMNS),
        help=f"{prefix}comma-separated customer features to cluster on "
        "(default recency,frequency,monetary)",
    )
    parser.add_argument("--seed", type=int, default=0, help=f"{prefix}random seed (default 0)")


def _add_forecast_options(forecast: argparse.ArgumentParser) -> None:
    forecast.add_argument(
        "--calibration-end",
        help="fit on the purchases up to this date (YYYY-MM-DD) and compare the predictions "
        "with the days after it",
    )
    forecast.add_argument(
        "--horizon-days", type=float, default=365, help="days of predicted value (default 365)"
    )
    forecast.add_argument(
        "--risk-days",
        type=float,
        default=90,
        help="days of the probability of no purchase (default 90)",
    )
    forecast.add_argument("--time-unit", choices=("day", "week"), default="day")
    forecast.add_argument(
        "--discount-rate",
        type=float,
        default=0.0,
        help="annual discount rate of the predicted value, 0.1 for 10%% (default 0)",
    )


def _add_feature_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input",
        type=Path,
        nargs="?",
        help="CSV/TSV/text, .xlsx, Parquet, .gz or .zip file (or --table)",
    )
    parser.add_argument(
        "--engine",
        default="duckdb",
        help="engine of the transaction stage: duckdb (default), spark, or an Ibis "
        "connection URL (e.g. postgres://user@host/db) for --table",
    )
    parser.add_argument("--table", help="read the transactions from this table of the engine")
    parser.add_argument("--output-dir", type=Path, required=True, help="folder for the results")
    parser.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="CANONICAL=SOURCE",
        help=f"use column SOURCE as CANONICAL (one of {', '.join(TRANSACTION_COLUMNS)})",
    )
    parser.add_argument("--sheet", help="read only this sheet of a workbook")
    parser.add_argument("--snapshot-date", help="date recency is counted to (YYYY-MM-DD)")
    parser.add_argument(
        "--enable",
        action="append",
        default=[],
        choices=SWITCHABLE_STEPS,
        metavar="STEP",
        help=f"switch a cleaning step on ({', '.join(SWITCHABLE_STEPS)})",
    )
    parser.add_argument(
        "--disable",
        action="append",
        default=[],
        choices=SWITCHABLE_STEPS,
        metavar="STEP",
        help="switch a cleaning step off",
    )
    parser.add_argument(
        "--non-product-codes",
        help="comma-separated stock codes of non-product lines (a trailing * matches a prefix)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for bad input)."""
    args = build_parser().parse_args(argv)
    if args.command in ("segment", "migrate", "forecast", "recommend"):
        # scikit-learn and SciPy take most of a second to import: they load while the
        # engine, which releases the interpreter, reads and cleans the transactions
        module = (
            "segmentation.movement.flows"
            if args.command == "migrate"
            else "segmentation.segments.segment"
        )
        threading.Thread(target=_import_quietly, args=(module,)).start()
    try:
        if args.command == "migrate":
            _write_movement(*_migrate(args), args.output_dir)
            return 0
        run = _run_features(args)
        if args.command == "forecast":
            _write_forecast(run, args)
        elif args.command == "recommend":
            _write_recommendations(run, args)
        elif args.command == "segment":
            _write_segments(run, _segment(run, args), args.output_dir)
        else:
            _write_features(run, args.output_dir)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot write to {args.output_dir}: {error.strerror}.", file=sys.stderr)
        return 2
    except Exception as error:
        if os.environ.get("SEGMENTATION_DEBUG"):
            raise
        print(
            f"error: unexpected failure ({type(error).__name__}); "
            "run again with SEGMENTATION_DEBUG=1 to see the details and report them.",
            file=sys.stderr,
        )
        return 1
    return 0


def _import_quietly(module: str) -> None:
    """Import ``module``; a failure is left to the import that needs it to report."""
    with contextlib.suppress(Exception):  # raised again, and reported, where it is used
        importlib.import_module(module)


def _run_features(args: argparse.Namespace) -> FeatureRun:
    return run_features(
        _read(args), cleaning=_cleaning_options(args), snapshot_date=args.snapshot_date
    )


def _read(args: argparse.Namespace) -> Transactions | EngineTransactions:
    return read_transactions(
        args.input,
        engine=args.engine,
        table=args.table,
        columns=_column_overrides(args.column),
        sheet=args.sheet,
    )


def _column_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        canonical, sep, source = pair.partition("=")
        if not sep or not canonical.strip() or not source.strip():
            raise DataError(f"--column {pair!r} is not CANONICAL=SOURCE, e.g. customer_id=Client.")
        overrides[canonical.strip()] = source.strip()
    return overrides


def _cleaning_options(args: argparse.Namespace) -> CleaningOptions:
    switches = {step: True for step in args.enable}
    switches.update({step: False for step in args.disable})
    options = CleaningOptions().with_steps(**switches)
    if args.non_product_codes:
        codes = tuple(c.strip() for c in args.non_product_codes.split(",") if c.strip())
        options = options.with_steps(non_product_codes=codes)
    return options


def _segment(run: FeatureRun, args: argparse.Namespace) -> Segmentation:
    from segmentation.segments.segment import segment_customers

    return segment_customers(run.customers, **_segment_options(args))


def _segment_options(args: argparse.Namespace) -> dict[str, object]:
    """The options of ``segment_customers`` given by ``--features --method --k --seed``."""
    k = args.k.strip().lower()
    if k != "auto" and not k.isdigit():
        raise DataError(f"--k {args.k!r} is not a whole number or auto.")
    features = tuple(f.strip() for f in args.features.split(",") if f.strip())
    return {
        "features": features,
        "method": args.method,
        "k": "auto" if k == "auto" else int(k),
        "seed": args.seed,
    }


def _migrate(
    args: argparse.Namespace,
) -> tuple[Transactions | EngineTransactions, CleanResult, Movement]:
    from segmentation.movement.flows import migrate
    from segmentation.movement.snapshots import customer_snapshots
    from segmentation.transactions.orders import order_purchases

    if args.snapshot_date:
        raise DataError(
            "--snapshot-date does not apply to migrate: recency is counted to the day after "
            "--from and to the day after --to."
        )
    options = _segment_options(args) if args.kind == "cluster" else {}
    transactions = _read(args)
    cleaned = clean_transactions(transactions, _cleaning_options(args))
    purchases = order_purchases(cleaned.orders, cleaned.backend)  # as the app's cached data
    snapshots = customer_snapshots(purchases, args.from_date, args.to_date)
    return transactions, cleaned, migrate(snapshots, args.kind, **options)


def _write_features(run: FeatureRun, output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    customers = run.customers.round({c: 2 for c in MONEY_COLUMNS})
    write_safe_csv(customers, output_dir / "customers.csv")
    write_json(run.summary(), output_dir / "summary.json")


def _write_segments(run: FeatureRun, segments: Segmentation, output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    customers = segments.customers.round({c: 2 for c in MONEY_COLUMNS})
    write_safe_csv(customers, output_dir / "customers.csv")
    write_json({**run.summary(), **segments.summary()}, output_dir / "summary.json")


def _write_movement(
    transactions: Transactions | EngineTransactions,
    cleaned: CleanResult,
    movement: Movement,
    output_dir: Path,
) -> None:
    from segmentation.movement.flows import REVENUE_AFTER, REVENUE_BEFORE

    output_dir.mkdir(parents=True, exist_ok=True)
    money = {REVENUE_BEFORE: 2, REVENUE_AFTER: 2, "monetary": 2}
    write_safe_csv(movement.transitions.round(money), output_dir / "transitions.csv")
    write_safe_csv(movement.customers.round(money), output_dir / "customers.csv")
    reading = {
        **reading_summary(transactions, cleaned.report),
        "revenue": round(cleaned.report.revenue_out, 2),
    }
    write_json({**reading, **movement.summary()}, output_dir / "summary.json")


def _write_forecast(run: FeatureRun, args: argparse.Namespace) -> None:
    from segmentation.value.forecast import CUSTOMER_DIGITS, forecast, segment_labels

    options = {
        "horizon_days": args.horizon_days,
        "risk_days": args.risk_days,
        "time_unit": args.time_unit,
        "annual_discount_rate": args.discount_rate,
    }
    if args.calibration_end is None:
        result = forecast(run.purchases, **options)  # refuses too little history first
        segmentation = _segment(run, args)
        result = result.with_segments(segment_labels(segmentation))
    else:
        result = forecast(
            run.purchases,
            calibration_end=args.calibration_end,
            segment_options=_segment_options(args),
            **options,
        )
        segmentation = result.segmentation
    args.output_dir.mkdir(parents=True, exist_ok=True)
    customers = result.customers.round(CUSTOMER_DIGITS).reset_index()
    write_safe_csv(customers, args.output_dir / "customers.csv")
    summary = {**run.summary(), "method": segmentation.method, "k": segmentation.k}
    write_json({**summary, **result.summary()}, args.output_dir / "summary.json")


def _write_recommendations(run: FeatureRun, args: argparse.Namespace) -> None:
    from segmentation.products.catalogue import LISTED_COLUMNS
    from segmentation.products.offer import run_products

    if args.top < 1:
        raise DataError(f"--top {args.top} is not a number of products; give 1 or more.")
    segmentation = _segment(run, args)
    products = run_products(
        run,
        segmentation,
        calibration_end=args.calibration_end,
        top=args.top,
        non_product_codes=_cleaning_options(args).non_product_codes,
    )
    args.output_dir.mkdir(parents=True, exist_ok=True)
    products.recommendations.write_csv(args.output_dir / "recommendations.csv")
    catalogue = products.catalogue.merge(products.categories.products, on="stock_code")
    catalogue = catalogue[list(LISTED_COLUMNS)]
    write_safe_csv(
        catalogue.round({"revenue": 2, "median_price": 2}), args.output_dir / "products.csv"
    )
    summary = {**run.summary(), "method": segmentation.method, "k": segmentation.k}
    write_json({**summary, **products.summary()}, args.output_dir / "summary.json")


def write_json(summary: dict[str, object], path: Path) -> None:
    """Write ``summary`` as indented UTF-8 JSON, the same bytes for the same content."""
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
