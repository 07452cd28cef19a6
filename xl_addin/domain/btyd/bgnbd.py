"""BG/NBD (Fader, Hardie & Lee 2005): likelihood, fit, P(alive) and expected purchases.

* Likelihood: eq. (6) of FHL 2005, written as ``A1 * A2 * (A3 + [x > 0] * A4)``
  following Fader & Hardie's note "Implementing the BG/NBD Model for Customer Base
  Analysis in Excel" (2005, note 004).
* P(alive): eq. (2) of Fader, Hardie & Lee, "Computing P(alive) Using the BG/NBD Model"
  (note 021).
* Conditional expectation: eq. (10) of FHL 2005, whose ``2F1(r+x, b+x; a+b+x-1; z)``
  overflows for large x and is meaningless when ``a+b+x-1 <= 0`` (the ``lifetimes``
  issue #302). It is evaluated through Euler's transformation
  ``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)``, whose upper
  parameters do not grow with x; any value that is not finite or falls outside the exact
  bounds of the expectation is recomputed by quadrature over the posterior Beta
  distribution of the dropout probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaincinv, betaln, digamma, expit, gammaln, hyp2f1, roots_legendre

from .utils import (
    _AT_BOUND,
    _FEW_CUSTOMERS,
    _LOG_BOUND,
    BTYDInputError,
    FitFlag,
    FloatArray,
    _compress,
    _distinct,
    _dot,
    _flags,
    _group,
    _horizon,
    _maxiter,
    _minimise,
    _rft,
    _weights,
)

__all__ = ["BGNBDFit", "bgnbd_expected_purchases", "bgnbd_p_alive", "fit_bgnbd"]

_GL_NODES, _GL_WEIGHTS = roots_legendre(200)
_GL_NODES = (_GL_NODES + 1.0) / 2.0
_GL_WEIGHTS = _GL_WEIGHTS / 2.0


@dataclass(frozen=True)
class BGNBDFit:
    """Fitted BG/NBD parameters (FHL 2005, section 3).

    ``alpha`` is in the time unit of the data that was fitted. ``log_likelihood`` is the
    sum over customers (eq. 6, in that time unit), ``n`` the number of customers. When
    ``converged`` is false the parameters are still usable (see ``message``); ``flags``
    gives the reasons in structured form (:class:`FitFlag`).
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
        return "BGNBD"

    @property
    def params(self) -> dict[str, float]:
        """The four parameters by name."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


class _BGNBDObjective:
    """Mean negative log-likelihood of FHL 2005 eq. (6) and its analytic gradient.

    ``LL = sum_i w_i [ln A1 + ln A2 + ln A3 + [x_i > 0] softplus(ln A4 - ln A3)]``. The data
    are compressed three ways: the x-only terms (ln A1, ln A2) are evaluated per distinct
    x, ln A3 per distinct T, and only the softplus term needs a pass over the (deduplicated)
    repeat buyers. Keeps the best point seen so that a failed optimisation still yields
    parameters.
    """

    def __init__(self, x: FloatArray, tx: FloatArray, age: FloatArray, w: FloatArray) -> None:
        self.total = float(w.sum())
        self.ux, ix = _distinct(x)
        self.wx = np.bincount(ix, weights=w, minlength=self.ux.size)  # weight per distinct x
        self.sum_wx = _dot(self.wx, self.ux)
        self.uT, iT = _distinct(age)
        self.wT = np.bincount(iT, weights=w, minlength=self.uT.size)
        self.wxT = np.bincount(iT, weights=w * x, minlength=self.uT.size)
        pos = x > 0
        if pos.any():
            (px, ptx, pT), pw = _compress([x[pos], tx[pos], age[pos]], w[pos])
        else:
            px = ptx = pT = pw = np.zeros(0)
        self.pw, self.px = pw, px
        self.utx, self.pitx = _distinct(ptx)
        self.upT, self.piT = _distinct(pT)
        self.ux_minus1, self.pix = _distinct(px - 1.0)  # b + x - 1 per distinct x
        self.best_theta: FloatArray | None = None
        self.best_value = np.inf

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        ux, wx, total = self.ux, self.wx, self.total
        with np.errstate(all="ignore"):
            log_alpha = np.log(alpha)
            # ln A1 + ln A2 per distinct x
            ll = _dot(wx, (gammaln(r + ux) + betaln(a, b + ux)))
            ll += total * (r * log_alpha - gammaln(r) - betaln(a, b))
            g_r = _dot(wx, digamma(r + ux)) + total * (log_alpha - digamma(r))
            g_alpha = total * r / alpha
            dab, dabx = digamma(a + b), digamma(a + b + ux)
            g_a = _dot(wx, (dab - dabx))
            g_b = _dot(wx, (dab + digamma(b + ux) - digamma(b) - dabx))
            # ln A3 = -(r + x) ln(alpha + T) per distinct T
            log_aT = np.log(alpha + self.uT)
            kT = r * self.wT + self.wxT
            ll -= _dot(kT, log_aT)
            g_r -= _dot(self.wT, log_aT)
            g_alpha -= _dot(kT, (1.0 / (alpha + self.uT)))
            # softplus(ln A4 - ln A3) for repeat buyers; its derivative weight is expit(d)
            if self.pw.size:
                pk = r + self.px
                inv_aT = 1.0 / (alpha + self.upT)
                inv_atx = 1.0 / (alpha + self.utx)
                log_ratio = np.log(alpha + self.upT)[self.piT] - np.log(alpha + self.utx)[self.pitx]
                inv_bx1 = 1.0 / (b + self.ux_minus1)
                d = (np.log(a) + np.log(inv_bx1))[self.pix] + pk * log_ratio
                # softplus and logistic from one exp (np.logaddexp/expit are ~3x slower);
                # log(1 + e) for e in (0, 1] is accurate to an absolute 1e-16, all a sum needs
                e = np.exp(-np.abs(d))
                one_e = 1.0 + e
                ll += _dot(self.pw, (np.maximum(d, 0.0) + np.log(one_e)))
                sw = self.pw * np.where(d >= 0.0, 1.0, e) / one_e
                g_r += _dot(sw, log_ratio)
                g_alpha += _dot((sw * pk), (inv_aT[self.piT] - inv_atx[self.pitx]))
                g_a += float(sw.sum()) / a
                g_b -= _dot(sw, inv_bx1[self.pix])
        value = -ll / total
        grad = -np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b]) / total
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros(4)
        if value < self.best_value:
            self.best_value, self.best_theta = value, theta.copy()
        return value, grad


def _bgnbd_starts(obj: _BGNBDObjective) -> list[FloatArray]:
    mean_t = max(_dot(obj.wT, obj.uT) / obj.total, 1e-6)
    rate = max(obj.sum_wx / obj.total / mean_t, 1e-3)  # repeat purchases per (scaled) time
    starts = [
        (1.0, 1.0 / rate, 1.0, 3.0),
        (0.25, 0.25 / rate, 0.8, 2.5),
        (np.exp(0.1), np.exp(0.1), np.exp(0.1), np.exp(0.1)),  # the lifetimes default
        (2.0, 2.0 / rate, 2.0, 8.0),
    ]
    return [np.clip(np.log(np.array(s, dtype=float)), -_AT_BOUND, _AT_BOUND) for s in starts]


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    maxiter: int | None = None,
) -> BGNBDFit:
    """Maximum-likelihood fit of the BG/NBD model (FHL 2005, eq. 6).

    Parameters
    ----------
    frequency, recency, T:
        Repeat purchases x, time of last purchase t_x and age T per customer (same time
        unit; see the module docstring). NaN, negative values, a fractional frequency,
        recency > T, or recency > 0 with frequency 0 raise :class:`BTYDInputError`
        (a ``ValueError``).
    weights:
        Optional number of customers sharing each row (Fader & Hardie's compressed
        data); defaults to one per row.
    maxiter:
        Maximum L-BFGS-B iterations (default 500).

    Returns
    -------
    BGNBDFit
        ``converged`` is false, with the reason in ``message``, when the optimiser
        stopped early, a parameter ran into the bounds of the search (the data do not
        identify it; e.g. nobody made a repeat purchase) or nothing could be fitted; the
        parameters returned are then the best found and still give finite predictions.
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
    n = int(round(float(w.sum())))

    t_max = float(age.max())
    scale = 1.0 / t_max if t_max > 0 else 1.0
    obj = _BGNBDObjective(x, tx * scale, age * scale, w)
    notes: list[str] = []

    if obj.sum_wx == 0:
        # No repeat purchase anywhere: the likelihood r*log(alpha/(alpha+T)) increases
        # towards r -> 0, and a, b do not enter it. Return the boundary solution.
        theta = np.array([-_LOG_BOUND, 0.0, 0.0, 0.0])
        value, _ = obj(theta)
        converged = False
        success, why, hit = False, "no repeat purchases", ["r"]
        notes.append(
            "No customer has made a repeat purchase, so purchase and dropout rates cannot be "
            "estimated; the fit predicts (almost) no future purchases and a, b are "
            "placeholders (1.0). Use a longer history."
        )
    else:
        theta, value, success, why = _minimise(obj, _bgnbd_starts(obj), iters)
        converged = success
        if not success:
            notes.append(
                f"The optimiser did not converge ({why.strip()}); the best parameters it found "
                "are returned and may be imprecise."
            )
        names = ("r", "alpha", "a", "b")
        hit = [names[i] for i in range(4) if abs(theta[i]) >= _AT_BOUND]
        if hit:
            converged = False
            notes.append(
                f"Parameter(s) {', '.join(hit)} reached the limit of the search range, so the "
                "data do not pin them down; predictions are usable but treat them with care."
            )
    if n < _FEW_CUSTOMERS:
        notes.append(f"Only {n} customer(s): the estimates are very uncertain.")
    repeat_buyers = int(round(float(w[x > 0].sum())))
    flags = _flags(n=n, repeat_buyers=repeat_buyers, hit=hit, success=success, why=why)
    r, alpha_s, a, b = (float(v) for v in np.exp(theta))
    ll = -value * obj.total + obj.sum_wx * np.log(scale)  # back to the caller's time unit
    if converged:
        notes.insert(0, "Converged.")
    return BGNBDFit(
        r=r,
        alpha=alpha_s / scale,
        a=a,
        b=b,
        log_likelihood=float(ll),
        n=n,
        converged=converged,
        message=" ".join(notes),
        flags=flags,
    )


