"""Small helpers that keep per-row Python out of the hot paths."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BOOL", "DATE", "DATETIME", "FLOAT", "INT", "NONE", "OTHER", "STR", "days_since",
           "group_ends", "map_distinct", "object_array", "scatter", "type_codes"]

#: the type of a cell value as a small code (exact types: a subclass, e.g. a numpy
#: float64, is OTHER and takes the one-by-one path of whoever reads the codes)
NONE, STR, FLOAT, DATE, DATETIME, INT, BOOL, OTHER = range(8)
_CODES: dict[type, int] = defaultdict(lambda: OTHER, {
    type(None): NONE, str: STR, float: FLOAT, dt.date: DATE, dt.datetime: DATETIME,
    int: INT, bool: BOOL})


def type_codes(values: Sequence[Any]) -> np.ndarray:
    """The type code (:data:`NONE` … :data:`OTHER`) of every value, as int8."""
    return np.fromiter(map(_CODES.__getitem__, map(type, values)), np.int8, len(values))


def object_array(values: Sequence[Any]) -> np.ndarray:
    """``values`` as a 1-D object array (never split into a 2-D array, whatever they hold)."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def map_distinct(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """``values.map(func)`` calling ``func`` once per distinct value.

    A column of 100,000 class letters or reason words has a handful of distinct values;
    this costs one factorize instead of 100,000 Python calls. Blanks keep their own kind
    (``func`` sees ``None`` where the column holds ``None`` and NaN where it holds NaN).
    """
    codes, uniques = pd.factorize(values)  # blanks get code -1
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [func(u) for u in uniques]
    out = results[codes]
    blank = np.flatnonzero(codes < 0)
    if len(blank):
        seen: dict[type, Any] = {}
        raw = values.to_numpy(dtype=object)
        for i in blank:  # one call per kind of blank (None, NaN, NaT, NA)
            v = raw[i]
            if type(v) not in seen:
                seen[type(v)] = func(v)
            out[i] = seen[type(v)]
    return pd.Series(out, index=values.index, name=values.name)


def days_since(day: dt.date, dates: pd.Series) -> pd.Series:
    """Whole days from each of ``dates`` to ``day`` (NaN where a date is missing).

    Counted on calendar days, not nanoseconds: any two dates of the years 1900-2200
    are a few hundred years apart, more than a nanosecond count holds (292 years).
    """
    d = dates.to_numpy(dtype="datetime64[D]")
    out = (np.datetime64(day, "D") - d).astype(np.float64)
    out[np.isnat(d)] = np.nan
    return pd.Series(out, index=dates.index, name=dates.name)


def group_ends(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first and the last index of each run of equal ``codes``, for codes sorted so
    that equal ones stand together (e.g. customers' positions, sorted): where each
    customer's rows begin and end, to read a first or last value per customer."""
    if not len(codes):
        none = np.empty(0, dtype=np.intp)
        return none, none
    change = np.flatnonzero(codes[1:] != codes[:-1])
    return np.r_[0, change + 1], np.r_[change, len(codes) - 1]


def scatter(n: int, at: np.ndarray, values: np.ndarray, fill: Any) -> np.ndarray:
    """``n`` times ``fill``, with ``values`` put at the positions ``at`` (of the same
    dtype as ``values``): a per-customer column, in the customers' order, from results
    for some of them."""
    values = np.asarray(values)
    out = np.full(n, fill, dtype=values.dtype)
    out[at] = values
    return out
