"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): fit, P(alive), expected purchases.

The modified BG/NBD lets a customer drop out with probability p at time zero as well as
after each repeat purchase, so one-time buyers are not certainly alive. Equations
(Batislam et al. 2007, appendix A, with the correction of Wagner & Hoppe 2008, "Erratum
on the MBG/NBD Model", IJRM 25(3)):

* likelihood: ``L = B(a, b+x+1)/B(a, b) * Gamma(r+x) alpha^r / Gamma(r) *
  (alpha+T)^-(r+x) * [1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)]`` for every customer
  (x = 0 included);
* P(alive): ``1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))``;
* conditional expectation: ``P(alive) * (a+b+x)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
  2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]``. The bracketed factor is the BG/NBD
  alive-conditional expectation with b replaced by b+1 (the posterior of the dropout
  probability of a customer alive after x repeat purchases is Beta(a, b+x+1) here,
  Beta(a, b+x) under BG/NBD), so it reuses BG/NBD's stable evaluation (Euler's
  transformation with a quadrature fallback; see :mod:`.bgnbd`).

Fitting mirrors :func:`xl_addin.domain.btyd.fit_bgnbd`: times divided by ``max(T)``,
compressed data, analytic gradient, L-BFGS-B over the log-parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, expit, gammaln

from .bgnbd import _alive_expectation
from .utils import (
    BTYDInputError,
    FitFlag,
    FloatArray,
    _compress,
    _distinct,
    _dot,
    _fit_report,
    _horizon,
    _maxiter,
    _minimise,
    _rft,
    _weights,
)

__all__ = ["MBGNBDFit", "fit_mbgnbd", "mbgnbd_expected_purchases", "mbgnbd_p_alive"]


@dataclass(frozen=True)
class MBGNBDFit:
    """Fitted MBG/NBD parameters (Batislam et al. 2007).

    ``r, alpha``: gamma purchase rates (alpha in the data's time unit); ``a, b``: beta
    dropout probabilities. ``flags`` as for the other fits (:class:`FitFlag`).
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n: int
    converged: bool
    message: str
    flags: tuple[FitFlag, ...] = field(default=())

    @property
    def model(self) -> str:
        """Registry name of the model (see ``xl_addin.domain.btyd.MODELS``)."""
        return "MBGNBD"

    @property
    def params(self) -> dict[str, float]:
        """The four parameters by name."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


class _MBGNBDObjective:
    """Mean negative log-likelihood of the MBG/NBD and its analytic gradient.

    ``ln L = ln Gamma(r+x) - ln Gamma(r) + r ln alpha + ln B(a, b+x+1) - ln B(a, b)
    - (r+x) ln(alpha+T) + softplus(d)``, ``d = ln a - ln(b+x) + (r+x) ln((alpha+T) /
    (alpha+t_x))``; x-only terms per distinct x, the rest per distinct (x, t_x, T).
    """

    def __init__(self, x: FloatArray, tx: FloatArray, age: FloatArray, w: FloatArray) -> None:
        self.total = float(w.sum())
        (self.x, self.tx, self.age), self.w = _compress([x, tx, age], w)
        self.ux, self.ix = _distinct(self.x)
        self.wx = np.bincount(self.ix, weights=self.w, minlength=self.ux.size)
        self.sum_wx = _dot(self.wx, self.ux)
        self.best_theta: FloatArray | None = None
        self.best_value = np.inf

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        ux, wx, total, w, x = self.ux, self.wx, self.total, self.w, self.x
        with np.errstate(all="ignore"):
            ll = _dot(wx, gammaln(r + ux) + betaln(a, b + ux + 1.0))
            ll += total * (-gammaln(r) + r * np.log(alpha) - betaln(a, b))
            g_r = _dot(wx, digamma(r + ux)) + total * (np.log(alpha) - digamma(r))
            g_alpha = total * r / alpha
            dab, dabx = digamma(a + b), digamma(a + b + ux + 1.0)
            g_a = _dot(wx, dab - dabx)
            g_b = _dot(wx, digamma(b + ux + 1.0) - dabx - digamma(b) + dab)
            log_at, log_atx = np.log(alpha + self.age), np.log(alpha + self.tx)
            k = r + x
            ll -= _dot(w, k * log_at)
            g_r -= _dot(w, log_at)
            g_alpha -= _dot(w, k / (alpha + self.age))
            log_ratio = log_at - log_atx
            d = np.log(a) - np.log(b + x) + k * log_ratio
            e = np.exp(-np.abs(d))
            one_e = 1.0 + e
            ll += _dot(w, np.maximum(d, 0.0) + np.log(one_e))
            sw = w * np.where(d >= 0.0, 1.0, e) / one_e  # w * expit(d)
            g_r += _dot(sw, log_ratio)
            g_alpha += _dot(sw * k, 1.0 / (alpha + self.age) - 1.0 / (alpha + self.tx))
            g_a += float(sw.sum()) / a
            g_b -= _dot(sw, 1.0 / (b + x))
        value = -ll / total
        grad = -np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b]) / total
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros(4)
        if value < self.best_value:
            self.best_value, self.best_theta = value, theta.copy()
        return value, grad


