"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): fit, P(alive), expected purchases.

Equations are those of Fader, Hardie & Lee, "A Note on Deriving the Pareto/NBD Model and
Related Expressions" (2005, note 009; "FHL note 009" below):

* likelihood, eq. (18)-(20):
  ``L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ (alpha+T)^-(r+x) (beta+T)^-s
  + s/(r+s+x) * A0 ]`` with ``A0`` a difference of two Gaussian hypergeometric terms,
  ``2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+y)) / (alpha+y)^(r+s+x)`` when
  ``alpha >= beta`` and ``2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+y)) /
  (beta+y)^(r+s+x)`` when ``alpha < beta``, taken at ``y = t_x`` minus at ``y = T``;
* P(alive), eq. (36)-(37): ``1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0)``;
* conditional expectation, eq. (41):
  ``E[Y(t) | x, t_x, T] = P(alive) (r+x)(beta+T) / ((alpha+T)(s-1))
  * [1 - ((beta+T)/(beta+T+t))^(s-1)]`` (its limit ``... log(1 + t/(beta+T))`` at s = 1).

Numerics
--------
Both hypergeometric terms are one function, ``s/(r+s+x) * 2F1(p, 1-q; p+1; z) /
(M+y)^p = s (M+y)^-p K(p, q, z)``, with ``M = max(alpha, beta)``, ``p = r+s+x``,
``q = -s`` (alpha >= beta) or ``q = 1-r-x`` (alpha < beta), ``z = |alpha-beta| / (M+y)``
and ``K(p, q, z) = int_0^1 u^(p-1) (1 - z u)^(q-1) du`` (Euler's integral; it is the
upper tail ``int_y^inf s (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau`` of the death-time
integral behind eq. 18). ``scipy.special.hyp2f1`` returns NaN or inf for large x with z
near 1 and is slow there, so ``log K`` is computed here by double-exponential
(tanh-sinh) quadrature after two changes of variable: ``y = u^p`` absorbs the
``u^(p-1)`` endpoint singularity (small p) and ``1 - y = delta (e^w - 1)``,
``delta = p (1-z)/z``, spreads the near-singularity of ``(1 - z u)^(q-1)`` at u = 1 when
z is close to 1. Everything is in log space, the difference of the two terms uses
``expm1``, and the derivatives of ``log K`` in p, q and z are expectations over the same
quadrature nodes, so the log-likelihood has an analytic gradient. Against 30-digit
mpmath the relative error of ``log K`` is below 1e-14 (median) and 1e-8 (worst case
found, x = 3000 with z within 1e-12 of 1).

The data are compressed as for BG/NBD: x-only terms per distinct x, the
hypergeometric terms per distinct (x, t_x) and (x, T) pair, and the mixture per distinct
(x, t_x, T) row, weighted by its count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, expit, gammaln

from .utils import (
    _LOG_BOUND,
    BTYDInputError,
    FitFlag,
    FloatArray,
    _distinct,
    _dot,
    _fit_report,
    _group,
    _horizon,
    _maxiter,
    _minimise,
    _rft,
    _weights,
)

__all__ = [
    "ParetoNBDFit",
    "fit_pareto_nbd",
    "pareto_nbd_expected_purchases",
    "pareto_nbd_p_alive",
]


@dataclass(frozen=True)
class ParetoNBDFit:
    """Fitted Pareto/NBD parameters (FHL note 009, section 2).

    ``r, alpha`` are the gamma shape and scale of the purchase rates, ``s, beta`` those of
    the dropout rates; ``alpha`` and ``beta`` are in the time unit of the data that was
    fitted. ``log_likelihood`` is the sum of eq. (18) over customers, ``n`` the number
    of customers. ``flags`` says, in structured form, why the estimates may be uncertain
    (see :class:`FitFlag`); ``message`` says the same in English.
    """

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float
    n: int
    converged: bool
    message: str
    flags: tuple[FitFlag, ...] = field(default=())

    @property
    def model(self) -> str:
        """Registry name of the model (see ``xl_addin.domain.btyd.MODELS``)."""
        return "ParetoNBD"

    @property
    def params(self) -> dict[str, float]:
        """The four parameters by name."""
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}


