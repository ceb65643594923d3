"""Gamma-Gamma model of spend per purchase: maximum likelihood fit and expected spend.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
analysis", Journal of Marketing Research 42(4), 415-430 (section 2.1), and the derivation
in Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (note 025); equation
numbers are the note's. Each purchase of a customer is gamma(p, nu) around their mean
p/nu; nu ~ gamma(q, v) across customers; spend is independent of the purchase process.

Input: a table with ``frequency`` (x, repeat purchases) and ``monetary_value`` (the mean
spend of those x purchases), as built by :func:`purchase_history`. Only repeat customers
(x > 0) inform the fit; the first purchase is left out of the mean, as in the papers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln

from segmentation.errors import ModelError
from segmentation.value.likelihood import PerCustomer, Search, maximise

MIN_REPEAT_CUSTOMERS = 20
#: Above this |correlation| of frequency and mean spend the fit carries a note.
CORRELATION_NOTE = 0.3
LOWER, UPPER = 1e-8, 1e8
#: Largest mean gradient (per customer, on log-parameters) accepted as a maximum, as for
#: BG/NBD: on a nearly flat ridge (customers who spend alike) the line search stops with
#: gradients of about 2e-6 where the likelihood no longer changes in its 15th digit.
GRADIENT_TOLERANCE = 1e-5
#: A search ending with q above this is heading for one spending rate nu for every customer
#: (the gamma distribution of nu narrows to a point as q, v -> infinity at a fixed ratio).
EDGE_CONCENTRATION = 1e4
#: q of a fit at that edge (v = q / nu): expected spends are those of the fixed nu to 1e-8.
FIXED_CONCENTRATION = 1e8
#: The fixed-nu limit is the maximum when its mean log-likelihood is at most this much lower.
EDGE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class GammaGammaFit:
    """Parameters p, q, v of a Gamma-Gamma model and how the fit went.

    ``correlation`` is Pearson's correlation of frequency and mean spend among the repeat
    customers: the model assumes the two independent, so it should be near 0 (0.11 on
    CDNOW in the JMR paper). Build one by hand with p, q, v to predict with given values.
    """

    p: float
    q: float
    v: float
    log_likelihood: float = math.nan
    customers: int = 0
    correlation: float = math.nan
    converged: bool = True
    note: str = ""

    @property
    def mean_spend(self) -> float:
        """Population mean spend per purchase, E(Z) = p v / (q - 1) (eqs. 2-4)."""
        return self.p * self.v / (self.q - 1)


def _repeat_columns(history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """x and mean spend of all customers, checked (repeat customers need spend > 0)."""
    missing = [c for c in ("frequency", "monetary_value") if c not in history.columns]
    if missing:
        raise ModelError(
            f"The customer table lacks the column(s) {', '.join(missing)}; "
            "build it with purchase_history()."
        )
    x = history["frequency"].to_numpy(dtype=np.float64)
    m = history["monetary_value"].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(x) | (x < 0) | ((x > 0) & ~(np.isfinite(m) & (m > 0)))
    if bad.any():
        raise ModelError(
            f"The customer table has {int(bad.sum())} customer(s) with a negative or missing "
            "frequency, or repeat purchases with a mean spend that is not a positive number; "
            "drop returns, free orders and missing amounts before fitting the spend model."
        )
    return x, m


def _log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray):
    """Per-customer log-likelihood of the mean spend m of x purchases and its gradient.

    f(m | p, q, v; x) = 1 / (m B(px, q)) (v/(v+xm))^q (xm/(v+xm))^(px) (eq. 1b, the form
    of eq. 1a whose bases stay below 1), gradient in the log-parameters.
    """
    p, q, v = params
    px = p * x
    total = v + x * m
    log_share_v = np.log(v) - np.log(total)
    log_share_m = np.log(x * m) - np.log(total)
    ll = -np.log(m) - betaln(px, q) + q * log_share_v + px * log_share_m
    psi_all = digamma(px + q)
    d_p = x * (-(digamma(px) - psi_all) + log_share_m)
    d_q = -(digamma(q) - psi_all) + log_share_v
    d_v = q / v - (px + q) / total
    return ll, np.stack([d_p * p, d_q * q, d_v * v])


def log_likelihood(fit: GammaGammaFit, history: pd.DataFrame) -> pd.Series:
    """Log-likelihood of each repeat customer's mean spend (eq. 1b); nan for x = 0."""
    x, m = _repeat_columns(history)
    ll = np.full(len(x), np.nan)
    repeat = x > 0
    params = np.array([fit.p, fit.q, fit.v])
    ll[repeat] = _log_likelihood(params, x[repeat], m[repeat])[0]
    return pd.Series(ll, index=history.index, name="log_likelihood")


def _infinite_mean(q: float) -> str:
    return (
        f"The spend model has q = {q:.3g} <= 1, so its mean spend per purchase is infinite; "
        "remove extreme order values (outliers) or use the observed mean spend."
    )


