"""Buy-'til-you-die models: BG/NBD purchase counts, Gamma-Gamma spend, and CLV.

Pure numpy/scipy (pandas only for :func:`summary_from_transactions`); no Excel code.

Models and equations
--------------------
* **BG/NBD** -- Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "'Counting Your
  Customers' the Easy Way: An Alternative to the Pareto/NBD Model", *Marketing
  Science* 24(2), 275-284 ("FHL 2005"). The likelihood is eq. (6) of the paper, written
  as ``A1 * A2 * (A3 + [x > 0] * A4)`` following Fader & Hardie's note "Implementing
  the BG/NBD Model for Customer Base Analysis in Excel" (2005, note 004). The
  conditional expectation is eq. (10) of the paper and P(alive) is eq. (2) of
  Fader, Hardie & Lee, "Computing P(alive) Using the BG/NBD Model" (note 021).
* **Gamma-Gamma** -- Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma Model
  of Monetary Value" (note 025): likelihood eq. (1a) and conditional expected
  average spend eq. (5). The paper's ``gamma`` is called ``v`` here.
* **CLV** -- discounted expected margin over a monthly grid, the structure of the
  ``lifetimes`` package's ``customer_lifetime_value`` with an annual discount rate
  converted to a monthly one (see :func:`clv`).

Data conventions (the BTYD / ``lifetimes`` ones): ``frequency`` (x) is the number of
*repeat* purchases, ``recency`` (t_x) the time from the first to the last purchase,
``T`` the time from the first purchase to the end of the calibration period, all in one
time unit of your choice; ``monetary_value`` is the mean value of the repeat purchases
(0 when x = 0).

Numerical choices
-----------------
* Times are divided by ``max(T)`` before fitting (alpha is rescaled afterwards) and
  spends by their median, so the optimiser sees well-scaled numbers whatever the unit.
* The data are compressed: every term that depends on x only (gammaln, digamma,
  betaln) is evaluated once per distinct x, ln A3 once per distinct T, and the only
  per-row term (the A4 mixture) runs over the distinct (x, t_x, T) repeat buyers,
  weighted by their counts. Inner products avoid BLAS (see :func:`_dot`).
* The log-likelihoods have analytic gradients and are maximised by L-BFGS-B over the
  log-parameters inside generous bounds, starting from the best of a few heuristic
  points. If the optimiser fails, the best point it evaluated is returned with
  ``converged=False`` and an explanatory ``message``; predictions stay finite.
* Eq. (10) contains ``2F1(r+x, b+x; a+b+x-1; z)``, which overflows for large x and is
  meaningless when ``a+b+x-1 <= 0`` (the ``lifetimes`` issue #302). It is evaluated
  here through Euler's transformation
  ``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)``,
  whose upper parameters do not grow with x; any value that is not finite or falls
  outside the exact bounds of the expectation is recomputed by quadrature over the
  posterior Beta distribution of the dropout probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaincinv, betaln, digamma, expit, gammaln, hyp2f1, roots_legendre

__all__ = [
    "BGNBDFit",
    "BTYDInputError",
    "CustomerSummary",
    "GammaGammaFit",
    "bgnbd_expected_purchases",
    "bgnbd_p_alive",
    "clv",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_expected_spend",
    "summary_from_transactions",
]

FloatArray = NDArray[np.float64]

#: Log-parameter box used by the optimisers (parameters in [e^-14, e^14] ~ [8e-7, 1.2e6],
#: on the rescaled data). Wide enough for any real customer base, finite for degenerate
#: ones (no repeat buyers, one customer, identical spends...).
_LOG_BOUND = 14.0
_AT_BOUND = _LOG_BOUND - 1e-3
_DEFAULT_MAXITER = 500
_FEW_CUSTOMERS = 10

_GL_NODES, _GL_WEIGHTS = roots_legendre(200)
_GL_NODES = (_GL_NODES + 1.0) / 2.0
_GL_WEIGHTS = _GL_WEIGHTS / 2.0


class BTYDInputError(ValueError):
    """Invalid data given to a BTYD function; ``field`` names the offending input."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