def _params(fit: BGNBDFit) -> tuple[float, float, float, float]:
    vals = (fit.r, fit.alpha, fit.a, fit.b)
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise BTYDInputError("fit", f"BG/NBD parameters must be positive numbers, got {vals}")
    return vals


def bgnbd_p_alive(
    fit: BGNBDFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(alive | x, t_x, T) (Fader, Hardie & Lee, note 021, eq. 2).

    ``1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))``,
    evaluated as a logistic of the log-odds so that it never overflows. Customers with no
    repeat purchase are alive with probability 1 under the BG/NBD model.
    """
    r, alpha, a, b = _params(fit)
    x, tx, age = _rft(frequency, recency, T)
    with np.errstate(all="ignore"):
        log_odds_dead = (
            np.log(a)
            - np.log(b + np.maximum(x, 1.0) - 1.0)
            + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        )
        p = np.where(x > 0, expit(-log_odds_dead), 1.0)
    return np.asarray(p, dtype=np.float64)


def _hyp_form(r: float, a: float, b: float, s: FloatArray, x: FloatArray) -> FloatArray:
    """``(a+b+x-1)/(a-1) * [1 - (1+s)^(1-a) 2F1(a+b-1-r, a-1; a+b+x-1; s/(1+s))]``."""
    c = a + b + x - 1.0
    hyp = hyp2f1(a + b - 1.0 - r, a - 1.0, c, s / (1.0 + s))
    return np.asarray(
        c / (a - 1.0) * (1.0 - np.exp((1.0 - a) * np.log1p(s)) * hyp), dtype=np.float64
    )


def _alive_expectation(
    r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray, age: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | alive at T, x, T]: the numerator of FHL 2005 eq. (10).

    Equals E_p[(1 - (1 + p s)^-(r+x)) / p] with p ~ Beta(a, b + x), s = t / (alpha + T),
    i.e. ``(a+b+x-1)/(a-1) * [1 - (1+s)^(1-a) 2F1(a+b-1-r, a-1; a+b+x-1; s/(1+s))]``
    (Euler's transformation of eq. 10's ``2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))``).
    Near the removable singularity a = 1 the value is interpolated linearly in a from
    a = 1 -/+ 1e-4. The exact bounds ``1 - (1+s)^-(r+x) <= value <= (r+x) s`` are
    enforced; values that are not finite, fall outside them, or have a+b+x-1 ~ 0 are
    recomputed by quadrature over the Beta distribution of p.
    """
    k = r + x
    s = t / (alpha + age)
    c = a + b + x - 1.0
    with np.errstate(all="ignore"):
        lower = -np.expm1(-k * np.log1p(s))
        upper = k * s
        delta = 1e-4
        if abs(a - 1.0) > delta:
            value = _hyp_form(r, a, b, s, x)
        else:
            lo, hi = _hyp_form(r, 1.0 - delta, b, s, x), _hyp_form(r, 1.0 + delta, b, s, x)
            value = lo + (hi - lo) * (a - (1.0 - delta)) / (2.0 * delta)
        tol = 1e-9 * np.maximum(upper, 1e-300)
        bad = (
            ~np.isfinite(value) | (value < lower - tol) | (value > upper + tol) | (np.abs(c) < 1e-4)
        )
        bad &= s > 0
        if bad.any():
            value = np.array(value, dtype=np.float64, copy=True)
            value[bad] = _quadrature(k[bad], s[bad], a, b + x[bad])
        value = np.where(s > 0, np.clip(value, lower, upper), 0.0)
    return np.asarray(value, dtype=np.float64)


