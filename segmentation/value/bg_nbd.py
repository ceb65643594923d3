"""BG/NBD and MBG/NBD models of repeat purchases: maximum likelihood fit and predictions.

BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative
to the Pareto/NBD model", Marketing Science 24(2), 275-284. While alive a customer buys
at Poisson rate lambda ~ gamma(r, alpha); right after each REPEAT purchase they drop out
for good with probability p ~ beta(a, b). MBG/NBD (Batislam, Denizel & Filiztekin 2007,
International Journal of Research in Marketing 24(3), 201-209) lets the customer also
drop out right after the first purchase, so one-time buyers can be gone too.

Both variants are one piece of code: with ``shift`` = 0 (BG/NBD) or 1 (MBG/NBD), a
customer with x repeat purchases has had n = x + shift chances to drop out, and every
beta-function term of the BG/NBD formulas takes b + n where the paper has b + x (the
gamma, Poisson terms keep x). Eq. numbers below are those of the BG/NBD paper.

Input: a table with the columns ``frequency`` (x), ``recency`` (t_x) and ``T``, as built
by :func:`segmentation.value.purchase_history.purchase_history`, in one time unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from segmentation.errors import ModelError
from segmentation.value.likelihood import PerCustomer, Search, maximise

Variant = Literal["bg/nbd", "mbg/nbd"]
SHIFT: dict[str, int] = {"bg/nbd": 0, "mbg/nbd": 1}
MIN_REPEAT_CUSTOMERS = 20
#: Bounds of each parameter during the search (the search runs on their logarithms).
LOWER, UPPER = 1e-8, 1e6
#: Largest mean gradient (per customer, on log-parameters) accepted as a maximum.
GRADIENT_TOLERANCE = 1e-5
#: A search ending below this mean dropout probability a/(a+b) is heading for no dropout.
EDGE_DROPOUT = 1e-4
#: The no-dropout limit is the maximum when its log-likelihood is at most this much lower.
EDGE_TOLERANCE = 1e-3
#: A search ending with a + b above this is heading for a dropout probability the same for
#: every customer (the beta distribution of p narrows to a point as a, b -> infinity).
EDGE_CONCENTRATION = 1e4
#: a + b of a fit at that edge: p then varies by about 1e-5 around a/(a+b), and the
#: predictions are those of the fixed p to about 1e-7 (a test checks it).
FIXED_CONCENTRATION = 1e8
#: There the beta terms of eq. 6 are differences of numbers of the order of a + b, which
#: keep about 1e-7 of a customer's log-likelihood: the fixed-p limit is the maximum when
#: its mean log-likelihood is at most this much lower.
CONCENTRATED_TOLERANCE = 1e-6


@dataclass(frozen=True)
class BgNbdFit:
    """Parameters of a (M)BG/NBD model and how the fit went.

    ``a`` = 0 means the likelihood is highest in the limit of no dropout: every customer is
    alive, the model is the NBD of Ehrenberg, and ``b`` is not identified (nan).
    Build one by hand with the four parameters to predict with given values.
    """

    r: float
    alpha: float
    a: float
    b: float
    variant: Variant = "bg/nbd"
    log_likelihood: float = math.nan
    customers: int = 0
    converged: bool = True
    no_dropout: bool = False
    note: str = ""


def _columns(history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x and T as float arrays, checked for the model's conventions."""
    missing = [c for c in ("frequency", "recency", "T") if c not in history.columns]
    if missing:
        raise ModelError(
            f"The customer table lacks the column(s) {', '.join(missing)}; "
            "build it with purchase_history()."
        )
    x, tx, age = (history[c].to_numpy(dtype=np.float64) for c in ("frequency", "recency", "T"))
    finite = np.isfinite(x) & np.isfinite(tx) & np.isfinite(age)
    valid = finite & (x >= 0) & (x == np.floor(x)) & (tx >= 0) & (tx <= age)
    valid &= (x > 0) | (tx == 0)
    if not valid.all():
        raise ModelError(
            f"The customer table has {int((~valid).sum())} customer(s) with an impossible "
            "history (frequency not a whole number >= 0, or recency outside 0..T, or recency "
            "> 0 without repeat purchases); build the table with purchase_history()."
        )
    return x, tx, age


