"""Predicted value and risk per customer and segment, proven on held-out months: one call.

:func:`forecast` takes the purchases table (one row per order: ``customer_id``,
``invoice_date``, ``revenue``; :attr:`~segmentation.transactions.pipeline.FeatureRun.purchases`)
and runs, as of a date (the last purchase date, or the calibration end):

1. the purchase history (:func:`~segmentation.value.purchase_history.purchase_history`);
2. the BG/NBD model of repeat purchases and the Gamma-Gamma model of spend per purchase;
3. per customer: P(alive), expected purchases over the horizon, the probability of no
   purchase in the next ``risk_days`` days, expected spend per purchase and the predicted
   lifetime value (CLV) over the horizon, discounted at an annual rate;
4. per segment, for any labels of the customers (clusters, RFM segments): customers, total
   and mean CLV, expected purchases, the share of customers likely not to buy in the next
   ``risk_days`` days and the revenue at risk;
5. with a calibration end, the backtest: the models fitted on the calibration period
   predict the held-out days, compared with what the customers did, beside a naive
   baseline (every customer goes on at their own past rate of repeat purchases) and
   MBG/NBD, by customer, in total and by tenth of the prediction; the monthly pattern of
   purchases; and per segment, what the segments of the calibration end did in the holdout.

A customer is *likely not to buy* in the next ``risk_days`` days when the probability of no
purchase in that time is above one half. The *revenue at risk* of a group is the revenue,
in the 365 days up to the as-of date, of its customers likely not to buy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from threadpoolctl import threadpool_limits

from segmentation.choices import HOLDOUT_DAYS, HORIZON_DAYS, MAX_DAYS, RISK_DAYS
from segmentation.errors import ModelError
from segmentation.movement.snapshots import segments_as_of
from segmentation.schema import CUSTOMER_ID, INVOICE_DATE
from segmentation.segments.profiles import format_money
from segmentation.segments.segment import Segmentation, plain
from segmentation.transactions.features import customers_as_of, parse_snapshot
from segmentation.value.bg_nbd import (
    BgNbdFit,
    expected_purchases,
    fit_bg_nbd,
    probability_alive,
    probability_no_purchase,
)
from segmentation.value.gamma_gamma import GammaGammaFit, expected_spend, fit_gamma_gamma
from segmentation.value.lifetime_value import lifetime_value
from segmentation.value.purchase_history import (
    AGE,
    DAYS_PER_UNIT,
    FREQUENCY,
    HOLDOUT_PURCHASES,
    HOLDOUT_REVENUE,
    MONETARY_VALUE,
    RECENCY,
    REVENUE,
    PurchaseHistory,
    local_dates,
    purchase_history,
)

TimeUnit = Literal["day", "week"]
#: Above this probability of no purchase in the next ``risk_days`` a customer is likely not
#: to buy.
LIKELY_SILENT = 0.5
#: Revenue at risk counts the revenue of this many days up to the as-of date.
RISK_REVENUE_DAYS = 365
#: P(alive) says little when at least :data:`ALIVE_SHARE` of the repeat buyers have at
#: least :data:`ALIVE_FLOOR`.
ALIVE_FLOOR, ALIVE_SHARE = 0.95, 0.95
#: The holdout buys at a clearly different rate when its purchases are more than this many
#: times (or less than this fraction of) both the model's prediction and the baseline's.
DIFFERENT_RATE = 1.25
DECILES = 10
P_ALIVE = "p_alive"
EXPECTED_PURCHASES = "expected_purchases"
P_NO_PURCHASE = "p_no_purchase"
EXPECTED_ORDER_VALUE = "expected_order_value"
CLV = "clv"
#: The predictions of each customer.
PREDICTIONS: tuple[str, ...] = (
    P_ALIVE,
    EXPECTED_PURCHASES,
    P_NO_PURCHASE,
    EXPECTED_ORDER_VALUE,
    CLV,
)
#: The per-customer columns, in order (then the holdout's, with a calibration end).
CUSTOMER_COLUMNS: tuple[str, ...] = (FREQUENCY, RECENCY, AGE, MONETARY_VALUE, *PREDICTIONS)
#: Decimals of the per-customer figures written out: money to the penny.
CUSTOMER_DIGITS: dict[str, int] = {
    RECENCY: 4,
    AGE: 4,
    MONETARY_VALUE: 2,
    P_ALIVE: 6,
    EXPECTED_PURCHASES: 6,
    P_NO_PURCHASE: 6,
    EXPECTED_ORDER_VALUE: 2,
    CLV: 2,
    HOLDOUT_REVENUE: 2,
}
MODEL, MBG, BASELINE = "BG/NBD", "MBG/NBD", "baseline"
CALIBRATION, HOLDOUT = "calibration", "holdout"


@dataclass(frozen=True, eq=False)
class Backtest:
    """The calibration period's predictions of the held-out days against what happened.

    ``accuracy`` has a row per quantity (``purchases``, ``revenue``) and predictor (BG/NBD,
    MBG/NBD where it fits, the baseline): ``predicted`` and ``actual`` totals over the
    calibration customers and the per-customer ``mae``, ``rmse`` and ``correlation``.
    ``deciles`` cuts the customers into tenths by each predictor's prediction: mean
    ``predicted`` and ``actual`` per tenth. ``monthly`` counts purchase days per month and
    period (all customers). ``rate_ratio`` is the holdout's purchases over the model's
    prediction, and ``warning`` a sentence when the model and the baseline both miss the
    total by far the same way (the holdout buys at a different rate). ``segment_agreement``
    is, per grouping, Spearman's rank correlation across segments of revenue per customer
    up to the calibration end and in the holdout. ``alternative`` is the MBG/NBD fit.
    """

    calibration_end: pd.Timestamp
    holdout_days: int
    customers: int
    accuracy: pd.DataFrame
    deciles: pd.DataFrame
    monthly: pd.DataFrame
    rate_ratio: float
    warning: str
    segment_agreement: dict[str, float]
    alternative: BgNbdFit | None
    notes: tuple[str, ...]

    def figures(self, quantity: str = "purchases", predictor: str = MODEL) -> pd.Series:
        """The accuracy row of ``quantity`` and ``predictor``."""
        table = self.accuracy
        return table[(table["quantity"] == quantity) & (table["predictor"] == predictor)].iloc[0]

    def summary(self) -> dict[str, object]:
        """JSON-ready figures: the model's, then the baseline's and MBG/NBD's beside them."""
        result: dict[str, object] = {
            "customers": self.customers,
            "holdout_days": self.holdout_days,
        }
        for quantity in ("purchases", "revenue"):
            actual = self.figures(quantity)["actual"]
            figures = {
                f"actual_{quantity}": int(actual) if quantity == "purchases" else plain(actual, 2),
                **_predicted(self.figures(quantity), quantity),
                "baseline": _predicted(self.figures(quantity, BASELINE), quantity),
            }
            if self.alternative is not None:
                figures["mbg_nbd"] = _predicted(self.figures(quantity, MBG), quantity)
            if quantity == "purchases":
                result.update(figures)
            else:
                result["revenue"] = figures
        result["holdout_rate_ratio"] = plain(self.rate_ratio)
        result["warning"] = self.warning or None
        result["segment_rank_agreement"] = {
            grouping: plain(value) for grouping, value in self.segment_agreement.items()
        }
        result["notes"] = list(self.notes)
        return result