def fit_gamma_gamma(history: pd.DataFrame) -> GammaGammaFit:
    """Fit p, q, v by maximum likelihood on the repeat customers (eq. 6).

    The search runs on the log-parameters (L-BFGS-B, analytic gradient). Raises ModelError
    with fewer than 20 repeat customers, without convergence, or when q <= 1 (the fitted
    population has no finite mean spend).
    """
    x_all, m_all = _repeat_columns(history)
    repeat = x_all > 0
    x, m = x_all[repeat], m_all[repeat]
    if len(x) < MIN_REPEAT_CUSTOMERS:
        raise ModelError(
            f"Only {len(x)} customer(s) bought more than once, too few to fit the spend model; "
            f"it needs at least {MIN_REPEAT_CUSTOMERS} repeat customers."
        )

    def per_customer(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _log_likelihood(np.exp(theta), x, m)

    # Start from the moments: p from the spread of the mean spends, q = 3, v to match the mean.
    spread = float(np.var(m) / np.mean(m) ** 2) if len(m) > 1 else 1.0
    p0 = 1.0 / max(spread, 1e-3)
    start = np.log([p0, 3.0, 2.0 * float(np.mean(m)) / p0])
    theta, mean_ll, converged, at_bound = _search(per_customer, start)
    p, q, v = np.exp(theta)
    if q <= 1:
        raise ModelError(_infinite_mean(q))
    correlation = float(np.corrcoef(x, m)[0, 1]) if np.ptp(x) > 0 and np.ptp(m) > 0 else 0.0
    # Towards one spending rate for everyone (q, v -> infinity, q/v fixed) the likelihood
    # tends to that of a fixed nu; that edge is the maximum when it is as likely (a search
    # that stalls on the way there stops short of it).
    if q > EDGE_CONCENTRATION or not converged:
        fixed = _fit_fixed_rate(x, m, np.log([p, q / v]))
        if fixed is not None and fixed[2] >= mean_ll - EDGE_TOLERANCE:
            spend_p, rate, mean_ll = fixed
            return GammaGammaFit(
                p=spend_p,
                q=FIXED_CONCENTRATION,
                v=FIXED_CONCENTRATION / rate,
                log_likelihood=mean_ll * len(x),
                customers=len(x),
                correlation=correlation,
                note=(
                    "The likelihood is highest in the limit where every customer spends around "
                    f"the same mean, £{spend_p / rate:,.2f} a purchase (q and v grow without "
                    "bound at a fixed ratio), so the fit is that limit and every customer's "
                    "expected spend is that mean."
                ),
            )
    if not converged:
        raise ModelError(
            f"The spend model's fit did not converge (the search stopped at p={p:.4g}, "
            f"q={q:.4g}, v={v:.4g}); remove extreme order values or fit on more customers."
        )
    notes = []
    if abs(correlation) > CORRELATION_NOTE:
        notes.append(
            f"Frequency and mean spend of the repeat customers correlate at {correlation:.2f}, "
            "while the model assumes them independent, so read its spend predictions "
            "with care."
        )
    if at_bound.any():
        names = ", ".join(np.array(["p", "q", "v"])[at_bound])
        notes.append(
            f"The fit stopped at the search bound of {names} ({LOWER:g} to {UPPER:g}), where "
            "the likelihood is as high or higher beyond it, so read that parameter as a "
            "limit, not an estimate."
        )
    return GammaGammaFit(
        p=float(p),
        q=float(q),
        v=float(v),
        log_likelihood=mean_ll * len(x),
        customers=len(x),
        correlation=correlation,
        converged=True,
        note=" ".join(notes),
    )


def _fixed_rate_log_likelihood(theta: np.ndarray, x: np.ndarray, m: np.ndarray):
    """Per-customer log-likelihood of the mean spend m of x purchases when every customer
    has the same rate nu (the limit of eq. 1b as q, v -> infinity with q/v = nu): x m is
    gamma(p x, nu). Gradient in (log p, log nu)."""
    p, rate = np.exp(theta)
    px, total = p * x, x * m
    ll = np.log(x) + px * np.log(rate) + (px - 1) * np.log(total) - rate * total - gammaln(px)
    d_p = x * (np.log(rate) + np.log(total) - digamma(px))
    d_rate = px / rate - total
    return ll, np.stack([d_p * p, d_rate * rate])


def _fit_fixed_rate(
    x: np.ndarray, m: np.ndarray, start: np.ndarray
) -> tuple[float, float, float] | None:
    """Maximum of the fixed-nu limit: (p, nu, mean log-likelihood), or None."""

    def per_customer(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _fixed_rate_log_likelihood(theta, x, m)

    theta, mean_ll, converged, _ = _search(per_customer, start)
    if not converged:
        return None
    p, rate = np.exp(theta)
    return float(p), float(rate), mean_ll


def _search(per_customer: PerCustomer, start: np.ndarray) -> Search:
    """The shared search within this model's bounds and gradient tolerance."""
    return maximise(per_customer, start, (LOWER, UPPER), GRADIENT_TOLERANCE)


def expected_spend(fit: GammaGammaFit, history: pd.DataFrame) -> pd.Series:
    """E(Z | m, x): expected spend per future purchase of each customer (eq. 5).

    p (v + x m) / (p x + q - 1): a weighted mean of the population mean p v / (q - 1)
    (weight (q-1)/(px+q-1)) and the customer's mean spend m; one-time buyers (x = 0) get
    the population mean.
    """
    if fit.q <= 1:
        raise ModelError(_infinite_mean(fit.q))
    x, m = _repeat_columns(history)
    m = np.where(x > 0, m, 0.0)
    value = fit.p * (fit.v + x * m) / (fit.p * x + fit.q - 1)
    return pd.Series(value, index=history.index, name="expected_spend")