def _mbgnbd_starts(obj: _MBGNBDObjective) -> list[FloatArray]:
    mean_t = max(_dot(obj.w, obj.age) / obj.total, 1e-6)
    rate = max(obj.sum_wx / obj.total / mean_t, 1e-3)
    starts = [
        (1.0, 1.0 / rate, 1.0, 3.0),
        (0.25, 0.25 / rate, 0.8, 2.5),
        (np.exp(0.1), np.exp(0.1), np.exp(0.1), np.exp(0.1)),  # the lifetimes default
        (2.0, 2.0 / rate, 2.0, 8.0),
    ]
    return [np.log(np.array(s, dtype=float)) for s in starts]


def fit_mbgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    maxiter: int | None = None,
) -> MBGNBDFit:
    """Maximum-likelihood fit of the MBG/NBD model (Batislam et al. 2007).

    Same inputs, checks and failure behaviour as :func:`xl_addin.domain.btyd.fit_bgnbd`.
    """
    x, tx, age = _rft(frequency, recency, T)
    x, tx, age = x.ravel(), tx.ravel(), age.ravel()
    if x.size == 0:
        raise BTYDInputError("frequency", "no customers to fit (the input is empty)")
    w = _weights(weights, x.size)
    keep = w > 0
    x, tx, age, w = x[keep], tx[keep], age[keep], w[keep]
    if x.size == 0:
        raise BTYDInputError("weights", "every weight is zero, so there are no customers to fit")
    iters = _maxiter(maxiter)
    t_max = float(age.max())
    scale = 1.0 / t_max if t_max > 0 else 1.0
    obj = _MBGNBDObjective(x, tx * scale, age * scale, w)
    n = int(round(float(w.sum())))
    repeat_buyers = int(round(float(w[x > 0].sum())))
    if obj.sum_wx == 0:
        theta = np.array([-14.0, 0.0, 0.0, 0.0])
        value, _ = obj(theta)
        success, why = False, "no repeat purchases"
    else:
        theta, value, success, why = _minimise(obj, _mbgnbd_starts(obj), iters)
    converged, message, flags = _fit_report(
        theta,
        ("r", "alpha", "a", "b"),
        success=success,
        why=why,
        n=n,
        repeat_buyers=repeat_buyers,
        what="purchase and dropout rates",
    )
    r, alpha_s, a, b = (float(v) for v in np.exp(theta))
    ll = -value * obj.total + obj.sum_wx * np.log(scale)
    return MBGNBDFit(
        r=r,
        alpha=alpha_s / scale,
        a=a,
        b=b,
        log_likelihood=float(ll),
        n=n,
        converged=converged,
        message=message,
        flags=flags,
    )


def _params(fit: Any) -> tuple[float, float, float, float]:
    vals = (fit.r, fit.alpha, fit.a, fit.b)
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise BTYDInputError("fit", f"MBG/NBD parameters must be positive numbers, got {vals}")
    return vals


def mbgnbd_p_alive(
    fit: MBGNBDFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(alive | x, t_x, T) = ``1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))``.

    Evaluated as a logistic of the log-odds. A one-time buyer's P(alive) falls with T.
    """
    r, alpha, a, b = _params(fit)
    x, tx, age = _rft(frequency, recency, T)
    with np.errstate(all="ignore"):
        log_odds_dead = (
            np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        )
    return np.asarray(expit(-log_odds_dead), dtype=np.float64)


def mbgnbd_expected_purchases(
    fit: MBGNBDFit, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Conditional expected number of purchases in the next ``t`` periods (module docstring).

    ``t`` broadcasts against the customers (a column of horizons gives one row each).
    """
    r, alpha, a, b = _params(fit)
    horizon = _horizon(t)
    x, tx, age = _rft(frequency, recency, T)
    alive = mbgnbd_p_alive(fit, x, tx, age)
    try:
        horizon, x, age, alive = np.broadcast_arrays(horizon, x, age, alive)
    except ValueError:
        raise BTYDInputError("t", f"cannot be matched with {np.shape(x)} customers") from None
    flat = _alive_expectation(r, alpha, a, b + 1.0, horizon.ravel(), x.ravel(), age.ravel())
    return np.asarray(alive * flat.reshape(horizon.shape), dtype=np.float64)