@dataclass(frozen=True, eq=False)
class Forecast:
    """Predictions per customer and segment as of ``as_of``, and the backtest.

    ``customers`` is indexed by customer id with :data:`CUSTOMER_COLUMNS` (``frequency``,
    ``recency`` and ``T`` in ``time_unit``s), plus ``holdout_purchases`` and
    ``holdout_revenue`` with a calibration end; ``revenue`` has each customer's revenue up
    to the as-of date and in its last 365 days. ``segments`` has a table per grouping of
    the labels given (see :func:`segment_table`); ``segmentation`` is the one made at the
    calibration end from ``segment_options``, if any. ``notes`` are sentences on how to
    read the fit.
    """

    customers: pd.DataFrame
    revenue: pd.DataFrame
    purchases_fit: BgNbdFit
    spend_fit: GammaGammaFit
    time_unit: TimeUnit
    as_of: pd.Timestamp
    calibration_end: pd.Timestamp | None
    horizon_days: float
    risk_days: float
    annual_discount_rate: float
    segments: dict[str, pd.DataFrame]
    segmentation: Segmentation | None
    backtest: Backtest | None
    notes: tuple[str, ...]

    def with_segments(self, labels: pd.DataFrame) -> Forecast:
        """This forecast with the per-segment tables of ``labels`` (indexed by customer id,
        one column per grouping; customers without a label are left out), and the
        backtest's rank agreement of those segments: no model is fitted again."""
        labels = labels.reindex(self.customers.index)
        tables = {
            grouping: segment_table(self.customers, labels[grouping], self.revenue)
            for grouping in labels.columns
        }
        backtest = self.backtest
        if backtest is not None:
            agreement = {grouping: _rank_agreement(table) for grouping, table in tables.items()}
            backtest = replace(backtest, segment_agreement=agreement)
        return replace(self, segments=tables, backtest=backtest)

    @property
    def alive_says_little(self) -> bool:
        """Whether P(alive) tells the customers apart too little to lead with (then the
        probability of no purchase leads): no dropout in the fit, or nearly every repeat
        buyer at least :data:`ALIVE_FLOOR` alive."""
        return self.purchases_fit.no_dropout or _alive_share(self.customers) >= ALIVE_SHARE

    def summary(self) -> dict[str, object]:
        """The figures of ``summary.json``: the fits, the options, per segment, the backtest."""
        fit, spend = self.purchases_fit, self.spend_fit
        customers = self.customers
        result: dict[str, object] = {
            "model": {
                "name": fit.variant.upper(),
                "r": plain(fit.r, 6),
                "alpha": plain(fit.alpha, 6),
                "a": plain(fit.a, 6),
                "b": plain(fit.b, 6),
                "log_likelihood": plain(fit.log_likelihood, 4),
            },
            "spend_model": {
                "name": "Gamma-Gamma",
                "p": plain(spend.p, 6),
                "q": plain(spend.q, 6),
                "v": plain(spend.v, 6),
            },
            "time_unit": self.time_unit,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "calibration_end": (
                None if self.calibration_end is None else f"{self.calibration_end:%Y-%m-%d}"
            ),
            "horizon_days": plain(self.horizon_days),
            "risk_days": plain(self.risk_days),
            "annual_discount_rate": plain(self.annual_discount_rate),
            "forecast_customers": len(customers),
            "clv": plain(customers[CLV].sum(), 2),
            "expected_purchases": plain(customers[EXPECTED_PURCHASES].sum(), 2),
            "likely_silent_share": plain((customers[P_NO_PURCHASE] > LIKELY_SILENT).mean()),
            "notes": list(self.notes),
            "segments": {
                grouping: [
                    {key: plain(value, 4) for key, value in row.items()}
                    for row in table.reset_index().to_dict(orient="records")
                ]
                for grouping, table in self.segments.items()
            },
        }
        if self.segmentation is not None:
            made = self.segmentation
            result["segments_at_calibration_end"] = {
                "method": made.method,
                "k": made.k,
                "features": list(made.prepared.options.features),
                "notes": list(made.notes),
            }
        if self.backtest is not None:
            result["backtest"] = self.backtest.summary()
        return result


