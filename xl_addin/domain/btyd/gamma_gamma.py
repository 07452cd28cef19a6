"""Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value").

Likelihood eq. (1a) and conditional expected average spend eq. (5) of the note; the
paper's ``gamma`` is called ``v`` here. Spends are divided by their median before
fitting and ``v`` is rescaled afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from .utils import (
    _AT_BOUND,
    _FEW_CUSTOMERS,
    BTYDInputError,
    FitFlag,
    FloatArray,
    _compress,
    _dot,
    _flags,
    _fmt,
    _maxiter,
    _minimise,
    _non_negative,
    _numeric,
    _weights,
)

__all__ = ["GammaGammaFit", "fit_gamma_gamma", "gamma_gamma_expected_spend"]


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma spend parameters (Fader & Hardie 2013); ``v`` is the paper's gamma.

    ``n`` counts the customers used in the fit (frequency > 0 and spend > 0).
    ``population_mean`` is the expected average spend of a customer with no repeat
    purchase: ``v * p / (q - 1)`` when ``q > 1``, otherwise (infinite model mean) the
    observed mean spend of the fitted customers, as ``message`` then explains. ``flags``
    lists the reasons for caution in structured form (:class:`FitFlag`).
    """

    p: float
    q: float
    v: float
    log_likelihood: float
    n: int
    converged: bool
    message: str
    population_mean: float = 0.0
    flags: tuple[FitFlag, ...] = field(default=())

    @property
    def model(self) -> str:
        """Name of the spend model."""
        return "GammaGamma"

    @property
    def params(self) -> dict[str, float]:
        """The three parameters by name (``v`` is the paper's gamma)."""
        return {"p": self.p, "q": self.q, "v": self.v}


class _GGObjective:
    """Mean negative log-likelihood of Fader & Hardie (2013) eq. (1a) with its gradient."""

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        self.total = float(w.sum())
        self.ux, ix = np.unique(x, return_inverse=True)
        self.wx = np.bincount(ix, weights=w, minlength=len(self.ux))
        self.x, self.m, self.w = x, m, w
        log_m = np.log(m)
        self.const_p = _dot(self.wx, (self.ux * np.log(self.ux))) + _dot(w, (x * log_m))
        self.sum_log_m = _dot(w, log_m)
        self.xm = x * m
        self.best_theta: FloatArray | None = None
        self.best_value = np.inf

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, v = np.exp(theta)
        ux, wx = self.ux, self.wx
        with np.errstate(all="ignore"):
            pxq = p * ux + q
            ll = _dot(wx, (gammaln(pxq) - gammaln(p * ux))) - self.total * (
                gammaln(q) - q * np.log(v)
            )
            ll += p * self.const_p - self.sum_log_m
            log_vxm = np.log(v + self.xm)
            ll -= _dot(self.w, ((p * self.x + q) * log_vxm))
            d_pxq = digamma(pxq)
            g_p = _dot(wx, (ux * (d_pxq - digamma(p * ux)))) + self.const_p
            g_p -= _dot(self.w, (self.x * log_vxm))
            g_q = _dot(wx, d_pxq) - self.total * (digamma(q) - np.log(v)) - _dot(self.w, log_vxm)
            g_v = self.total * q / v - _dot(self.w, ((p * self.x + q) / (v + self.xm)))
        value = -ll / self.total
        grad = -np.array([g_p * p, g_q * q, g_v * v]) / self.total
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros(3)
        if value < self.best_value:
            self.best_value, self.best_theta = value, theta.copy()
        return value, grad


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    maxiter: int | None = None,
) -> GammaGammaFit:
    """Maximum-likelihood fit of the Gamma-Gamma spend model (Fader & Hardie 2013, eq. 1a).

    Only customers with ``frequency > 0`` and ``monetary_value > 0`` enter the fit
    (``monetary_value`` is the mean of the *repeat* purchases); refunds (spend <= 0) and
    one-time buyers are skipped and ``message`` says how many. NaN, negative frequency or
    fractional frequency raise :class:`BTYDInputError`. Spends are divided by their
    median before fitting and ``v`` rescaled afterwards.

    If nobody qualifies, or the optimiser fails, the returned fit still predicts finite
    spends (``converged=False``; ``message`` explains), and when the fitted ``q <= 1``
    (the model's mean spend is infinite) predictions fall back to observed means.
    """
    x = _non_negative("frequency", frequency).ravel()
    frac = x != np.round(x)
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        raise BTYDInputError(
            "frequency",
            f"must be a whole number of repeat purchases, found {x[i]:g} at position {i}",
        )
    m = _numeric("monetary_value", monetary_value).ravel()
    if m.shape != x.shape:
        raise BTYDInputError(
            "frequency/monetary_value", f"have different lengths ({x.size} and {m.size})"
        )
    if x.size == 0:
        raise BTYDInputError("frequency", "no customers to fit (the input is empty)")
    w = _weights(weights, x.size)
    iters = _maxiter(maxiter)

    keep = (x > 0) & (m > 0) & (w > 0)
    refunds = int(np.count_nonzero((x > 0) & (m <= 0) & (w > 0)))
    x, m, w = x[keep], m[keep], w[keep]
    n = int(round(float(w.sum())))
    notes: list[str] = []
    if refunds:
        notes.append(
            f"{refunds} repeat buyer(s) with zero or negative average spend (refunds) were "
            "left out of the fit."
        )
    if n == 0:
        notes.insert(
            0,
            "No customer has a repeat purchase with a positive spend, so the Gamma-Gamma model "
            "cannot be fitted; expected spends fall back to 0 for everyone.",
        )
        return GammaGammaFit(
            p=1.0,
            q=1.0,
            v=1.0,
            log_likelihood=0.0,
            n=0,
            converged=False,
            message=" ".join(notes),
            population_mean=0.0,
            flags=_refund_flag(refunds)
            + (FitFlag("no_repeat_buyers", count=0), FitFlag("not_converged", detail="no data")),
        )
    observed_mean = _dot(w, m / w.sum())
    scale = float(np.median(m))
    tiny = np.finfo(np.float64).tiny  # spends so small that scaling underflows stay > 0
    (x, ms), w = _compress([x, np.maximum(m / scale, tiny)], w)
    obj = _GGObjective(x, ms, w)
    mean_s = _dot(w, ms / w.sum())
    starts = [
        np.log(np.array([p0, q0, mean_s * (q0 - 1.0) / p0]))
        for p0, q0 in ((2.0, 3.0), (6.0, 4.0), (1.0, 2.0), (20.0, 20.0))
    ] + [np.full(3, 0.1)]
    theta, value, success, why = _minimise(obj, starts, iters)
    converged = success
    if not success:
        notes.append(
            f"The optimiser did not converge ({why.strip()}); the best parameters it found are "
            "returned and may be imprecise."
        )
    hit = [("p", "q", "v")[i] for i in range(3) if abs(theta[i]) >= _AT_BOUND]
    if hit:
        converged = False
        notes.append(
            f"Parameter(s) {', '.join(hit)} reached the limit of the search range, so the data "
            "do not pin them down (e.g. too few customers or identical spends)."
        )
    p, q, v_s = (float(val) for val in np.exp(theta))
    v = v_s * scale
    if q > 1.0:
        population_mean = v * p / (q - 1.0)
    else:
        population_mean = observed_mean
        notes.append(
            f"The fitted q = {_fmt(q)} is not above 1, so the model's mean spend is infinite; "
            "expected spends fall back to each customer's observed average (and "
            f"{_fmt(observed_mean)} for customers without repeat purchases)."
        )
    if n < _FEW_CUSTOMERS:
        notes.append(
            f"Only {n} repeat buyer(s) with a positive spend: the estimates are very uncertain."
        )
    if converged:
        notes.insert(0, "Converged.")
    flags = _refund_flag(refunds) + _flags(
        n=n, repeat_buyers=None, hit=hit, success=success, why=why
    )
    flags = tuple(
        FitFlag("few_repeat_buyers", count=n) if f.code == "few_customers" else f for f in flags
    )
    if q <= 1.0:
        flags += (FitFlag("infinite_mean_spend", detail=f"q = {_fmt(q)}"),)
    ll = -value * obj.total - obj.total * np.log(scale)  # back to the caller's currency
    return GammaGammaFit(
        p=p,
        q=q,
        v=v,
        log_likelihood=float(ll),
        n=n,
        converged=converged,
        message=" ".join(notes),
        population_mean=float(population_mean),
        flags=flags,
    )


