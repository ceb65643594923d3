"""Predicted customer lifetime value over a horizon: purchases x spend, discounted.

For customer i with history (x, t_x, T) and mean spend m, over a horizon of H days cut
into steps of s days (t_k = min(k s, H), k = 1..K, K = ceil(H / s)):

    CLV_i = sum_k E(Z_i) [E(Y_i(t_k)) - E(Y_i(t_(k-1)))] / (1 + d)^(t_k / 365)

with E(Y_i(t)) the (M)BG/NBD expected purchases in the next t days (Fader, Hardie & Lee
2005, Marketing Science, eq. 10), E(Z_i) the Gamma-Gamma expected spend per purchase
(Fader & Hardie 2013, note 025, eq. 5; the product relies on spend being independent of
the purchase process, as in Fader, Hardie & Lee 2005, JMR 42(4)) and d the annual
discount rate. The purchases expected in a step are discounted from the end of the step,
which errs on the low side by at most one step of discounting. With d = 0 the sum
telescopes to E(Z_i) E(Y_i(H)).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

from segmentation.errors import ModelError
from segmentation.value.bg_nbd import BgNbdFit, expected_purchases
from segmentation.value.gamma_gamma import GammaGammaFit, expected_spend
from segmentation.value.purchase_history import DAYS_PER_UNIT, check_time_unit

MONTH_DAYS = 365 / 12


def lifetime_value(
    purchases_fit: BgNbdFit,
    spend_fit: GammaGammaFit,
    history: pd.DataFrame,
    *,
    time_unit: Literal["day", "week"],
    horizon_days: float = 365.0,
    annual_discount_rate: float = 0.0,
    step_days: float = MONTH_DAYS,
) -> pd.Series:
    """Expected discounted revenue of each customer over the next ``horizon_days`` days.

    ``history`` is the customer table the fits were made on (``frequency``, ``recency``,
    ``T`` in ``time_unit``, ``monetary_value``); steps are monthly by default (365/12 days).
    """
    check_time_unit(time_unit)
    if not (math.isfinite(horizon_days) and horizon_days > 0):
        raise ModelError(f"The horizon must be a positive number of days, not {horizon_days!r}.")
    if not (math.isfinite(step_days) and step_days > 0):
        raise ModelError(f"The step must be a positive number of days, not {step_days!r}.")
    if not (math.isfinite(annual_discount_rate) and annual_discount_rate > -1):
        raise ModelError(
            f"The annual discount rate must be a number above -1 (0.1 for 10%), "
            f"not {annual_discount_rate!r}."
        )
    steps = math.ceil(horizon_days / step_days - 1e-9)
    ends = np.minimum(np.arange(1, steps + 1) * step_days, horizon_days)
    unit = DAYS_PER_UNIT[time_unit]
    spend = expected_spend(spend_fit, history).to_numpy()
    value = np.zeros(len(history))
    before = np.zeros(len(history))
    for end in ends:
        after = expected_purchases(purchases_fit, history, end / unit).to_numpy()
        value += (after - before) / (1 + annual_discount_rate) ** (end / 365)
        before = after
    return pd.Series(value * spend, index=history.index, name="lifetime_value")