def default_calibration_end(
    purchases: pd.DataFrame, holdout_days: int = HOLDOUT_DAYS
) -> pd.Timestamp:
    """The last purchase date minus ``holdout_days`` days: the default calibration end."""
    last = pd.Timestamp(purchases[INVOICE_DATE].max()).normalize()
    return last - pd.Timedelta(days=holdout_days)


#: The fits run on one thread, as clustering's do (see :mod:`segmentation.segments.clustering`):
#: L-BFGS-B's tiny BLAS calls with OpenBLAS's two threads made a forecast of Online Retail
#: take 0.07-0.83 s (median 0.29 s over 9 runs) on this 2-core machine under load, 0.07 s
#: with one thread.
@threadpool_limits.wrap(limits=1)
def forecast(
    purchases: pd.DataFrame,
    *,
    calibration_end: str | date | pd.Timestamp | None = None,
    horizon_days: float = HORIZON_DAYS,
    risk_days: float = RISK_DAYS,
    time_unit: TimeUnit = "day",
    annual_discount_rate: float = 0.0,
    segments: pd.DataFrame | None = None,
    segment_options: dict[str, object] | None = None,
) -> Forecast:
    """Fit, predict and (with a calibration end) backtest; see the module docstring.

    ``segments`` holds labels of the customers as of the as-of date, indexed by customer id,
    one column per grouping (e.g. ``segment`` and ``rfm_segment``, :func:`segment_labels`);
    customers without a label are left out of the per-segment tables. With a calibration
    end, ``segment_options`` (those of :func:`segment_customers`) segment the customers as
    they stood then instead (:func:`segments_at`). The input is not modified; the same
    input gives the same result.
    """
    _check_days(horizon_days, "horizon")
    _check_days(risk_days, "risk period")
    end = parse_snapshot(calibration_end, "calibration end")
    purchases = local_dates(purchases)  # every date below is a wall-clock date
    history = purchase_history(purchases, end, time_unit)
    table = history.customers
    fit = fit_bg_nbd(table)
    spend = fit_gamma_gamma(table)
    unit = DAYS_PER_UNIT[time_unit]
    predicted = table.assign(
        **{
            P_ALIVE: probability_alive(fit, table),
            EXPECTED_PURCHASES: expected_purchases(fit, table, horizon_days / unit),
            P_NO_PURCHASE: probability_no_purchase(fit, table, risk_days / unit),
            EXPECTED_ORDER_VALUE: expected_spend(spend, table),
            CLV: lifetime_value(
                fit,
                spend,
                table,
                time_unit=time_unit,
                horizon_days=horizon_days,
                annual_discount_rate=annual_discount_rate,
            ),
        }
    )
    holdout = [c for c in (HOLDOUT_PURCHASES, HOLDOUT_REVENUE) if c in table.columns]
    customers = predicted[[*CUSTOMER_COLUMNS, *holdout]]
    result = Forecast(
        customers=customers,
        revenue=_revenue_by_customer(purchases, history.calibration_end, customers.index),
        purchases_fit=fit,
        spend_fit=spend,
        time_unit=time_unit,
        as_of=history.calibration_end,
        calibration_end=None if end is None else history.calibration_end,
        horizon_days=float(horizon_days),
        risk_days=float(risk_days),
        annual_discount_rate=float(annual_discount_rate),
        segments={},
        segmentation=None,
        backtest=None if end is None else _backtest(purchases, history, fit, spend, customers),
        notes=_notes(fit, spend, customers, risk_days),
    )
    if end is not None and segment_options is not None:
        made = segments_at(purchases, history.calibration_end, **segment_options)
        return replace(result.with_segments(segment_labels(made)), segmentation=made)
    return result if segments is None else result.with_segments(segments)


