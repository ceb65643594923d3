"""BG/NBD and MBG/NBD: the paper's CDNOW fit, closed forms against integrals and simulation,
lifetimes as a cross-check, and the no-dropout edge of Online Retail."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.optimize import check_grad, minimize
from scipy.special import betaln, gammaln, hyp2f1
from scipy.stats import nbinom

from segmentation.errors import ModelError
from segmentation.value import bg_nbd, likelihood
from segmentation.value.bg_nbd import (
    BgNbdFit,
    expected_purchases,
    expected_purchases_new_customer,
    fit_bg_nbd,
    log_likelihood,
    predict,
    probability_alive,
    probability_no_purchase,
)
from segmentation.value.purchase_history import purchase_history
from tests.samples import assert_one_sentence

# --- The papers' CDNOW sample and UCI Online Retail, read from ../shared/data (skipped where
# absent); nothing derived from them is stored in the repository.


#: Published BG/NBD fit on CDNOW, 39 weeks (Fader, Hardie & Lee 2005, section 7).
CDNOW_BG_NBD = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
CDNOW_LOG_LIKELIHOOD = -9582.43
VARIANTS = ["bg/nbd", "mbg/nbd"]


def history(x: float, tx: float, age: float) -> pd.DataFrame:
    return pd.DataFrame({"frequency": [x], "recency": [tx], "T": [age]})


# --- The paper's data ----------------------------------------------------------------------


@pytest.mark.real
def test_cdnow_fit_reproduces_the_published_parameters(cdnow_history) -> None:
    table = cdnow_history.customers
    before = table.copy()
    fit = fit_bg_nbd(table)
    # Published to 4 decimals: agree within half a unit of the last digit.
    for name, published in CDNOW_BG_NBD.items():
        assert abs(getattr(fit, name) - published) <= 5e-5, (name, getattr(fit, name))
    assert abs(fit.log_likelihood - CDNOW_LOG_LIKELIHOOD) <= 5e-3
    assert fit.converged and not fit.no_dropout and fit.note == ""
    assert fit.customers == 2357
    assert fit.log_likelihood == pytest.approx(log_likelihood(fit, table).sum(), rel=1e-12)
    pd.testing.assert_frame_equal(table, before)


@pytest.mark.real
def test_cdnow_mbg_nbd_fits_one_time_buyers_that_can_be_gone(cdnow_history) -> None:
    table = cdnow_history.customers
    fit = fit_bg_nbd(table, "mbg/nbd")
    assert fit.variant == "mbg/nbd" and fit.converged and not fit.no_dropout
    alive = probability_alive(fit, table)
    one_time = table["frequency"] == 0
    assert (alive[one_time] < 1).all()
    assert (alive[~one_time] < 1).all()
    assert (probability_alive(fit_bg_nbd(table), table)[one_time] == 1).all()


@pytest.mark.real
def test_cdnow_holdout_figures_of_the_paper(cdnow_history) -> None:
    """Section 7: the 1,411 customers without repeat purchases in weeks 1-39 made 334 in
    weeks 40-78 (0.24 each); the conditional expectation (eq. 10) gives 0.23, and it
    correlates 0.626 with the actual holdout purchases over all customers."""
    table = cdnow_history.customers
    assert cdnow_history.holdout_length == 39
    fit = fit_bg_nbd(table)
    predicted = expected_purchases(fit, table, cdnow_history.holdout_length)
    zero = table["frequency"] == 0
    assert zero.sum() == 1411 and table.loc[zero, "holdout_purchases"].sum() == 334
    assert round(predicted[zero].mean(), 2) == 0.23
    assert round(predicted.corr(table["holdout_purchases"]), 3) == 0.626


# --- Closed forms against numerical integration --------------------------------------------


def mixed(f, r: float, alpha: float, a: float, b: float) -> float:
    """E f(lambda, p) for lambda ~ gamma(r, alpha), p ~ beta(a, b), by nested quadrature."""
    log_gamma = r * math.log(alpha) - gammaln(r)
    log_beta = -betaln(a, b)

    def inner(p: float) -> float:
        def term(lam: float) -> float:
            if lam <= 0:
                return 0.0
            return f(lam, p) * math.exp(log_gamma + (r - 1) * math.log(lam) - alpha * lam)

        return integrate.quad(term, 0, math.inf, epsabs=0, epsrel=1e-9, limit=200)[0]

    def outer(p: float) -> float:
        density = math.exp(log_beta + (a - 1) * math.log(p) + (b - 1) * math.log1p(-p))
        return inner(p) * density

    return integrate.quad(outer, 0, 1, epsabs=0, epsrel=1e-9, limit=200)[0]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    "params", [(0.2426, 4.4136, 0.7929, 2.4259), (1.5, 3.0, 0.3, 0.4)], ids=["cdnow", "a+b<1"]
)
@pytest.mark.parametrize(
    ("x", "tx", "age"), [(0, 0.0, 20.0), (4, 12.5, 13.0)], ids=["one-time", "repeat"]
)
def test_closed_forms_match_integrals_over_lambda_and_p(variant, params, x, tx, age) -> None:
    """Eq. 6, P(alive), eq. 10 and P(no purchase) from the individual-level model (eq. 3):

    given lambda, p the history's likelihood is (1-p)^n lam^x e^(-lam T) (alive at T)
    + [n > 0] p (1-p)^(n-1) lam^x e^(-lam t_x) (gone after the last purchase), n = x + shift;
    alive, a customer buys (1 - e^(-lam p t))/p times in t and none with prob. e^(-lam t).
    """
    n = x + (variant == "mbg/nbd")
    t = 10.0

    def alive(lam: float, p: float) -> float:
        return (1 - p) ** n * lam**x * math.exp(-lam * age)

    def gone(lam: float, p: float) -> float:
        return p * (1 - p) ** (n - 1) * lam**x * math.exp(-lam * tx) if n > 0 else 0.0

    likelihood = mixed(lambda lam, p: alive(lam, p) + gone(lam, p), *params)
    alive_share = mixed(alive, *params)
    silent = mixed(lambda lam, p: alive(lam, p) * math.exp(-lam * t), *params)
    purchases = mixed(lambda lam, p: alive(lam, p) * -math.expm1(-lam * p * t) / p, *params)

    fit = BgNbdFit(*params, variant=variant)
    table = history(x, tx, age)
    # Quadrature to 1e-9 relative, nested twice: compare at 1e-7.
    assert math.exp(log_likelihood(fit, table).iloc[0]) == pytest.approx(likelihood, rel=1e-7)
    assert probability_alive(fit, table).iloc[0] == pytest.approx(
        alive_share / likelihood, rel=1e-7
    )
    assert expected_purchases(fit, table, t).iloc[0] == pytest.approx(
        purchases / likelihood, rel=1e-7
    )
    no_purchase = (silent + likelihood - alive_share) / likelihood
    assert probability_no_purchase(fit, table, t).iloc[0] == pytest.approx(no_purchase, rel=1e-7)


@pytest.mark.parametrize("variant", VARIANTS)
def test_new_customer_expectation_matches_integral_and_eq_9(variant: str) -> None:
    r, alpha, a, b = params = (0.2426, 4.4136, 0.7929, 2.4259)
    fit = BgNbdFit(*params, variant=variant)
    t = 39.0
    shift = variant == "mbg/nbd"
    integral = mixed(lambda lam, p: (1 - p) ** shift * -math.expm1(-lam * p * t) / p, *params)
    assert expected_purchases_new_customer(fit, t)[0] == pytest.approx(integral, rel=1e-7)
    if variant == "bg/nbd":  # eq. 9 as printed, without our Euler transformation
        z = t / (alpha + t)
        eq_9 = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
        assert expected_purchases_new_customer(fit, t)[0] == pytest.approx(eq_9, rel=1e-12)


def random_histories(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x and T of 200 customers with 0-5 repeat purchases over 5-40 periods."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, 200).astype(float)
    age = rng.uniform(5, 40, 200)
    tx = np.where(x > 0, age * rng.uniform(0, 1, 200), 0.0)
    return x, tx, age


@pytest.mark.parametrize("variant", VARIANTS)
def test_analytic_gradient_matches_finite_differences(variant: str) -> None:
    x, tx, age = random_histories(3)
    shift = bg_nbd.SHIFT[variant]

    def value(theta: np.ndarray) -> float:
        return bg_nbd._log_likelihood(np.exp(theta), x, tx, age, shift)[0].sum()

    def gradient(theta: np.ndarray) -> np.ndarray:
        return bg_nbd._log_likelihood(np.exp(theta), x, tx, age, shift)[1].sum(axis=1)

    for params in [(0.24, 4.4, 0.79, 2.4), (1.5, 3.0, 0.3, 0.4), (0.7, 60.0, 1e-3, 200.0)]:
        theta = np.log(params)
        error = check_grad(value, gradient, theta, epsilon=1e-7)
        assert error <= 1e-4 * max(1.0, np.linalg.norm(gradient(theta))), params


def test_predictions_are_continuous_through_a_equal_one() -> None:
    table = pd.DataFrame({"frequency": [0, 1, 5], "recency": [0.0, 3.0, 20.0], "T": [30.0] * 3})
    at_one = expected_purchases(BgNbdFit(0.5, 5.0, 1.0, 2.0), table, 20.0).to_numpy()
    near = [expected_purchases(BgNbdFit(0.5, 5.0, 1 + h, 2.0), table, 20.0) for h in (-1e-4, 1e-4)]
    assert np.all(np.isfinite(at_one))
    np.testing.assert_allclose(at_one, 0.5 * (near[0] + near[1]), rtol=1e-7)


@pytest.mark.parametrize(
    ("a", "b"), [(1.0, 2.0), (0.99999, 1e4), (1.001, 1e6), (300.0, 1e6), (1e4, 10.0), (0.79, 2.4)]
)
@pytest.mark.parametrize("variant", VARIANTS)
def test_expected_purchases_where_eq_10_evaluates_badly(a: float, b: float, variant: str) -> None:
    """Near a = 1, for large a or b, and for heavy buyers over long horizons, against
    sum_j B(a, b+n+j-1)/B(a, b+n) P(M >= j), M ~ NBD(r+x, t/(alpha+T+t)): the expected
    min(M, J) with P(J >= j) = (1-p)^(j-1), summed with scipy's negative binomial."""
    r, alpha = 0.8, 70.0
    fit = BgNbdFit(r, alpha, a, b, variant)
    x = np.array([0.0, 3.0, 300.0, 300.0])
    age = np.array([30.0, 300.0, 30.0, 300.0])
    for t in (1e-3, 7.0, 365.0, 3000.0):
        got = bg_nbd._expected_given_alive(fit, x, age, t)
        for value, xi, ti in zip(got, x, age, strict=True):
            k, z, b_n = r + xi, t / (alpha + ti + t), b + xi + bg_nbd.SHIFT[variant]
            sd = math.sqrt(k * z) / (1 - z)
            j = np.arange(1, int(k * z / (1 - z) + 60 * sd + 200))
            keep = np.exp(betaln(a, b_n + j - 1) - betaln(a, b_n))
            want = np.sum(keep * nbinom.sf(j - 1, k, 1 - z))
            assert value == pytest.approx(want, rel=1e-8), (t, xi, ti)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("a", [1.5e5, 1e7])
