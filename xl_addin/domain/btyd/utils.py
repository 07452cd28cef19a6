"""Shared plumbing of the BTYD models: input checks, data compression and the optimiser.

The input checks raise :class:`BTYDInputError` (a ``ValueError`` naming the offending
field). ``_group``/``_compress``/``_distinct`` merge identical customers so that every
likelihood is evaluated once per distinct row, and ``_minimise`` is the L-BFGS-B driver
that all fitters share (log-parameters inside ``[-_LOG_BOUND, _LOG_BOUND]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize

__all__ = ["FEW_CUSTOMERS", "FEW_REPEAT_BUYERS", "BTYDInputError", "FitFlag", "FloatArray"]

FloatArray = NDArray[np.float64]

#: Log-parameter box used by the optimisers (parameters in [e^-14, e^14] ~ [8e-7, 1.2e6],
#: on the rescaled data). Wide enough for any real customer base, finite for degenerate
#: ones (no repeat buyers, one customer, identical spends...).
_LOG_BOUND = 14.0
_AT_BOUND = _LOG_BOUND - 1e-3
#: slope of the mean negative log-likelihood (per log-parameter) below which a fit has settled
STATIONARY = 1e-4
_DEFAULT_MAXITER = 500
_FEW_CUSTOMERS = 10
#: A fit on fewer customers than this is flagged ``few_customers``.
FEW_CUSTOMERS = _FEW_CUSTOMERS
#: A fit with fewer repeat buyers (customers with frequency > 0) than this is flagged
#: ``few_repeat_buyers``: the purchase and dropout processes are identified by them only.
FEW_REPEAT_BUYERS = 10


class BTYDInputError(ValueError):
    """Invalid data given to a BTYD function; ``field`` names the offending input."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class FitFlag:
    """One structured reason why a fit's estimates may be uncertain.

    ``code`` is one of:

    * ``"few_customers"`` -- fewer than :data:`FEW_CUSTOMERS` customers; ``count`` is n;
    * ``"few_repeat_buyers"`` -- fewer than :data:`FEW_REPEAT_BUYERS` customers with a
      repeat purchase (at least one); ``count`` is how many;
    * ``"no_repeat_buyers"`` -- nobody made a repeat purchase; ``count`` is 0;
    * ``"at_bound"`` -- ``parameter`` ran into the limit of the search range, so the data
      do not pin it down;
    * ``"not_converged"`` -- the optimiser stopped early; ``detail`` is its reason;
    * ``"refunds_left_out"`` (Gamma-Gamma) -- ``count`` repeat buyers with a zero or
      negative average spend were left out of the fit;
    * ``"infinite_mean_spend"`` (Gamma-Gamma) -- the fitted q <= 1, so expected spends
      fall back to observed averages.
    """

    code: str
    count: int | None = None
    parameter: str | None = None
    detail: str = ""


def _flags(
    *,
    n: int,
    repeat_buyers: int | None,
    hit: Sequence[str],
    success: bool,
    why: str,
) -> tuple[FitFlag, ...]:
    """The standard flags of a fit (see :class:`FitFlag`)."""
    flags: list[FitFlag] = []
    if n < FEW_CUSTOMERS:
        flags.append(FitFlag("few_customers", count=n))
    if repeat_buyers is not None:
        if repeat_buyers == 0:
            flags.append(FitFlag("no_repeat_buyers", count=0))
        elif repeat_buyers < FEW_REPEAT_BUYERS:
            flags.append(FitFlag("few_repeat_buyers", count=repeat_buyers))
    flags.extend(FitFlag("at_bound", parameter=name) for name in hit)
    if not success:
        flags.append(FitFlag("not_converged", detail=why.strip()))
    return tuple(flags)


def _fit_report(
    theta: FloatArray,
    names: Sequence[str],
    *,
    success: bool,
    why: str,
    n: int,
    repeat_buyers: int,
    what: str,
) -> tuple[bool, str, tuple[FitFlag, ...]]:
    """``(converged, message, flags)`` for a purchase-count model, in BG/NBD's wording."""
    notes: list[str] = []
    hit = [names[i] for i in range(len(names)) if abs(theta[i]) >= _AT_BOUND]
    if repeat_buyers == 0:
        success = False
        notes.append(
            f"No customer has made a repeat purchase, so {what} cannot be estimated; the "
            "fit predicts (almost) no future purchases. Use a longer history."
        )
    else:
        if not success:
            notes.append(
                f"The optimiser did not converge ({why.strip()}); the best parameters it "
                "found are returned and may be imprecise."
            )
        if hit:
            notes.append(
                f"Parameter(s) {', '.join(hit)} reached the limit of the search range, so the "
                "data do not pin them down; predictions are usable but treat them with care."
            )
        if repeat_buyers < FEW_REPEAT_BUYERS:
            notes.append(
                f"Only {repeat_buyers} customer(s) made a repeat purchase: the estimates are "
                "very uncertain."
            )
    if n < FEW_CUSTOMERS:
        notes.append(f"Only {n} customer(s): the estimates are very uncertain.")
    converged = success and not hit
    if converged:
        notes.insert(0, "Converged.")
    flags = _flags(n=n, repeat_buyers=repeat_buyers, hit=hit, success=success, why=why)
    return converged, " ".join(notes), flags


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


def _horizon(values: ArrayLike) -> FloatArray:
    """Validate forecast horizons ``t``: finite and >= 0, any shape (e.g. a column of
    horizons, shape (h, 1), to broadcast against n customers)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise BTYDInputError("t", "must contain numbers only") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise BTYDInputError("t", f"contains a missing (NaN) or infinite value at position {i}")
    neg = arr < 0
    if neg.any():
        i = int(np.flatnonzero(neg.ravel())[0])
        raise BTYDInputError("t", f"contains a negative value at position {i} ({arr.ravel()[i]:g})")
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
    elif not success and np.isfinite(value):
        # the line search gives up a hair from the optimum when the likelihood is flat to
        # rounding there; a point where every slope is below STATIONARY has settled
        g = np.asarray(objective(theta)[1], dtype=float)
        if g.size and np.all(np.isfinite(g)) and float(np.max(np.abs(g))) <= STATIONARY:
            success = True
    return theta, value, success, why