def value_and_risk(row: pd.Series, horizon_days: float, risk_days: float) -> str:
    """A segment's predicted value and risk in one sentence, from its row of
    :func:`segment_table`, in compact pounds."""
    return (
        f"{format_money(row['clv_total'])} predicted in the next {horizon_days:,.0f} days, "
        f"{format_money(row['clv_mean'])} per customer; {row['likely_silent_share']:.0%} "
        f"likely not to buy in the next {risk_days:,.0f} days, "
        f"{format_money(row['revenue_at_risk'])} of revenue at risk."
    )


def _check_days(days: float, what: str) -> None:
    number = isinstance(days, int | float | np.integer | np.floating)
    if isinstance(days, bool) or not (number and 1 <= days <= MAX_DAYS):
        raise ModelError(f"The {what} must be a number of days from 1 to {MAX_DAYS}, not {days!r}.")


def _revenue_by_customer(
    purchases: pd.DataFrame, as_of: pd.Timestamp, customers: pd.Index
) -> pd.DataFrame:
    """Each customer's revenue up to the end of ``as_of`` and in its last 365 days."""
    day = purchases[INVOICE_DATE].dt.normalize()
    until = day <= as_of
    recent = until & (day > as_of - pd.Timedelta(days=RISK_REVENUE_DAYS))
    revenue = purchases[REVENUE]
    by = purchases[CUSTOMER_ID]
    return pd.DataFrame(
        {
            "revenue": revenue.where(until, 0.0).groupby(by).sum(),
            "last_year_revenue": revenue.where(recent, 0.0).groupby(by).sum(),
        }
    ).reindex(customers, fill_value=0.0)


