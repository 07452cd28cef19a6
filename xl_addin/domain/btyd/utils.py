"""Shared plumbing of the BTYD models: input checks, data compression and the optimiser.

The input checks raise :class:`BTYDInputError` (a ``ValueError`` naming the offending
field). ``_group``/``_compress``/``_distinct`` merge identical customers so that every
likelihood is evaluated once per distinct row, and ``_minimise`` is the L-BFGS-B driver
that all fitters share (log-parameters inside ``[-_LOG_BOUND, _LOG_BOUND]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize

__all__ = ["BTYDInputError", "FloatArray"]

FloatArray = NDArray[np.float64]

#: Log-parameter box used by the optimisers (parameters in [e^-14, e^14] ~ [8e-7, 1.2e6],
#: on the rescaled data). Wide enough for any real customer base, finite for degenerate
#: ones (no repeat buyers, one customer, identical spends...).
_LOG_BOUND = 14.0
_AT_BOUND = _LOG_BOUND - 1e-3
_DEFAULT_MAXITER = 500
_FEW_CUSTOMERS = 10


class BTYDInputError(ValueError):
    """Invalid data given to a BTYD function; ``field`` names the offending input."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


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
    return theta, value, success, why
