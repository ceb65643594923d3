"""Maximum likelihood on log-parameters, shared by the customer-base models.

Each model gives its per-customer log-likelihood and gradient; the search maximises their
mean with L-BFGS-B inside bounds and says whether it reached a maximum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize

#: Per-customer log-likelihoods and their gradients (parameters x customers) at theta.
PerCustomer = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


class Search(NamedTuple):
    """Where a search ended: the log-parameters, their mean log-likelihood, whether the
    projected gradient is small there, and which log-parameters sit at a bound."""

    theta: np.ndarray
    mean_log_likelihood: float
    converged: bool
    at_bound: np.ndarray


def maximise(
    per_customer: PerCustomer,
    start: np.ndarray,
    bounds: tuple[float, float],
    tolerance: float,
) -> Search:
    """L-BFGS-B on the mean of ``per_customer`` over log-parameters within
    ``log(bounds)``; converged when the largest gradient, ignoring a bound's outward pull,
    is below ``tolerance``."""

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = per_customer(theta)
        return -float(ll.mean()), -grad.mean(axis=1)

    lower, upper = math.log(bounds[0]), math.log(bounds[1])
    with np.errstate(all="ignore"):
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(lower, upper)] * len(start),
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
        )
        theta = result.x
        _, grad = objective(theta)
    low, high = theta <= lower + 1e-9, theta >= upper - 1e-9
    projected = np.where((low & (grad > 0)) | (high & (grad < 0)), 0.0, grad)
    converged = bool(np.all(np.isfinite(theta))) and float(np.max(np.abs(projected))) < tolerance
    return Search(theta, -float(result.fun), converged, low | high)