def segment_table(
    customers: pd.DataFrame, labels: pd.Series, revenue: pd.DataFrame
) -> pd.DataFrame:
    """One row per segment of ``labels`` (same index as ``customers``).

    Columns: ``customers``, ``clv_total``, ``clv_mean``, ``expected_purchases`` (total) and
    ``expected_purchases_mean``, ``likely_silent_share``, ``revenue_at_risk``,
    ``revenue_per_customer`` (up to the as-of date); with holdout columns in ``customers``
    also ``holdout_repeat_rate`` (share of customers buying again in the holdout),
    ``holdout_purchases_per_customer`` and ``holdout_revenue_per_customer``. Segments come
    in the order of a categorical's categories, else by total CLV, highest first.
    """
    silent = customers[P_NO_PURCHASE] > LIKELY_SILENT
    frame = pd.DataFrame(
        {
            "customers": 1,
            "clv_total": customers[CLV],
            "clv_mean": customers[CLV],
            "expected_purchases": customers[EXPECTED_PURCHASES],
            "expected_purchases_mean": customers[EXPECTED_PURCHASES],
            "likely_silent_share": silent.astype(float),
            "revenue_at_risk": revenue["last_year_revenue"].where(silent, 0.0),
            "revenue_per_customer": revenue["revenue"],
        },
        index=customers.index,
    )
    how = {
        "customers": "sum",
        "clv_total": "sum",
        "clv_mean": "mean",
        "expected_purchases": "sum",
        "expected_purchases_mean": "mean",
        "likely_silent_share": "mean",
        "revenue_at_risk": "sum",
        "revenue_per_customer": "mean",
    }
    if HOLDOUT_PURCHASES in customers.columns:
        frame["holdout_repeat_rate"] = (customers[HOLDOUT_PURCHASES] > 0).astype(float)
        frame["holdout_purchases_per_customer"] = customers[HOLDOUT_PURCHASES]
        frame["holdout_revenue_per_customer"] = customers[HOLDOUT_REVENUE]
        how.update(dict.fromkeys(frame.columns[-3:], "mean"))
    grouped = frame.groupby(labels.to_numpy(), observed=True, sort=False).agg(how)
    if isinstance(labels.dtype, pd.CategoricalDtype):
        order = [c for c in labels.cat.categories if c in grouped.index]
    else:
        order = grouped.sort_values("clv_total", ascending=False, kind="stable").index
    grouped = grouped.reindex(order)
    grouped.index = grouped.index.astype(str)
    grouped.index.name = "segment"
    return grouped


def _backtest(
    purchases: pd.DataFrame,
    history: PurchaseHistory,
    fit: BgNbdFit,
    spend: GammaGammaFit,
    customers: pd.DataFrame,
) -> Backtest:
    """The calibration fit's predictions of the holdout against what the customers did."""
    table = history.customers
    length = history.holdout_length
    age = table[AGE].to_numpy(dtype=np.float64)
    rate = np.divide(table[FREQUENCY], age, out=np.zeros(len(age)), where=age > 0)
    purchases_by = {
        MODEL: expected_purchases(fit, table, length).to_numpy(),
        BASELINE: rate * length,
    }
    revenue_by = {
        MODEL: purchases_by[MODEL] * customers[EXPECTED_ORDER_VALUE].to_numpy(),
        BASELINE: purchases_by[BASELINE] * table[MONETARY_VALUE].to_numpy(),
    }
    notes = []
    alternative = None
    try:
        alternative = fit_bg_nbd(table, "mbg/nbd")
    except ModelError as error:
        notes.append(f"MBG/NBD is left out of the comparison: {_lower_first(str(error))}")
    else:
        purchases_by[MBG] = expected_purchases(alternative, table, length).to_numpy()
        revenue_by[MBG] = purchases_by[MBG] * customers[EXPECTED_ORDER_VALUE].to_numpy()
    actual = {
        "purchases": table[HOLDOUT_PURCHASES].to_numpy(dtype=np.float64),
        "revenue": table[HOLDOUT_REVENUE].to_numpy(dtype=np.float64),
    }
    rows, tenths = [], []
    for quantity, predictions in (("purchases", purchases_by), ("revenue", revenue_by)):
        for predictor in (MODEL, MBG, BASELINE):
            if predictor in predictions:
                prediction = predictions[predictor]
                rows.append(
                    {"quantity": quantity, "predictor": predictor}
                    | _accuracy(prediction, actual[quantity])
                )
                tenths.append(
                    _deciles(prediction, actual[quantity]).assign(
                        quantity=quantity, predictor=predictor
                    )
                )
    accuracy = pd.DataFrame(rows)
    actual_total = float(actual["purchases"].sum())
    model_total = float(purchases_by[MODEL].sum())
    warning = _rate_warning(
        actual_total, model_total, float(purchases_by[BASELINE].sum()), history.calibration_end
    )
    return Backtest(
        calibration_end=history.calibration_end,
        holdout_days=history.holdout_days,
        customers=len(table),
        accuracy=accuracy,
        deciles=pd.concat(tenths, ignore_index=True)[
            ["quantity", "predictor", "decile", "customers", "predicted", "actual"]
        ],
        monthly=monthly_purchases(purchases, history.calibration_end),
        rate_ratio=actual_total / model_total if model_total > 0 else math.nan,
        warning=warning,
        segment_agreement={},
        alternative=alternative,
        notes=tuple(notes),
    )