def _quadrature(k: FloatArray, s: FloatArray, a: float, beta_b: FloatArray) -> FloatArray:
    """E_p[(1 - (1+ps)^-k)/p], p ~ Beta(a, beta_b), by Gauss-Legendre on the Beta quantiles.

    The integrand is bounded and monotone in the quantile, so this is robust; quantiles are
    computed once per distinct ``beta_b`` and the rows are processed in chunks.
    """
    (ub,), group = _group([beta_b])
    quantiles = betaincinv(a, ub[:, None], _GL_NODES[None, :])  # (distinct b+x, nodes)
    out = np.empty(k.shape, dtype=np.float64)
    step = max(1, 2_000_000 // _GL_NODES.size)
    for lo in range(0, k.size, step):
        sl = slice(lo, lo + step)
        p = quantiles[group[sl]]
        kk, ss = k[sl, None], s[sl, None]
        ps = p * ss
        g = np.where(ps < 1e-12, kk * ss, -np.expm1(-kk * np.log1p(ps)) / np.maximum(p, 1e-300))
        out[sl] = np.einsum("ij,j->i", g, _GL_WEIGHTS)
    return out


def bgnbd_expected_purchases(
    fit: BGNBDFit, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Conditional expected number of purchases in the next ``t`` periods (FHL 2005, eq. 10).

    ``E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) * E[Y(t) | alive, x, T]``; the second
    factor is computed with a stable form of the Gaussian hypergeometric term (see the
    module docstring), so the result is finite and non-negative for any valid input
    (``t`` in the data's time unit, broadcast against the customers).
    """
    r, alpha, a, b = _params(fit)
    horizon = _horizon(t)
    x, tx, age = _rft(frequency, recency, T)
    alive = bgnbd_p_alive(fit, x, tx, age)
    try:
        horizon, x, age, alive = np.broadcast_arrays(horizon, x, age, alive)
    except ValueError:
        raise BTYDInputError("t", f"cannot be matched with {np.shape(x)} customers") from None
    flat = _alive_expectation(r, alpha, a, b, horizon.ravel(), x.ravel(), age.ravel())
    return np.asarray(alive * flat.reshape(horizon.shape), dtype=np.float64)