# --------------------------------------------------------------------------------------
# log K(p, q, z) = log int_0^1 u^(p-1) (1 - z u)^(q-1) du and its partial derivatives
# --------------------------------------------------------------------------------------


def _de_nodes(step: float, t_max: float) -> tuple[FloatArray, FloatArray]:
    """Tanh-sinh nodes on [0, 1] and the log of their weights."""
    t = np.arange(-t_max, t_max + step / 2, step)
    half = np.pi / 2 * np.sinh(t)
    node = 1.0 / (1.0 + np.exp(-2.0 * half))
    log_weight = np.log(step * np.pi / 4 * np.cosh(t)) - 2.0 * np.log(np.cosh(half))
    return node, log_weight


_DE_NODE, _DE_LOG_WEIGHT = _de_nodes(0.1, 3.8)
_SERIES_Z = 1e-10  # below this z, K is its two-term series (error ~ ((1-q) z)^2)
_CHUNK = 8_192  # rows per quadrature block (77 nodes each: ~5 MB per temporary)


def _log_k(
    p: FloatArray, q: FloatArray, z: FloatArray, zc: FloatArray, *, grad: bool = True
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``log K(p, q, z)`` and its partial derivatives in p, q and z (see module docstring).

    ``zc`` must be ``1 - z`` computed without cancellation; p > 0 and q <= 1 (here
    p = r+s+x and q = -s or 1-r-x). With ``grad=False`` the derivatives are zeros.
    """
    out = np.empty(p.shape)
    d_p, d_q, d_z = np.zeros(p.shape), np.zeros(p.shape), np.zeros(p.shape)
    small = z < _SERIES_Z
    if small.any():
        ps, qs, zs = p[small], q[small], z[small]
        c = (1.0 - qs) * ps / (ps + 1.0)
        out[small] = -np.log(ps) + np.log1p(c * zs)
        if grad:
            d_p[small] = -1.0 / ps + (1.0 - qs) * zs / (ps + 1.0) ** 2 / (1.0 + c * zs)
            d_q[small] = -ps * zs / (ps + 1.0) / (1.0 + c * zs)
            d_z[small] = c / (1.0 + c * zs)
    rows = np.flatnonzero(~small)
    node, log_weight = _DE_NODE[None, :], _DE_LOG_WEIGHT[None, :]
    for lo in range(0, rows.size, _CHUNK):
        idx = rows[lo : lo + _CHUNK]
        pp, qq, zz, zzc = (a[idx][:, None] for a in (p, q, z, zc))
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            delta = pp * zzc / zz
            span = np.log1p(1.0 / delta)
            w = span * node
            one_minus_y = np.minimum(delta * np.expm1(w), 1.0 - 2.0**-53)
            log_y = np.log1p(-one_minus_y)
            log_1v = np.log(zzc - zz * np.expm1(log_y / pp))  # log(1 - v), v = z y^(1/p)
            psi = log_weight + (qq - 1.0) * log_1v + w
            top = psi.max(axis=1, keepdims=True)
            e = np.exp(psi - top)
            total = e.sum(axis=1, keepdims=True)
        out[idx] = (-np.log(pp) + np.log(delta) + np.log(span) + top + np.log(total))[:, 0]
        if grad:
            wts = e / total
            d_p[idx] = np.einsum("ij,ij->i", wts, log_y / pp)
            d_q[idx] = np.einsum("ij,ij->i", wts, log_1v)
            u_over = np.exp(log_y / pp - log_1v)  # (v / z) / (1 - v)
            d_z[idx] = (1.0 - qq[:, 0]) * np.einsum("ij,ij->i", wts, u_over)
    return out, d_p, d_q, d_z


def _log_tail(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, y: FloatArray, *, grad: bool
) -> tuple[FloatArray, FloatArray]:
    """``log F(y) = log int_y^inf s (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau`` per pair.

    ``F(t_x) - F(T) = s/(r+s+x) * A0`` of FHL note 009 eq. (19)/(20). Returns the values
    and, when ``grad``, their derivatives in (r, alpha, s, beta) as an (n, 4) array.
    """
    p = r + s + x
    big, small = (alpha, beta) if alpha >= beta else (beta, alpha)
    top = big + y
    z = (big - small) / top
    zc = (small + y) / top
    q = np.full(x.shape, -s) if alpha >= beta else 1.0 - (r + x)
    log_k, k_p, k_q, k_z = _log_k(p, q, z, zc, grad=grad)
    log_top = np.log(top)
    value = np.log(s) - p * log_top + log_k
    if not grad:
        return value, np.zeros((x.size, 4))
    g = np.empty((x.size, 4))
    dz_dbig = zc / top  # z = (big - small) / (big + y)
    dz_dsmall = -1.0 / top
    if alpha >= beta:
        g[:, 0] = -log_top + k_p
        g[:, 2] = 1.0 / s - log_top + k_p - k_q
        g[:, 1] = -p / top + k_z * dz_dbig
        g[:, 3] = k_z * dz_dsmall
    else:
        g[:, 0] = -log_top + k_p - k_q
        g[:, 2] = 1.0 / s - log_top + k_p
        g[:, 3] = -p / top + k_z * dz_dbig
        g[:, 1] = k_z * dz_dsmall
    return value, g


# --------------------------------------------------------------------------------------
# the likelihood
# --------------------------------------------------------------------------------------


class _ParetoNBDObjective:
    """Mean negative log-likelihood of FHL note 009 eq. (18) and its analytic gradient.

    ``ln L_i = ln C_i + ln(e^A_i + F(t_x,i) - F(T_i))`` with ``ln C = ln Gamma(r+x) -
    ln Gamma(r) + r ln alpha + s ln beta`` and ``A = -(r+x) ln(alpha+T) - s ln(beta+T)``;
    ``F`` as in :func:`_log_tail`. Keeps the best point seen.
    """

    def __init__(self, x: FloatArray, tx: FloatArray, age: FloatArray, w: FloatArray) -> None:
        self.total = float(w.sum())
        (self.x, self.tx, self.age), self.inverse = _group([x, tx, age])  # distinct rows
        self.w = np.bincount(self.inverse, weights=w, minlength=self.x.size)
        self.ux, ix = _distinct(self.x)
        self.wx = np.bincount(ix, weights=self.w, minlength=self.ux.size)
        self.sum_wx = _dot(self.wx, self.ux)
        # distinct (x, y) pairs for y in {t_x, T}
        both_x = np.concatenate([self.x, self.x])
        both_y = np.concatenate([self.tx, self.age])
        (self.px, self.py), inverse = _group([both_x, both_y])
        m = self.x.size
        self.i_tx, self.i_T = inverse[:m], inverse[m:]
        self.same = self.i_tx == self.i_T  # t_x == T: the two tails cancel exactly
        self.best_theta: FloatArray | None = None
        self.best_value = np.inf

    def terms(
        self, r: float, alpha: float, s: float, beta: float, *, grad: bool
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Per distinct row: ``A``, ``log(F(t_x) - F(T))`` (-inf when equal), and their
        gradients (n, 4)."""
        x, age = self.x, self.age
        log_f, g_f = _log_tail(r, alpha, s, beta, self.px, self.py, grad=grad)
        f_tx, f_T = log_f[self.i_tx], log_f[self.i_T]
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = np.minimum(f_T - f_tx, 0.0)
            log_diff = np.where(self.same, -np.inf, f_tx + np.log(-np.expm1(gap)))
        log_a_t, log_b_t = np.log(alpha + age), np.log(beta + age)
        a = -(r + x) * log_a_t - s * log_b_t
        if not grad:
            return a, log_diff, np.zeros((x.size, 4)), np.zeros((x.size, 4))
        g_a = np.column_stack([-log_a_t, -(r + x) / (alpha + age), -log_b_t, -s / (beta + age)])
        # d log(F_tx - F_T) = (F_tx dF_tx - F_T dF_T) / (F_tx - F_T)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = np.exp(gap)  # F_T / F_tx
            share = np.where(self.same, 0.0, 1.0 / -np.expm1(gap))
            g_diff = share[:, None] * (g_f[self.i_tx] - ratio[:, None] * g_f[self.i_T])
        g_diff = np.where(np.isfinite(g_diff), g_diff, 0.0)
        return a, log_diff, g_a, g_diff

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, s, beta = np.exp(theta)
        with np.errstate(all="ignore"):
            a, log_diff, g_a, g_diff = self.terms(r, alpha, s, beta, grad=True)
            mix = np.logaddexp(a, log_diff)
            p_alive = np.exp(a - mix)  # weight of the alive term in the mixture
            ll = _dot(self.w, mix)
            g = np.einsum(
                "i,ij->j", self.w, p_alive[:, None] * g_a + (1.0 - p_alive)[:, None] * g_diff
            )
            ll += _dot(self.wx, gammaln(r + self.ux)) + self.total * (
                -gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            )
            g = g + np.array(
                [
                    _dot(self.wx, digamma(r + self.ux)) + self.total * (np.log(alpha) - digamma(r)),
                    self.total * r / alpha,
                    self.total * np.log(beta),
                    self.total * s / beta,
                ]
            )
        value = -ll / self.total
        grad = -g * np.array([r, alpha, s, beta]) / self.total
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros(4)
        if value < self.best_value:
            self.best_value, self.best_theta = value, theta.copy()
        return value, grad


def _pareto_starts(obj: _ParetoNBDObjective) -> list[FloatArray]:
    mean_t = max(_dot(obj.w, obj.age) / obj.total, 1e-6)
    rate = max(obj.sum_wx / obj.total / mean_t, 1e-3)  # repeat purchases per (scaled) time
    starts = [
        (0.5, 0.5 / rate, 0.5, 0.5),
        (1.0, 1.0 / rate, 1.0, 1.0),
        (1.0, 1.0, 1.0, 1.0),  # the BTYD (R) default
        (0.25, 0.25 / rate, 2.0, 4.0),
    ]
    return [np.log(np.array(s, dtype=float)) for s in starts]


def fit_pareto_nbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    maxiter: int | None = None,
    start: ParetoNBDFit | None = None,
) -> ParetoNBDFit:
    """Maximum-likelihood fit of the Pareto/NBD model (FHL note 009, eq. 18).

    Same inputs, scaling (times divided by ``max(T)``), optimiser and failure behaviour as
    :func:`xl_addin.domain.btyd.fit_bgnbd`: invalid data raise :class:`BTYDInputError`,
    and a fit that did not converge or ran into the search bounds still returns usable
    parameters, with ``converged=False``, an English ``message`` and structured ``flags``.
    ``start``: a fit to begin the search from (besides the usual starts), e.g. the same
    model fitted on the data before a holdout; it changes the time taken, not the optimum.
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
    obj = _ParetoNBDObjective(x, tx * scale, age * scale, w)
    repeat_buyers = int(round(float(w[x > 0].sum())))
    if obj.sum_wx == 0:
        # no repeat purchase: the likelihood grows as r -> 0 (no purchasing at all)
        theta = np.array([-14.0, 0.0, 0.0, 0.0])
        value, _ = obj(theta)
        success, why = False, "no repeat purchases"
    else:
        starts = _pareto_starts(obj)
        if start is not None:  # e.g. the same model fitted on an earlier part of the data
            guess = np.array([start.r, start.alpha * scale, start.s, start.beta * scale])
            if np.all(np.isfinite(guess)) and np.all(guess > 0):
                starts.insert(0, np.clip(np.log(guess), -_LOG_BOUND + 1, _LOG_BOUND - 1))
        theta, value, success, why = _minimise(obj, starts, iters)
    converged, message, flags = _fit_report(
        theta,
        ("r", "alpha", "s", "beta"),
        success=success,
        why=why,
        n=int(round(float(w.sum()))),
        repeat_buyers=repeat_buyers,
        what="purchase and dropout rates",
    )
    r, alpha_s, s, beta_s = (float(v) for v in np.exp(theta))
    ll = -value * obj.total + obj.sum_wx * np.log(scale)
    return ParetoNBDFit(
        r=r,
        alpha=alpha_s / scale,
        s=s,
        beta=beta_s / scale,
        log_likelihood=float(ll),
        n=int(round(float(w.sum()))),
        converged=converged,
        message=message,
        flags=flags,
    )


def _params(fit: Any) -> tuple[float, float, float, float]:
    vals = (fit.r, fit.alpha, fit.s, fit.beta)
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise BTYDInputError("fit", f"Pareto/NBD parameters must be positive numbers, got {vals}")
    return vals


def _log_odds_dead(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, tx: FloatArray, age: FloatArray
) -> FloatArray:
    """``log[(F(t_x) - F(T)) / e^A]``, the log-odds of having died before T (FHL eq. 36)."""
    rows = _ParetoNBDObjective(x, tx, age, np.ones(x.size))
    with np.errstate(all="ignore"):
        a, log_diff, _, _ = rows.terms(r, alpha, s, beta, grad=False)
    return np.asarray((log_diff - a)[rows.inverse], dtype=np.float64)


def pareto_nbd_p_alive(
    fit: ParetoNBDFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(alive | x, t_x, T) (FHL note 009, eq. 36-37), as a logistic of the log-odds.

    Unlike BG/NBD, a customer without repeat purchases is not certainly alive: the
    probability falls with the time T since their first purchase.
    """
    r, alpha, s, beta = _params(fit)
    x, tx, age = _rft(frequency, recency, T)
    shape = x.shape
    if x.size == 0:
        return np.zeros(shape)
    log_odds = _log_odds_dead(r, alpha, s, beta, x.ravel(), tx.ravel(), age.ravel())
    return np.asarray(expit(-log_odds).reshape(shape), dtype=np.float64)


def _alive_expectation(
    r: float, alpha: float, s: float, beta: float, t: FloatArray, x: FloatArray, age: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | alive at T] (FHL note 009 eq. 41 without P(alive)).

    ``(r+x)/(alpha+T) * (beta+T) * [1 - (1 + t/(beta+T))^-(s-1)] / (s-1)``: the posterior
    mean purchase rate times the expected alive time in (T, T+t].
    """
    with np.errstate(all="ignore"):
        bt = beta + age
        log_growth = np.log1p(t / bt)
        shape = s - 1.0
        prod = shape * log_growth
        alive_time = np.where(
            np.abs(prod) < 1e-8,
            bt * log_growth * (1.0 - prod / 2.0),
            bt * -np.expm1(-prod) / np.where(shape == 0.0, 1.0, shape),
        )
        value = (r + x) / (alpha + age) * alive_time
    return np.asarray(np.where(t > 0, value, 0.0), dtype=np.float64)


def pareto_nbd_expected_purchases(
    fit: ParetoNBDFit, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Conditional expected number of purchases in the next ``t`` periods (FHL eq. 41).

    ``t`` broadcasts against the customers (a column of horizons gives one row each).
    """
    r, alpha, s, beta = _params(fit)
    horizon = _horizon(t)
    x, tx, age = _rft(frequency, recency, T)
    alive = pareto_nbd_p_alive(fit, x, tx, age)
    try:
        horizon, x, age, alive = np.broadcast_arrays(horizon, x, age, alive)
    except ValueError:
        raise BTYDInputError("t", f"cannot be matched with {np.shape(x)} customers") from None
    flat = _alive_expectation(r, alpha, s, beta, horizon.ravel(), x.ravel(), age.ravel())
    return np.asarray(alive * flat.reshape(horizon.shape), dtype=np.float64)
