"""Small helpers that keep per-row Python out of the hot paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["map_distinct"]


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