# --------------------------------------------------------------------------------------
# result types
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BGNBDFit:
    """Fitted BG/NBD parameters (FHL 2005, section 3).

    ``alpha`` is in the time unit of the data that was fitted. ``log_likelihood`` is the
    sum over customers (eq. 6, in that time unit), ``n`` the number of customers. When
    ``converged`` is false the parameters are still usable (see ``message``).
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n: int
    converged: bool
    message: str


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma spend parameters (Fader & Hardie 2013); ``v`` is the paper's gamma.

    ``n`` counts the customers used in the fit (frequency > 0 and spend > 0).
    ``population_mean`` is the expected average spend of a customer with no repeat
    purchase: ``v * p / (q - 1)`` when ``q > 1``, otherwise (infinite model mean) the
    observed mean spend of the fitted customers, as ``message`` then explains.
    """

    p: float
    q: float
    v: float
    log_likelihood: float
    n: int
    converged: bool
    message: str
    population_mean: float = 0.0


@dataclass(frozen=True)
class CustomerSummary:
    """Per-customer RFM summary built by :func:`summary_from_transactions` (sorted by id)."""

    customer_id: NDArray[Any]
    frequency: NDArray[np.int64]
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray

    def as_dict(self) -> dict[str, NDArray[Any]]:
        """The columns as a dict of numpy arrays."""
        return {
            "customer_id": self.customer_id,
            "frequency": self.frequency,
            "recency": self.recency,
            "T": self.T,
            "monetary_value": self.monetary_value,
        }

    def __len__(self) -> int:
        return int(self.frequency.shape[0])


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------


