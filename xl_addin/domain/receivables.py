"""Receivables (回款): what each customer still owes, and since when.

The Orders column Paid (已回款) is the amount received for the order. A blank Paid means
the order is fully paid (most tills and shops only sell against payment; a user types
Paid where they sell on credit). The unpaid part of a sale is ``Amount − Paid``; refunds
(negative amounts) owe nothing. Orders dated after the as-of date are left out, like
everywhere else.

Per customer (:func:`receivables`):

* ``Outstanding`` (未回款) — the unpaid parts of all their sales, summed;
* ``OverdueDays`` (欠款天数) — the age in days of their oldest order still unpaid (blank
  when nothing is outstanding);
* ``PastTerms`` — the unpaid parts of the orders older than ``PaymentTermsDays``: the
  receivables at risk, which key-customer screening calls "safety" (回款及时);
* ``PastTermsSince`` — the first day the oldest unpaid order was past the terms
  (order date + ``PaymentTermsDays`` + 1): the day a Collect (催款) call falls due.

The checks that make these figures meaningful (Paid between 0 and Amount on a sale) are
input checks in :mod:`.schema`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .vector import days_since

__all__ = ["RECEIVABLE_COLUMNS", "receivables", "unpaid"]

RECEIVABLE_COLUMNS = ["Outstanding", "OverdueDays", "PastTerms", "PastTermsSince"]
#: a cent: differences below it are rounding, not money owed
CENT = 0.005


def unpaid(orders: pd.DataFrame) -> pd.Series:
    """The unpaid part of each order: ``Amount − Paid`` on a sale (blank Paid = fully
    paid), 0 on a refund or a free order; never negative."""
    amount = pd.to_numeric(orders["Amount"], errors="coerce").fillna(0.0)
    paid = (pd.to_numeric(orders["Paid"], errors="coerce") if "Paid" in orders
            else pd.Series(np.nan, index=orders.index))
    owed = (amount - paid.where(paid.notna(), amount)).where(amount > 0, 0.0)
    return owed.clip(lower=0.0).where(lambda s: s >= CENT, 0.0)


def receivables(customers: pd.DataFrame, orders: pd.DataFrame, as_of: dt.date,
                terms_days: int = 30, *, at: np.ndarray | None = None) -> pd.DataFrame:
    """One row per customer (index CustomerID, in the Customers order) with
    :data:`RECEIVABLE_COLUMNS` (see the module docstring).

    Required columns — customers: CustomerID; orders: CustomerID, OrderDate, Amount,
    Paid (optional). ``at``: each order's position in ``customers`` (-1: not on it),
    when the caller has looked them up already.
    """
    ids = pd.Index(customers["CustomerID"], name="CustomerID")
    out = pd.DataFrame(index=ids)
    out["Outstanding"] = 0.0
    out["OverdueDays"] = np.nan
    out["PastTerms"] = 0.0
    out["PastTermsSince"] = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    if orders.empty:
        return out
    cutoff = pd.Timestamp(as_of)
    mine = orders["OrderDate"] <= cutoff
    owed = unpaid(orders.loc[mine])
    if at is None:
        at = ids.get_indexer(orders["CustomerID"])
    o = orders.loc[mine, ["OrderDate"]].assign(_owed=owed, _at=at[mine.to_numpy()])
    o = o[(o["_owed"] > 0) & (o["_at"] >= 0)]
    if o.empty:
        return out
    age = days_since(as_of, o["OrderDate"])
    late = age > terms_days
    # grouped on the customers' positions: the sums add the same rows in the same order
    everyone = pd.RangeIndex(len(ids))
    g = o.groupby("_at", sort=False)
    oldest = g["OrderDate"].min().reindex(everyone)
    out["Outstanding"] = g["_owed"].sum().reindex(everyone, fill_value=0.0).round(2).to_numpy()
    out["OverdueDays"] = days_since(as_of, oldest).to_numpy()
    past = o[late.to_numpy()].groupby("_at")
    out["PastTerms"] = past["_owed"].sum().reindex(everyone, fill_value=0.0).round(2).to_numpy()
    since = past["OrderDate"].min() + pd.Timedelta(days=terms_days + 1)
    out["PastTermsSince"] = since.reindex(everyone).to_numpy()
    return out