def _shift(variant: str) -> int:
    if variant not in SHIFT:
        raise ModelError(f"Unknown variant {variant!r}; choose 'bg/nbd' or 'mbg/nbd'.")
    return SHIFT[variant]


def _log_likelihood(
    params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray, shift: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood (eq. 6) and its gradient in the log-parameters.

    L = B(a, b+n)/B(a,b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + [n > 0] B(a+1, b+n-1)/B(a,b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x)),
    n = x + shift; the two terms ("alive at T", "dropped out after the last purchase")
    are added in log space with logaddexp.
    """
    r, alpha, a, b = params
    n = x + shift
    some = n > 0
    n1 = np.where(some, n, 1.0)  # keeps b + n - 1 > 0 where the term is masked out
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    log_alive_t = np.log(alpha + age)
    log_last_t = np.log(alpha + tx)
    alive = betaln(a, b + n) - (r + x) * log_alive_t
    dropped = np.where(some, betaln(a + 1, b + n1 - 1) - (r + x) * log_last_t, -np.inf)
    total = np.logaddexp(alive, dropped)
    ll = head + total
    w_alive = np.exp(alive - total)
    w_dropped = 1.0 - w_alive
    psi_abn = digamma(a + b + n)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w_alive * log_alive_t
    d_r -= w_dropped * log_last_t
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + age) + w_dropped / (alpha + tx))
    d_a = -(digamma(a) - digamma(a + b)) + w_alive * (digamma(a) - psi_abn)
    d_a += w_dropped * (digamma(a + 1) - psi_abn)
    d_b = -(digamma(b) - digamma(a + b)) + w_alive * (digamma(b + n) - psi_abn)
    d_b += np.where(some, w_dropped * (digamma(b + n1 - 1) - psi_abn), 0.0)
    grad = np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return ll, grad


def _nbd_log_likelihood(params: np.ndarray, x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood in the limit a -> 0 (no dropout): the NBD's."""
    r, alpha = params
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + age)


def log_likelihood(fit: BgNbdFit, history: pd.DataFrame) -> pd.Series:
    """Log-likelihood of each customer's history under the fit's parameters (eq. 6)."""
    x, tx, age = _columns(history)
    if fit.a == 0:
        ll = _nbd_log_likelihood(np.array([fit.r, fit.alpha]), x, age)
    else:
        params = np.array([fit.r, fit.alpha, fit.a, fit.b])
        ll = _log_likelihood(params, x, tx, age, _shift(fit.variant))[0]
    return pd.Series(ll, index=history.index, name="log_likelihood")