def test_predictions_near_a_fixed_dropout_probability(variant: str, a: float) -> None:
    """Large a and b with a/(a+b) = p (the demo data's fit: a = 1.5e5, b = 9.8e6) are a
    dropout probability p fixed for everyone. Given lambda ~ gamma(r+x, alpha+T) and alive,
    a customer makes (1 - e^(-lambda p t))/p purchases in t, whose mean is
    (1 - ((alpha+T)/(alpha+T+p t))^(r+x))/p; the odds of having dropped out after the last
    purchase are p/(1-p) ((alpha+T)/(alpha+t_x))^(r+x) for x > 0 (both variants)."""
    r, alpha, p, t = 0.55, 27.3, 0.015, 90.0
    table = pd.DataFrame(
        {"frequency": [0, 4, 30], "recency": [0.0, 80.0, 200.0], "T": [120.0, 150.0, 210.0]}
    )
    x, tx, age = (table[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    odds = p / (1 - p) * ((alpha + age) / (alpha + tx)) ** (r + x)
    n = x + (variant == "mbg/nbd")
    alive = np.where(n > 0, 1 / (1 + odds), 1.0)
    given_alive = (1 - ((alpha + age) / (alpha + age + p * t)) ** (r + x)) / p
    fit = BgNbdFit(r, alpha, a, a * (1 - p) / p, variant=variant)
    np.testing.assert_allclose(probability_alive(fit, table), alive, rtol=1e-5)
    np.testing.assert_allclose(expected_purchases(fit, table, t), alive * given_alive, rtol=1e-5)


# --- Closed forms against a simulation of the process --------------------------------------


def simulate(fit: BgNbdFit, customers: int, horizon: float, seed: int):
    """Histories over T ~ U(10, 40) and purchases in the next ``horizon`` periods.

    lambda ~ gamma(r, alpha), p ~ beta(a, b); the number of repeat purchases a customer makes
    before dropping out is geometric(p) on 1, 2, ... (BG/NBD) or on 0, 1, ... (MBG/NBD).
    Given the Poisson count N in (0, T], the x-th purchase time is T Beta(x, N - x + 1) (the
    x-th of N uniform order statistics); the customer is alive at T when N < that number.
    """
    rng = np.random.default_rng(seed)
    shift = bg_nbd.SHIFT[fit.variant]
    age = rng.uniform(10, 40, customers)
    lam = rng.gamma(fit.r, 1 / fit.alpha, customers)
    limit = rng.geometric(rng.beta(fit.a, fit.b, customers)) - shift
    arrivals = rng.poisson(lam * age)
    x = np.minimum(arrivals, limit)
    tx = np.where(x > 0, age * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    alive = arrivals < limit
    future = np.where(alive, np.minimum(rng.poisson(lam * horizon), limit - arrivals), 0)
    table = pd.DataFrame({"frequency": x, "recency": tx, "T": age})
    return table, alive, future


@pytest.mark.parametrize("variant", VARIANTS)
def test_predictions_match_a_simulation_of_the_process(variant: str) -> None:
    """Per group of histories, the mean of (simulated - predicted) is 0 under the model.

    Within any group defined by the history, E[outcome - E(outcome | history)] = 0, so the
    mean difference is compared with 4 of its standard errors (seeded; |z| < 4 has
    probability 0.99994 per comparison). Groups split on x and on t_x / T so that a wrong
    dependence on either would show.
    """
    fit = BgNbdFit(**CDNOW_BG_NBD, variant=variant)
    horizon = 20.0
    table, alive, future = simulate(fit, 200_000, horizon, seed=1)
    predicted = predict(fit, table, horizon)
    x = table["frequency"].to_numpy()
    late = table["recency"].to_numpy() > 0.5 * table["T"].to_numpy()
    groups = {
        "x=0": x == 0,
        "x=1, early last": (x == 1) & ~late,
        "x=1, late last": (x == 1) & late,
        "x=2-4, early last": (x >= 2) & (x <= 4) & ~late,
        "x=2-4, late last": (x >= 2) & (x <= 4) & late,
        "x>=5": x >= 5,
    }
    outcomes = {
        "p_alive": alive,
        "expected_purchases": future,
        "p_no_purchase": future == 0,
    }
    for group, rows in groups.items():
        assert rows.sum() > 5_000
        for column, outcome in outcomes.items():
            difference = outcome[rows] - predicted[column].to_numpy()[rows]
            error = difference.std() / math.sqrt(rows.sum())
            assert abs(difference.mean()) <= 4 * error + 1e-12, (group, column)
    # New customers: E[X(T)] (eq. 9) against the simulated repeat purchases in (0, T].
    difference = x - expected_purchases_new_customer(fit, table["T"].to_numpy())
    assert abs(difference.mean()) <= 4 * difference.std() / math.sqrt(len(difference))


# --- The edge of one dropout probability for everyone --------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_fixed_dropout_likelihood_is_the_limit_of_eq_6_with_its_gradient(variant: str) -> None:
    x, tx, age = random_histories(5)
    shift = bg_nbd.SHIFT[variant]
    r, alpha, p = 0.6, 4.0, 0.05
    theta = np.array([math.log(r), math.log(alpha), math.log(p / (1 - p))])
    fixed = bg_nbd._fixed_dropout_log_likelihood(theta, x, tx, age, shift)[0]
    for concentration, rtol in [(1e5, 1e-4), (1e7, 1e-6)]:
        params = np.array([r, alpha, p * concentration, (1 - p) * concentration])
        limit = bg_nbd._log_likelihood(params, x, tx, age, shift)[0]
        np.testing.assert_allclose(limit, fixed, rtol=rtol)

    def value(theta: np.ndarray) -> float:
        return bg_nbd._fixed_dropout_log_likelihood(theta, x, tx, age, shift)[0].sum()

    def gradient(theta: np.ndarray) -> np.ndarray:
        return bg_nbd._fixed_dropout_log_likelihood(theta, x, tx, age, shift)[1].sum(axis=1)

    error = check_grad(value, gradient, theta, epsilon=1e-7)
    assert error <= 1e-4 * max(1.0, np.linalg.norm(gradient(theta)))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_base_with_one_dropout_probability_is_fitted(variant: str, seed: int) -> None:
    """Customers who all drop out with p = 0.05 after each purchase: the likelihood is
    nearly flat as a, b grow at a fixed ratio, and the search either stops at a narrow beta
    or goes to the edge, whose fit is the fixed-p limit; p is recovered either way."""
    truth = BgNbdFit(0.8, 5.0, 0.05 * 1e9, 0.95 * 1e9, variant=variant)
    table, _, _ = simulate(truth, 20_000, 1.0, seed=seed)
    fit = fit_bg_nbd(table, variant)
    assert fit.converged and not fit.no_dropout and fit.a + fit.b > 100
    assert fit.a / (fit.a + fit.b) == pytest.approx(0.05, abs=0.005)
    assert (fit.r, fit.alpha) == (pytest.approx(0.8, rel=0.05), pytest.approx(5.0, rel=0.05))
    if fit.a + fit.b > bg_nbd.EDGE_CONCENTRATION:
        assert fit.a + fit.b == pytest.approx(bg_nbd.FIXED_CONCENTRATION)
        assert "drops out with the same probability" in fit.note
        assert_one_sentence(fit.note)
    assert np.isfinite(expected_purchases(fit, table, 10.0)).all()


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_demo_calibration_fits_at_one_dropout_probability(variant: str, demo_run) -> None:
    """The demo data to 2024-09-09 (the app's default calibration): both variants go to the
    fixed-p edge, in days and in weeks alike."""
    purchases = demo_run.purchases
    fits = {
        unit: fit_bg_nbd(purchase_history(purchases, "2024-09-09", unit).customers, variant)
        for unit in ("day", "week")
    }
    for fit in fits.values():
        assert fit.a + fit.b == pytest.approx(bg_nbd.FIXED_CONCENTRATION)
        assert "drops out with the same probability" in fit.note
    day, week = fits["day"], fits["week"]
    assert day.alpha == pytest.approx(7 * week.alpha, rel=1e-4)
    assert day.a == pytest.approx(week.a, rel=1e-4) and day.r == pytest.approx(week.r, rel=1e-4)


# --- lifetimes as a cross-check ------------------------------------------------------------


@pytest.mark.real
@pytest.mark.parametrize("variant", VARIANTS)
def test_agrees_with_lifetimes_on_cdnow(cdnow_history, variant: str) -> None:
    lifetimes = pytest.importorskip("lifetimes", reason="lifetimes (a dev requirement) absent")
    table = cdnow_history.customers
    x, tx, age = table["frequency"], table["recency"], table["T"]
    fitter_class = (
        lifetimes.BetaGeoFitter if variant == "bg/nbd" else lifetimes.ModifiedBetaGeoFitter
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = fitter_class(penalizer_coef=0.0).fit(x, tx, age, tol=1e-6)
        their_alive = np.asarray(theirs.conditional_probability_alive(x, tx, age))
        their_purchases = np.asarray(
            theirs.conditional_expected_number_of_purchases_up_to_time(39, x, tx, age)
        )
    # Same parameters, same formulas: agreement to rounding.
    same = BgNbdFit(*theirs.params_[["r", "alpha", "a", "b"]], variant=variant)
    np.testing.assert_allclose(probability_alive(same, table), their_alive, rtol=1e-10)
    np.testing.assert_allclose(expected_purchases(same, table, 39), their_purchases, rtol=1e-10)
    # Own fits: lifetimes stops when its mean negative log-likelihood moves by < 1e-6, which
    # leaves parameter errors up to ~sqrt(1e-6) = 1e-3 in the flattest direction; measured
    # differences are ~4e-5, so 1e-3 relative is an honest bound for the predictions.
    ours = fit_bg_nbd(table, variant)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(ours, name) == pytest.approx(theirs.params_[name], rel=1e-3)
    np.testing.assert_allclose(probability_alive(ours, table), their_alive, rtol=1e-3)
    np.testing.assert_allclose(expected_purchases(ours, table, 39), their_purchases, rtol=1e-3)


# --- Real data: the no-dropout edge --------------------------------------------------------


@pytest.mark.real
def test_online_retail_converges_at_the_no_dropout_edge(online_retail_orders) -> None:
    table = purchase_history(online_retail_orders, "2011-09-09", "day").customers
    fit = fit_bg_nbd(table)
    assert fit.converged and fit.no_dropout
    assert fit.a == 0 and math.isnan(fit.b)
    assert "no dropout" in fit.note
    assert_one_sentence(fit.note)
    repeat = table["frequency"] > 0
    assert (probability_alive(fit, table)[repeat] >= 0.999).all()
    # The edge is the maximum: no (a, b) with dropout does better once r, alpha are refitted.
    x, tx, age = (table[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    for a, b in [(1e-3, 1.0), (0.05, 5.0), (0.5, 50.0), (2.0, 500.0)]:

        def loss(theta, a=a, b=b):
            params = np.r_[np.exp(theta), a, b]
            return -bg_nbd._log_likelihood(params, x, tx, age, 0)[0].sum()

        best = minimize(loss, np.log([fit.r, fit.alpha]), method="Nelder-Mead")
        assert -best.fun <= fit.log_likelihood + 1e-6, (a, b)
    # ... and the limit of the likelihood as a -> 0 is the fit's.
    tiny = BgNbdFit(fit.r, fit.alpha, 1e-9, 5.0)
    assert log_likelihood(tiny, table).sum() == pytest.approx(fit.log_likelihood, abs=1e-3)
    # Predictions at the edge are the NBD's, finite and consistent.
    predicted = predict(fit, table, 30.0)
    assert np.isfinite(predicted.to_numpy()).all()
    np.testing.assert_allclose(
        predicted["expected_purchases"],
        (fit.r + table["frequency"]) * 30.0 / (fit.alpha + table["T"]),
        rtol=1e-12,
    )


# --- Errors --------------------------------------------------------------------------------


def test_too_few_repeat_customers_is_one_sentence() -> None:
    table = pd.DataFrame(
        {"frequency": [0] * 50 + [1] * 19, "recency": [0.0] * 50 + [2.0] * 19, "T": [10.0] * 69}
    )
    with pytest.raises(ModelError) as error:
        fit_bg_nbd(table)
    assert "19 customer(s) bought more than once" in str(error.value)
    assert_one_sentence(str(error.value))


@pytest.mark.parametrize(
    ("table", "words"),
    [
        (pd.DataFrame({"frequency": [1], "recency": [5.0], "T": [4.0]}), "impossible history"),
        (pd.DataFrame({"frequency": [0], "recency": [2.0], "T": [4.0]}), "impossible history"),
        (pd.DataFrame({"frequency": [1.5], "recency": [2.0], "T": [4.0]}), "impossible history"),
        (pd.DataFrame({"frequency": [1], "T": [4.0]}), "lacks the column(s) recency"),
    ],
)
def test_bad_tables_are_one_sentence(table: pd.DataFrame, words: str) -> None:
    with pytest.raises(ModelError) as error:
        probability_alive(BgNbdFit(**CDNOW_BG_NBD), table)
    assert words in str(error.value)
    assert_one_sentence(str(error.value))


def test_unknown_variant_is_one_sentence() -> None:
    with pytest.raises(ModelError) as error:
        expected_purchases(BgNbdFit(**CDNOW_BG_NBD, variant="pareto"), history(1, 1, 2), 5)  # type: ignore[arg-type]
    assert_one_sentence(str(error.value))


def test_a_search_that_stops_short_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A search that ends away from a maximum (here: stopped after one step) is refused."""
    table, _, _ = simulate(BgNbdFit(**CDNOW_BG_NBD), 2_000, 1.0, seed=9)
    original = likelihood.minimize

    def one_step(*args, **kwargs):
        kwargs["options"] = {**kwargs["options"], "maxiter": 1}
        return original(*args, **kwargs)

    monkeypatch.setattr(likelihood, "minimize", one_step)
    with pytest.raises(ModelError) as error:
        fit_bg_nbd(table)
    assert "did not converge" in str(error.value)
    assert_one_sentence(str(error.value))