def _accuracy(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    error = predicted - actual
    spread = np.ptp(predicted) > 0 and np.ptp(actual) > 0
    return {
        "predicted": float(predicted.sum()),
        "actual": float(actual.sum()),
        "mae": float(np.abs(error).mean()),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "correlation": float(np.corrcoef(predicted, actual)[0, 1]) if spread else math.nan,
    }


def _errors(row: pd.Series) -> dict[str, object]:
    return {name: plain(row[name], 4) for name in ("mae", "rmse", "correlation")}


def _predicted(row: pd.Series, quantity: str) -> dict[str, object]:
    return {f"predicted_{quantity}": plain(row["predicted"], 2), **_errors(row)}


def _deciles(predicted: np.ndarray, actual: np.ndarray) -> pd.DataFrame:
    """Customers in tenths by prediction (equal sizes, ties by table order): the mean
    prediction and the mean actual value of each tenth, 1 the lowest."""
    rank = pd.Series(predicted).rank(method="first").to_numpy() - 1
    tenth = (rank * DECILES // len(predicted)).astype(np.int64) + 1
    frame = pd.DataFrame({"decile": tenth, "predicted": predicted, "actual": actual})
    grouped = frame.groupby("decile").agg(
        customers=("predicted", "size"), predicted=("predicted", "mean"), actual=("actual", "mean")
    )
    return grouped.reset_index()


def monthly_purchases(purchases: pd.DataFrame, calibration_end: pd.Timestamp) -> pd.DataFrame:
    """Purchase days (a customer's distinct days with an order) per month and period:
    ``month``, ``period`` (calibration up to the end of ``calibration_end``, else
    holdout) and ``purchases``; the month of the calibration end has a row for each."""
    day = purchases[INVOICE_DATE].dt.normalize()
    days = pd.DataFrame({CUSTOMER_ID: purchases[CUSTOMER_ID], "day": day}).drop_duplicates()
    days["month"] = days["day"].dt.to_period("M").dt.to_timestamp()
    days["period"] = np.where(days["day"] <= calibration_end, CALIBRATION, HOLDOUT)
    counts = days.groupby(["month", "period"]).size().rename("purchases").reset_index()
    return counts.astype({"purchases": "int64"})


def _rate_warning(actual: float, model: float, baseline: float, end: pd.Timestamp) -> str:
    """A sentence when the holdout buys at a clearly different rate from the calibration
    period: both the model and the customers' own past rate miss the total the same way."""
    ratios = [actual / total if total > 0 else math.nan for total in (model, baseline)]
    more = all(r > DIFFERENT_RATE for r in ratios)
    if not (more or all(r < 1 / DIFFERENT_RATE for r in ratios)):
        return ""
    word = "more" if more else "fewer"
    return (
        f"The calibration customers made {actual:,.0f} purchases in the held-out days, "
        f"{abs(ratios[0] - 1):.0%} {word} than the model fitted up to {end:%Y-%m-%d} expects "
        f"({model:,.0f}) and {abs(ratios[1] - 1):.0%} {word} than their own past rate gives "
        f"({baseline:,.0f}): the held-out months buy at a clearly different rate from the "
        "calibration average (a season such as the Christmas peak, a promotion or a change "
        "in the business), so every model fitted on that average misses the total, and the "
        "customers' ranking (the correlation) is the fairer test."
    )


def _rank_agreement(table: pd.DataFrame) -> float:
    """Spearman's correlation across segments of revenue per customer up to the calibration
    end and in the holdout (nan for fewer than three segments or no spread)."""
    if "holdout_revenue_per_customer" not in table or len(table) < 3:
        return math.nan
    value, later = table["revenue_per_customer"], table["holdout_revenue_per_customer"]
    if value.nunique() < 2 or later.nunique() < 2:
        return math.nan
    return float(spearmanr(value, later).statistic)


def _alive_share(customers: pd.DataFrame) -> float:
    """The share of repeat buyers with P(alive) of at least :data:`ALIVE_FLOOR`."""
    repeat = customers[FREQUENCY] > 0
    if not repeat.any():
        return 1.0
    return float((customers.loc[repeat, P_ALIVE] >= ALIVE_FLOOR).mean())


def _notes(
    fit: BgNbdFit, spend: GammaGammaFit, customers: pd.DataFrame, risk_days: float
) -> tuple[str, ...]:
    """How to read the fit, in sentences: P(alive) where it says little, the spend model."""
    risk = f"the probability of no purchase in the next {risk_days:,.0f} days"
    notes = []
    if fit.no_dropout:
        notes.append(
            "The fit finds no sign of customers dropping out (its dropout parameter a goes to "
            f"0), so P(alive) is 1 for every customer and tells them apart not at all; {risk} "
            "is the risk to read."
        )
    elif _alive_share(customers) >= ALIVE_SHARE:
        notes.append(
            f"P(alive) is at least {ALIVE_FLOOR} for {_alive_share(customers):.0%} of the "
            f"repeat buyers, so it tells them apart little; {risk} is the risk to read."
        )
    if fit.note and not fit.no_dropout:  # an edge or a search bound
        notes.append(fit.note)
    if (customers[FREQUENCY] == 0).any() and fit.variant == "bg/nbd":
        notes.append(
            "Under BG/NBD a customer who bought only once is alive (P(alive) = 1) however "
            "long ago that was, so P(alive) ranks the repeat buyers only."
        )
    if spend.note:
        notes.append(spend.note)
    return tuple(notes)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def segments_at(purchases: pd.DataFrame, end: pd.Timestamp, **options: object) -> Segmentation:
    """The segmentation of the customers as they stood at the end of ``end``, by the one
    rule of a customer as of a date
    (:func:`~segmentation.transactions.features.customers_as_of`), with ``options`` of
    :func:`~segmentation.segments.segment.segment_customers`: what the segments were at a
    calibration end. Features the orders cannot give by date (distinct products) are left
    out, which a note says."""
    customers = customers_as_of(purchases, end).customers
    if customers.empty:
        raise ModelError(
            f"No customer had bought by {end:%Y-%m-%d}; choose a later calibration end."
        )
    return segments_as_of(customers, end, **options)


def segment_labels(segmentation: Segmentation, names: dict[int, str] | None = None) -> pd.DataFrame:
    """The ``segment`` (clusters in value order, by ``names`` where given) and
    ``rfm_segment`` of every customer, indexed by customer id, as :func:`forecast` takes
    them."""
    customers = segmentation.customers
    profiles = segmentation.profiles.table
    names = names or dict(zip(profiles["cluster"], profiles["segment"], strict=True))
    order = list(dict.fromkeys(names[c] for c in sorted(names)))
    return pd.DataFrame(
        {
            "segment": pd.Categorical(customers["cluster"].map(names), categories=order),
            "rfm_segment": customers["rfm_segment"].to_numpy(),
        },
        index=pd.Index(customers[CUSTOMER_ID], name=CUSTOMER_ID),
    )