def _start(x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Starting values: r = 1 and alpha from the mean purchase rate; a = 1, b = 3."""
    rate = float(np.mean(x)) / max(float(np.mean(age)), 1e-9)
    alpha = 1.0 / max(rate, 1e-6)
    return np.log(np.clip([1.0, alpha, 1.0, 3.0], LOWER * 10, UPPER / 10))


def _maximise(per_customer: PerCustomer, start: np.ndarray) -> Search:
    """The shared search within this model's bounds and gradient tolerance."""
    return maximise(per_customer, start, (LOWER, UPPER), GRADIENT_TOLERANCE)


def fit_bg_nbd(history: pd.DataFrame, variant: Variant = "bg/nbd") -> BgNbdFit:
    """Fit r, alpha, a, b by maximum likelihood (eqs. 6-7) on a customer table.

    The search runs on the log-parameters (L-BFGS-B, analytic gradient). When it heads for
    no dropout (a/(a+b) -> 0), the limit a = 0 (the NBD) is fitted too and kept if it is
    at least as likely: the fit then converges at that edge and says so in ``no_dropout``
    and ``note``. A parameter stopped at a search bound is named in ``note``.
    Raises ModelError when there are fewer than 20 repeat customers or no maximum is found.
    """
    shift = _shift(variant)
    x, tx, age = _columns(history)
    customers = len(x)
    repeat = int(np.count_nonzero(x))
    if repeat < MIN_REPEAT_CUSTOMERS:
        raise ModelError(
            f"Only {repeat} customer(s) bought more than once, too few to fit the {variant.upper()}"
            f" model; it needs at least {MIN_REPEAT_CUSTOMERS} repeat customers (use a longer "
            "calibration period or more customers)."
        )

    def per_customer(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _log_likelihood(np.exp(theta), x, tx, age, shift)

    theta, mean_ll, converged, at_bound = _maximise(per_customer, _start(x, age))
    r, alpha, a, b = np.exp(theta)
    ll = mean_ll * customers
    # Towards no dropout (a/(a+b) -> 0, by a -> 0 or b -> infinity) the likelihood tends to
    # the NBD's; that edge is the maximum when the NBD is at least as likely.
    if a / (a + b) < EDGE_DROPOUT or at_bound[2] or at_bound[3]:
        edge = _fit_no_dropout(x, age)
        if edge is not None and edge[2] * customers >= ll - EDGE_TOLERANCE:
            return BgNbdFit(
                r=edge[0],
                alpha=edge[1],
                a=0.0,
                b=math.nan,
                variant=variant,
                log_likelihood=edge[2] * customers,
                customers=customers,
                converged=True,
                no_dropout=True,
                note=(
                    "The likelihood is highest in the limit of no dropout (a -> 0), so the fit "
                    "is that limit: every customer is alive (P(alive) = 1), purchases follow "
                    "the NBD model, and b is not identified."
                ),
            )
    # Towards one dropout probability for everyone (a, b -> infinity, a/(a+b) fixed) the
    # likelihood tends to that of a fixed p; that edge is the maximum when it is as likely
    # (a search that stalls on the way there stops short of it).
    if a + b > EDGE_CONCENTRATION or at_bound[2] or at_bound[3] or not converged:
        fixed = _fit_fixed_dropout(x, tx, age, shift, theta[:2], a / (a + b))
        if fixed is not None and fixed[3] >= mean_ll - CONCENTRATED_TOLERANCE:
            p = fixed[2]
            return BgNbdFit(
                r=fixed[0],
                alpha=fixed[1],
                a=p * FIXED_CONCENTRATION,
                b=(1 - p) * FIXED_CONCENTRATION,
                variant=variant,
                log_likelihood=fixed[3] * customers,
                customers=customers,
                converged=True,
                note=(
                    "The likelihood is highest in the limit where every customer drops out "
                    f"with the same probability, {p:.3g} after each purchase (a and b grow "
                    "without bound at a fixed ratio), so the fit is that limit, with a + b "
                    f"set to {FIXED_CONCENTRATION:,.0f}."
                ),
            )
    if not converged:
        raise ModelError(
            f"The {variant.upper()} fit did not converge (the search stopped at r={r:.4g}, "
            f"alpha={alpha:.4g}, a={a:.4g}, b={b:.4g}); check the customer table's time "
            "unit and outliers, or use a longer calibration period."
        )
    names = np.array(["r", "alpha", "a", "b"])
    note = ""
    if at_bound.any():
        note = (
            f"The fit stopped at the search bound of {', '.join(names[at_bound])} "
            f"({LOWER:g} to {UPPER:g}), where the likelihood is as high or higher beyond it, so "
            "read that parameter as a limit, not an estimate."
        )
    return BgNbdFit(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        variant=variant,
        log_likelihood=float(ll),
        customers=customers,
        converged=True,
        note=note,
    )


def _fit_no_dropout(x: np.ndarray, age: np.ndarray) -> tuple[float, float, float] | None:
    """Maximum of the a = 0 limit (NBD): (r, alpha, mean log-likelihood), or None."""

    def per_customer(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r, alpha = np.exp(theta)
        ll = _nbd_log_likelihood(np.exp(theta), x, age)
        d_r = digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + age)
        d_alpha = r / alpha - (r + x) / (alpha + age)
        return ll, np.stack([d_r * r, d_alpha * alpha])

    theta, mean_ll, converged, _ = _maximise(per_customer, _start(x, age)[:2])
    if not converged:
        return None
    r, alpha = np.exp(theta)
    return float(r), float(alpha), mean_ll


def _fixed_dropout_log_likelihood(
    theta: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray, shift: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood with one dropout probability p for all (the limit of
    eq. 6 as a, b -> infinity with a/(a+b) = p) and its gradient in (log r, log alpha,
    logit p): the beta terms become (1-p)^n and p (1-p)^(n-1)."""
    r, alpha = np.exp(theta[:2])
    p = expit(theta[2])
    n = x + shift
    some = n > 0
    log_alive_t, log_last_t = np.log(alpha + age), np.log(alpha + tx)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = n * np.log1p(-p) - (r + x) * log_alive_t
    dropped = np.where(some, math.log(p) + (n - 1) * np.log1p(-p) - (r + x) * log_last_t, -np.inf)
    total = np.logaddexp(alive, dropped)
    w_alive = np.exp(alive - total)
    w_dropped = 1.0 - w_alive
    d_r = digamma(r + x) - digamma(r) + np.log(alpha)
    d_r -= w_alive * log_alive_t + w_dropped * log_last_t
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + age) + w_dropped / (alpha + tx))
    d_p = -w_alive * n / (1 - p) + np.where(some, w_dropped * (1 / p - (n - 1) / (1 - p)), 0.0)
    return head + total, np.stack([d_r * r, d_alpha * alpha, d_p * p * (1 - p)])


def _fit_fixed_dropout(
    x: np.ndarray, tx: np.ndarray, age: np.ndarray, shift: int, start: np.ndarray, p: float
) -> tuple[float, float, float, float] | None:
    """Maximum of the fixed-p limit: (r, alpha, p, mean log-likelihood), or None."""

    def per_customer(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _fixed_dropout_log_likelihood(theta, x, tx, age, shift)

    logit = math.log(p) - math.log1p(-p)
    theta, mean_ll, converged, _ = _maximise(per_customer, np.r_[start, logit])
    if not converged:
        return None
    return float(np.exp(theta[0])), float(np.exp(theta[1])), float(expit(theta[2])), mean_ll


def _log_dropout_odds(fit: BgNbdFit, x: np.ndarray, tx: np.ndarray, age: np.ndarray):
    """log of [n > 0] a/(b+n-1) ((alpha+T)/(alpha+t_x))^(r+x); -inf where it is 0."""
    n = x + _shift(fit.variant)
    if fit.a == 0:
        return np.full(len(x), -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (
            math.log(fit.a)
            - np.log(fit.b + n - 1)
            + (fit.r + x) * (np.log(fit.alpha + age) - np.log(fit.alpha + tx))
        )
    return np.where(n > 0, odds, -np.inf)


def probability_alive(fit: BgNbdFit, history: pd.DataFrame) -> pd.Series:
    """P(alive at T | x, t_x, T) for each customer.

    The "alive" term of the likelihood (eq. 6) over the whole, as in the paper's appendix;
    the reciprocal of eq. 10's denominator:
    1 / (1 + [n > 0] a/(b+n-1) ((alpha+T)/(alpha+t_x))^(r+x)).
    Under BG/NBD a customer without repeat purchases is alive (n = 0).
    """
    x, tx, age = _columns(history)
    return pd.Series(
        expit(-_log_dropout_odds(fit, x, tx, age)), index=history.index, name="p_alive"
    )


def _expected_given_alive(
    fit: BgNbdFit, x: np.ndarray, age: np.ndarray, t: float | np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T+t] | alive at T, x, T] (numerator of eq. 10).

    (a+b+n-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+n; a+b+n-1; z)],
    z = t/(alpha+T+t), computed after Euler's transformation 2F1(A,B;C;z) =
    (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) as (a+b+n-1)/(a-1) [1 - (1-z)^(a-1)
    2F1(a+b+n-1-r-x, a-1; a+b+n-1; z)], whose small upper parameters keep scipy's
    hyp2f1 accurate for large x. Where that is not finite, leaves 0..(r+x)t/(alpha+T)
    (no dropout is the most there can be), or loses digits to its factor 1/(a-1) (a near
    1, or large a and b), the value comes from :func:`_expected_by_series` instead.
    a = 0 gives the NBD's (r+x) t/(alpha+T).
    """
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    x, age, t = np.broadcast_arrays(x, age, np.asarray(t, dtype=np.float64))
    most = (r + x) * t / (alpha + age)
    if a == 0:
        return most
    n = x + _shift(fit.variant)
    c = a + b + n - 1
    z = t / (alpha + age + t)
    with np.errstate(all="ignore"):
        scale = c / (a - 1)
        value = scale * (1 - (1 - z) ** (a - 1) * hyp2f1(c - r - x, a - 1, c, z))
    # The bracket is a difference of terms near 1: its rounding (~1e-15) times |scale|.
    unsure = ~np.isfinite(value) | (value < 0) | (value > most * (1 + 1e-9))
    unsure |= np.abs(scale) * 1e-15 > 1e-10 * np.abs(value)
    if unsure.any():
        value = np.array(value, dtype=np.float64)
        value[unsure] = _expected_by_series(a, (b + n)[unsure], (r + x)[unsure], z[unsure])
    return value


def _expected_by_series(a: float, b_n: np.ndarray, k: np.ndarray, z: np.ndarray) -> np.ndarray:
    """E[min(M, J)] as a sum of positive terms, for the cases eq. 10 evaluates badly.

    Alive at T, a customer makes J more purchases before dropping out (J >= 1 geometric in
    p, so P(J >= j) = (1-p)^(j-1)) and M Poisson ones in t; the purchases counted are
    min(M, J) and E[min(M, J)] = sum_j P(J >= j) P(M >= j). Mixed over the posterior
    p ~ beta(a, b+n) and lambda ~ gamma(r+x, alpha+T):
    sum_j B(a, b+n+j-1)/B(a, b+n) P(M >= j), M negative binomial (r+x, z).
    """
    total = np.zeros(len(z))
    keep = np.ones(len(z))  # B(a, b+n+j-1) / B(a, b+n)
    log_pmf = k * np.log1p(-z)  # log P(M = j - 1), kept in logs: (1-z)^k can underflow
    tail = -np.expm1(log_pmf)  # P(M >= j)
    j = 1
    while True:
        total += keep * np.maximum(tail, 0.0)
        keep *= (b_n + j - 1) / (a + b_n + j - 1)
        log_pmf += np.log((k + j - 1) / j * z)
        tail -= np.exp(log_pmf)
        j += 1
        # What is left, sum over i >= j of P(M >= i), is at most P(M = j-1) rho/(1-rho)^2
        # once the ratio rho of successive probabilities, (k+i-1) z / i, stays below 1.
        rho = np.maximum((k + j - 1) / j * z, z)
        left = np.exp(log_pmf) * rho / np.square(1 - rho)
        if np.all((rho < 1) & (left <= 1e-15 * total)):
            return total


def expected_purchases(fit: BgNbdFit, history: pd.DataFrame, t: float) -> pd.Series:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t periods (eq. 10)."""
    x, tx, age = _columns(history)
    value = _expected_given_alive(fit, x, age, float(t)) * expit(
        -_log_dropout_odds(fit, x, tx, age)
    )
    return pd.Series(value, index=history.index, name="expected_purchases")


def probability_no_purchase(fit: BgNbdFit, history: pd.DataFrame, t: float) -> pd.Series:
    """P(no purchase in (T, T+t] | x, t_x, T).

    Derivation: a customer can drop out only right after a purchase, so one alive at T
    makes no purchase in the next t periods exactly when the Poisson process has no event,
    probability exp(-lambda t); a customer already gone makes none. Given the history and
    alive at T, lambda ~ gamma(r+x, alpha+T) (the "alive" term of eq. 6), whose mean of
    exp(-lambda t) is ((alpha+T)/(alpha+T+t))^(r+x). Hence
    P = 1 - P(alive) * (1 - ((alpha+T)/(alpha+T+t))^(r+x)), for both variants.
    """
    x, tx, age = _columns(history)
    alive = expit(-_log_dropout_odds(fit, x, tx, age))
    silent = np.exp((fit.r + x) * (np.log(fit.alpha + age) - np.log(fit.alpha + age + t)))
    return pd.Series(1 - alive * (1 - silent), index=history.index, name="p_no_purchase")


def expected_purchases_new_customer(fit: BgNbdFit, t: float | np.ndarray) -> np.ndarray:
    """E[X(t)]: expected repeat purchases in (0, t] of a customer just acquired (eq. 9).

    (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))] for BG/NBD;
    it is eq. 10 with x = t_x = T = 0, which also gives the MBG/NBD's version
    b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))].
    """
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    zeros = np.zeros(len(t))
    alive = expit(-_log_dropout_odds(fit, zeros, zeros, zeros))
    return alive * _expected_given_alive(fit, zeros, zeros, t)


def predict(fit: BgNbdFit, history: pd.DataFrame, t: float) -> pd.DataFrame:
    """P(alive), expected purchases and P(no purchase) over the next t periods."""
    return pd.concat(
        [
            probability_alive(fit, history),
            expected_purchases(fit, history, t),
            probability_no_purchase(fit, history, t),
        ],
        axis=1,
    )
