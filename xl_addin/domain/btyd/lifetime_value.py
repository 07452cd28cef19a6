"""Customer lifetime value: discounted expected margin over a monthly grid.

The structure of the ``lifetimes`` package's ``customer_lifetime_value`` (monthly steps,
cash discounted at the end of each month) with an annual discount rate converted to a
monthly one; see :func:`clv`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .gamma_gamma import GammaGammaFit, gamma_gamma_expected_spend
from .models import model_of
from .utils import BTYDInputError, FloatArray, _group, _numeric, _rft

__all__ = ["clv"]


def clv(
    fit: Any,
    gg_fit: GammaGammaFit,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    time_unit_days: float,
    horizon_months: int = 12,
    discount_rate_annual: float = 0.10,
    margin: float = 0.30,
) -> FloatArray:
    """Discounted customer lifetime value on margin over ``horizon_months`` months.

    ``CLV = margin * E(M) * sum_{i=1..H} [E(Y(i*mo)) - E(Y((i-1)*mo))] / (1 + d)^i``

    where ``E(Y(t))`` is the conditional expectation of the purchase model that ``fit``
    came from -- BG/NBD (FHL 2005 eq. 10, :func:`bgnbd_expected_purchases`), MBG/NBD
    (:func:`mbgnbd_expected_purchases`) or Pareto/NBD (FHL note 009 eq. 41,
    :func:`pareto_nbd_expected_purchases`) --, ``E(M)`` the Gamma-Gamma expected spend
    (:func:`gamma_gamma_expected_spend`; refunders count 0), a month ``mo`` is 30 days,
    i.e. ``30 / time_unit_days`` units of the data's time unit (7 for weeks), and the
    monthly rate is ``d = (1 + discount_rate_annual)^(1/12) - 1``. This is the structure
    of ``lifetimes``' ``customer_lifetime_value`` (monthly steps, cash discounted at the
    end of each month) with an annual rate converted to a monthly one.
    """
    unit = _numeric("time_unit_days", time_unit_days)
    if unit.ndim != 0 or not unit > 0:
        raise BTYDInputError(
            "time_unit_days", f"must be one positive number of days, got {time_unit_days!r}"
        )
    try:
        whole = float(horizon_months) == int(horizon_months) and horizon_months >= 0
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise BTYDInputError(
            "horizon_months", f"must be a whole number of months >= 0, got {horizon_months!r}"
        )
    rate = _numeric("discount_rate_annual", discount_rate_annual)
    if rate.ndim != 0 or not rate > -1:
        raise BTYDInputError(
            "discount_rate_annual",
            f"must be one number above -1 (e.g. 0.10), got {discount_rate_annual!r}",
        )
    mg = _numeric("margin", margin)
    if mg.ndim != 0 or not 0 <= mg <= 1:
        raise BTYDInputError("margin", f"must be a fraction between 0 and 1, got {margin!r}")
    model = model_of(fit)
    model.check(fit)
    x, tx, age = _rft(frequency, recency, T)
    m = _numeric("monetary_value", monetary_value)
    try:
        x, tx, age, m = np.broadcast_arrays(x, tx, age, m)
    except ValueError:
        raise BTYDInputError("monetary_value", "must have one value per customer") from None
    shape = x.shape
    x, tx, age, m = x.ravel(), tx.ravel(), age.ravel(), m.ravel()
    horizon = int(horizon_months)
    if horizon == 0 or x.size == 0:
        return np.zeros(shape)

    month = 30.0 / float(unit)
    monthly = (1.0 + float(rate)) ** (1.0 / 12.0) - 1.0
    discount = (1.0 + monthly) ** -np.arange(1, horizon + 1, dtype=np.float64)
    # the alive-conditional expectation depends on (x, T) only: evaluate it per distinct pair
    (ux, uage), pos = _group([x, age])
    grid = np.arange(1, horizon + 1, dtype=np.float64) * month
    cum = model.alive_expectation(
        fit,
        np.repeat(grid, ux.size),
        np.tile(ux, horizon),
        np.tile(uage, horizon),
    ).reshape(horizon, ux.size)
    cum = np.maximum.accumulate(np.vstack([np.zeros(ux.size), cum]), axis=0)  # monotone in t
    per_pair = np.einsum("i,ij->j", discount, np.diff(cum, axis=0))
    disc_purchases = model.p_alive(fit, x, tx, age) * per_pair[pos]
    spend = gamma_gamma_expected_spend(gg_fit, x, m)
    value = float(mg) * spend * disc_purchases
    value = np.where(np.isfinite(value), value, 0.0)
    return np.asarray(value.reshape(shape), dtype=np.float64)