def _numeric(name: str, values: ArrayLike) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise BTYDInputError(name, "must contain numbers only") from None
    if arr.ndim > 1:
        raise BTYDInputError(name, f"must be one-dimensional, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise BTYDInputError(name, f"contains a missing (NaN) or infinite value at position {i}")
    return arr


def _non_negative(name: str, values: ArrayLike) -> FloatArray:
    arr = _numeric(name, values)
    neg = arr < 0
    if neg.any():
        i = int(np.flatnonzero(neg.ravel())[0])
        raise BTYDInputError(
            name, f"contains a negative value at position {i} ({arr.ravel()[i]:g})"
        )
    return arr


def _rft(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate and broadcast (x, t_x, T)."""
    x = _non_negative("frequency", frequency)
    frac = x != np.round(x)
    if frac.any():
        i = int(np.flatnonzero(frac.ravel())[0])
        raise BTYDInputError(
            "frequency",
            f"must be a whole number of repeat purchases, found {x.ravel()[i]:g} at position {i}",
        )
    tx = _non_negative("recency", recency)
    age = _non_negative("T", T)
    try:
        x, tx, age = np.broadcast_arrays(x, tx, age)
    except ValueError:
        raise BTYDInputError(
            "frequency/recency/T",
            f"have different lengths ({np.shape(x)}, {np.shape(tx)}, {np.shape(age)})",
        ) from None
    late = tx > age * (1 + 1e-9) + 1e-12
    if late.any():
        i = int(np.flatnonzero(late.ravel())[0])
        raise BTYDInputError(
            "recency",
            f"is larger than T at position {i} (recency={tx.ravel()[i]:g}, "
            f"T={age.ravel()[i]:g}); the last purchase cannot be after the end of the period",
        )
    stray = (x == 0) & (tx > 0)
    if stray.any():
        i = int(np.flatnonzero(stray.ravel())[0])
        raise BTYDInputError(
            "recency",
            f"must be 0 for a customer with no repeat purchase (position {i} has "
            f"frequency 0 and recency {tx.ravel()[i]:g})",
        )
    return x.astype(np.float64), np.minimum(tx, age).astype(np.float64), age.astype(np.float64)


def _weights(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    w = _non_negative("weights", weights)
    if w.shape != (n,):
        raise BTYDInputError(
            "weights", f"must have one value per customer ({n}), got shape {w.shape}"
        )
    return w


def _maxiter(maxiter: int | None) -> int:
    if maxiter is None:
        return _DEFAULT_MAXITER
    try:
        whole = float(maxiter) == int(maxiter) and maxiter >= 1
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise BTYDInputError("maxiter", f"must be a positive whole number, got {maxiter!r}")
    return int(maxiter)


def _group(cols: Sequence[FloatArray]) -> tuple[list[FloatArray], NDArray[np.intp]]:
    """Distinct rows of ``cols`` (lexicographically sorted) and each row's index into them.

    A lexsort plus a neighbour comparison: several times faster than ``np.unique(axis=0)``.
    """
    order = np.lexsort(cols[::-1])
    sorted_cols = [c[order] for c in cols]
    new = np.ones(order.size, dtype=bool)
    if order.size > 1:
        new[1:] = np.logical_or.reduce([c[1:] != c[:-1] for c in sorted_cols])
    inverse = np.empty(order.size, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return [c[new] for c in sorted_cols], inverse


def _compress(cols: Sequence[FloatArray], w: FloatArray) -> tuple[list[FloatArray], FloatArray]:
    """Merge identical rows of ``cols`` and add up their weights."""
    unique, inverse = _group(cols)
    return unique, np.bincount(inverse, weights=w, minlength=unique[0].size)


def _dot(u: FloatArray, v: FloatArray) -> float:
    """Inner product without BLAS.

    OpenBLAS threads ``ddot`` on long vectors and its worker threads then spin, which on
    small (2-vCPU) machines slows every following numpy operation by 2-3x.
    """
    return float(np.einsum("i,i->", u, v))


def _fmt(value: float) -> str:
    return f"{value:.4g}"


# --------------------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------------------


def _distinct(values: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """Distinct values and inverse indices; O(n) for small whole numbers (frequencies)."""
    if (
        values.size
        and 0 <= values.min()
        and values.max() < 4 * values.size + 1024
        and np.all(values == np.round(values))
    ):
        codes = values.astype(np.intp)
        present = np.bincount(codes) > 0
        lookup = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(np.float64), lookup[codes]
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.ravel()


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


def _minimise(
    objective: Any, starts: list[FloatArray], maxiter: int
) -> tuple[FloatArray, float, bool, str]:
    """L-BFGS-B from the best start; returns (theta, value, success, optimiser message)."""
    values = [objective(s)[0] for s in starts]
    x0 = starts[int(np.argmin(values))]
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(x0)
    try:
        res = minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter, "ftol": 1e-13, "gtol": 1e-9, "maxls": 50},
        )
        theta, success, why = np.asarray(res.x, dtype=float), bool(res.success), str(res.message)
        value = float(res.fun)
    except (ValueError, FloatingPointError, ArithmeticError) as exc:  # pragma: no cover - defensive
        theta, success, why, value = x0, False, f"optimiser error: {exc}", np.inf
    if not np.all(np.isfinite(theta)) or not np.isfinite(value) or value > objective.best_value:
        if objective.best_theta is not None:
            theta, value = objective.best_theta, objective.best_value
    if value >= 1e299:  # nothing finite was ever found
        success = False
    return theta, value, success, why


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
    horizon = _non_negative("t", t)
    x, tx, age = _rft(frequency, recency, T)
    try:
        horizon, x, tx, age = np.broadcast_arrays(horizon, x, tx, age)
    except ValueError:
        raise BTYDInputError("t", f"cannot be matched with {np.shape(x)} customers") from None
    alive = bgnbd_p_alive(fit, x, tx, age)
    flat = _alive_expectation(r, alpha, a, b, horizon.ravel(), x.ravel(), age.ravel())
    return np.asarray(alive * flat.reshape(horizon.shape), dtype=np.float64)


# --------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------


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
    )


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


# --------------------------------------------------------------------------------------
# CLV
# --------------------------------------------------------------------------------------


def clv(
    bgnbd_fit: BGNBDFit,
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

    where ``E(Y(t))`` is the BG/NBD conditional expectation (FHL 2005 eq. 10, see
    :func:`bgnbd_expected_purchases`), ``E(M)`` the Gamma-Gamma expected spend
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
    r, alpha, a, b = _params(bgnbd_fit)
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
    cum = _alive_expectation(
        r,
        alpha,
        a,
        b,
        np.repeat(grid, ux.size),
        np.tile(ux, horizon),
        np.tile(uage, horizon),
    ).reshape(horizon, ux.size)
    cum = np.maximum.accumulate(np.vstack([np.zeros(ux.size), cum]), axis=0)  # monotone in t
    per_pair = np.einsum("i,ij->j", discount, np.diff(cum, axis=0))
    disc_purchases = bgnbd_p_alive(bgnbd_fit, x, tx, age) * per_pair[pos]
    spend = gamma_gamma_expected_spend(gg_fit, x, m)
    value = float(mg) * spend * disc_purchases
    value = np.where(np.isfinite(value), value, 0.0)
    return np.asarray(value.reshape(shape), dtype=np.float64)


# --------------------------------------------------------------------------------------
# transactions -> RFM summary
# --------------------------------------------------------------------------------------


def _day_numbers(name: str, values: Any) -> NDArray[np.int64]:
    """Whole day numbers from dates (anything pandas parses) or numbers (e.g. Excel serials)."""
    import pandas as pd

    arr = np.asarray(values)
    if arr.dtype.kind in "iufb":
        num = _numeric(name, arr)
        return np.floor(num).astype(np.int64)
    flat = np.atleast_1d(arr).ravel()
    missing = np.asarray(pd.isna(flat), dtype=bool)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise BTYDInputError(name, f"contains a missing date at position {i}")
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(flat))
    except (TypeError, ValueError, OverflowError):
        # mixed layouts ("2024-01-01" next to "2024-01-01 09:00"): parse one by one
        idx = pd.DatetimeIndex(pd.to_datetime(flat, format="mixed", errors="coerce"))
        if idx.isna().any():
            i = int(np.flatnonzero(idx.isna())[0])
            raise BTYDInputError(
                name, f"contains a value that is not a date at position {i}: {flat[i]!r}"
            ) from None
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    days = idx.values.astype("datetime64[D]").astype(np.int64)
    return days.reshape(arr.shape) if arr.ndim else days


def summary_from_transactions(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike,
    as_of: Any,
    *,
    unit_days: float = 1,
) -> CustomerSummary:
    """RFM summary per customer, with ``lifetimes.utils.summary_data_from_transaction_data``'s
    conventions (daily periods, ``freq_multiplier = unit_days``).

    Transactions are grouped by customer and calendar day (times of day are dropped;
    numeric dates are taken as day numbers, e.g. Excel serial dates); transactions after
    ``as_of`` are ignored, and customers with none on or before it are left out.

    * ``frequency`` -- number of distinct purchase days minus 1;
    * ``recency`` -- days from the first to the last purchase day, divided by ``unit_days``;
    * ``T`` -- days from the first purchase day to ``as_of``, divided by ``unit_days``;
    * ``monetary_value`` -- mean of the daily totals of the repeat purchase days (the
      first purchase day excluded), 0 when ``frequency == 0``.

    ``unit_days=7`` gives weeks as in the CDNOW data (days / 7).
    """
    import pandas as pd

    ids = np.asarray(customer_ids)
    if ids.ndim != 1:
        raise BTYDInputError("customer_ids", "must be a one-dimensional list of ids")
    if pd.isna(ids).any():
        i = int(np.flatnonzero(pd.isna(ids))[0])
        raise BTYDInputError("customer_ids", f"contains a missing id at position {i}")
    days = _day_numbers("dates", dates)
    amt = _numeric("amounts", amounts)
    if not (days.shape == amt.shape == ids.shape):
        raise BTYDInputError(
            "customer_ids/dates/amounts",
            f"have different lengths ({ids.size}, {days.size}, {amt.size})",
        )
    unit = _numeric("unit_days", unit_days)
    if unit.ndim != 0 or not unit > 0:
        raise BTYDInputError("unit_days", f"must be one positive number, got {unit_days!r}")
    as_of_arr = np.asarray(as_of)
    if as_of_arr.ndim != 0:
        raise BTYDInputError("as_of", "must be a single date")
    cutoff = int(_day_numbers("as_of", as_of_arr.reshape(1))[0])

    keep = days <= cutoff
    # group on integer codes: hashing a million text ids once, not once per aggregate
    codes, uniques = pd.factorize(ids[keep], sort=True)
    frame = pd.DataFrame({"id": codes, "day": days[keep], "amount": amt[keep]})
    daily = frame.groupby(["id", "day"], sort=True, observed=True)["amount"].sum().reset_index()
    by = daily.groupby("id", sort=True, observed=True)
    first_day = by["day"].min().to_numpy(np.int64)
    last_day = by["day"].max().to_numpy(np.int64)
    count = by["day"].size().to_numpy(np.int64)
    total = by["amount"].sum().to_numpy(np.float64)
    first_amount = by["amount"].first().to_numpy(np.float64)  # rows are sorted by day
    frequency = count - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, (total - first_amount) / np.maximum(frequency, 1), 0.0)
    u = float(unit)
    return CustomerSummary(
        customer_id=np.asarray(uniques)[by["day"].min().index.to_numpy()],
        frequency=frequency,
        recency=(last_day - first_day) / u,
        T=(cutoff - first_day) / u,
        monetary_value=monetary.astype(np.float64),
    )
