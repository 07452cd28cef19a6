"""Transactions to the per-customer RFM summary the BTYD models take.

The conventions of ``lifetimes.utils.summary_data_from_transaction_data`` (daily
periods); the shape of pymc-marketing's ``clv.utils.rfm_summary``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .utils import BTYDInputError, FloatArray, _numeric

__all__ = ["CustomerSummary", "summary_from_transactions"]


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