def _refund_flag(refunds: int) -> tuple[FitFlag, ...]:
    return (FitFlag("refunds_left_out", count=refunds),) if refunds else ()


def gamma_gamma_expected_spend(
    fit: GammaGammaFit, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Conditional expected average spend per transaction (Fader & Hardie 2013, eq. 5).

    ``E(M | p, q, v, m, x) = (q-1)/(p x + q - 1) * v p/(q-1) + p x/(p x + q - 1) * m``,
    a weighted average of the population mean ``v p / (q-1)`` and the customer's own
    average ``m`` of repeat purchases. Customers with ``frequency == 0`` get the population
    mean. Repeat buyers whose average spend is zero or negative (refunds) are given 0:
    the model does not apply to them and they are worth nothing per purchase. When the
    fitted ``q <= 1`` a repeat buyer gets their observed average and a one-time buyer the
    fit's ``population_mean`` (the observed mean), so the result never contains NaN.
    """
    x = _non_negative("frequency", frequency)
    m = _numeric("monetary_value", monetary_value)
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError:
        raise BTYDInputError(
            "frequency/monetary_value", f"have different lengths ({np.shape(x)}, {np.shape(m)})"
        ) from None
    p, q, v = fit.p, fit.q, fit.v
    pop = float(fit.population_mean) if np.isfinite(fit.population_mean) else 0.0
    with np.errstate(all="ignore"):
        if q > 1.0 and np.isfinite(p * q * v) and p > 0 and v > 0:
            own = (v * p + p * x * m) / (p * x + q - 1.0)
        else:
            own = m
        spend = np.where(x > 0, np.where(m > 0, own, 0.0), pop)
    spend = np.where(np.isfinite(spend), spend, np.where(x > 0, np.maximum(m, 0.0), pop))
    return np.asarray(spend, dtype=np.float64)
