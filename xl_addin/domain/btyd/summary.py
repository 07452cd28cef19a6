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

__all__ = ["MONEY_DIGITS", "CustomerSummary", "add_units", "money_units",
           "summary_from_transactions"]

#: money added up exactly is added up in whole millionths (:func:`money_units`)
MONEY_DIGITS = 6


def money_units(amounts: ArrayLike, digits: int = MONEY_DIGITS) -> NDArray[np.int64]:
    """Each amount as a whole number of ``10**-digits`` (the nearest, a half rounded up):
    ``floor(amount × 10**digits + 0.5)``, the very expression the aggregation SQL uses
    (:mod:`xl_addin.sources.aggregate`), so the two give the same whole numbers. Sums of
    them are exact, hence the same in any order of the additions, on any engine."""
    amt = np.asarray(amounts, dtype=np.float64)
    return np.floor(amt * float(10**digits) + 0.5).astype(np.int64)


def add_units(units: ArrayLike, by: Any, *, sort: bool = True) -> Any:
    """The sums of whole ``units`` per group of ``by`` (a pandas groupby key), exact: as
    64-bit integers where no sum can pass their range, as Python integers otherwise."""
    import pandas as pd

    values = units if isinstance(units, pd.Series) else pd.Series(units, copy=False)
    if values.dtype != object and float(np.abs(values.to_numpy(np.int64)).sum(
            dtype=np.float64)) >= 2.0**62:
        values = values.astype(object)  # a total could pass 2**63: Python's own integers
    return values.groupby(by, sort=sort).sum()


def _money(units: Any, digits: int) -> FloatArray:
    """Whole units back to money (the nearest float to the exact sum, then / 10**digits)."""
    return np.asarray(units).astype(np.float64) / float(10**digits)


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
    money_digits: int | None = None,
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

    ``unit_days=7`` gives weeks as in the CDNOW data (days / 7). ``money_digits`` (e.g.
    :data:`MONEY_DIGITS`): the amounts added up exactly, in whole ``10**-money_digits``
    (:func:`money_units`), so the summary is the same to the last bit in any row order;
    without it they are added up as floats, in row order.
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
    # and on one whole number per (customer, day), in that order: a single key to group on
    day0, span = ((int(days[keep].min()), int(days[keep].max()) - int(days[keep].min()) + 1)
                  if codes.size else (0, 1))  # (Python integers: no overflow)
    if len(uniques) * span < 2**62:
        by_day: Any = codes.astype(np.int64) * span + (days[keep] - day0)
    else:  # too many customers and days for one number: the pair
        by_day = [pd.Series(codes), pd.Series(days[keep])]
    if money_digits is None:
        daily = pd.Series(amt[keep]).groupby(by_day, sort=True).sum()
    else:
        daily = add_units(money_units(amt[keep], money_digits), by_day)
    if isinstance(by_day, list):
        daily = daily.rename("amount").rename_axis(["id", "day"]).reset_index()
    else:
        key = daily.index.to_numpy(np.int64)
        daily = pd.DataFrame({"id": key // span, "day": key % span + day0,
                              "amount": daily.to_numpy()})
    by = daily.groupby("id", sort=True, observed=True)
    first_day = by["day"].min().to_numpy(np.int64)
    last_day = by["day"].max().to_numpy(np.int64)
    count = by["day"].size().to_numpy(np.int64)
    if money_digits is None:
        total = by["amount"].sum().to_numpy(np.float64)
        first_amount = by["amount"].first().to_numpy(np.float64)  # rows are sorted by day
    else:
        total = _money(add_units(daily["amount"], daily["id"]), money_digits)
        first_amount = _money(by["amount"].first(), money_digits)
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
