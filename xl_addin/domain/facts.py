"""What the engine needs of the orders when they live outside the sheet: their facts.

A book whose orders are in the Orders sheet hands the engine the orders themselves
(a DataFrame). A book whose Settings name an ``OrdersSource`` (a CSV/Parquet file or
folder, a DuckDB database: :mod:`xl_addin.sources`) may hold far more orders than fit in
memory as rows, so the door aggregates them where they are and hands the engine these
facts instead — the same numbers the engine would compute from the rows:

* ``history`` — per customer with orders on or before the as-of date (index
  CustomerID): ``Revenue`` (every order, refunds net), ``Margin`` (Amount − Cost, a
  blank Cost at ``DefaultMarginRate``), ``Orders`` (orders with Amount ≥ 0),
  ``FirstOrderDate`` / ``LastOrderDate`` (of those), ``LastProduct`` (the product of the
  last of those that names one; two on one day: the later row), ``Refunds`` (the sum of
  negative amounts);
* ``summary`` — the BTYD summary of the purchases (Amount ≥ 0) up to the as-of date, in
  days, sorted by CustomerID (:func:`~.btyd.summary_from_transactions`);
* ``first_purchase_day`` — the first purchase day (days since 1970-01-01);
* ``holdout(cal_day, end_day)`` — the calibration/holdout split the model choice makes
  (:func:`~.btyd.split_calibration_holdout`);
* ``recent`` — the orders the follow-up plans look at (CustomerID, OrderDate, Amount,
  Product; in row order): those with a product, Amount > 0, dated from
  ``recent_from`` to the as-of date;
* ``unpaid`` — the sales not paid in full up to the as-of date (CustomerID, OrderDate,
  Amount, Paid; in row order), from which the receivables are computed.

Pure: nothing here reads a file; the door computes the facts (one SQL definition,
:mod:`xl_addin.sources.aggregate`) and the tests prove them equal to the engine's own
computation from the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .btyd.holdout import HoldoutData
from .btyd.summary import CustomerSummary

__all__ = ["HISTORY_COLUMNS", "OrderFacts"]

#: the columns of :attr:`OrderFacts.history`
HISTORY_COLUMNS = ("Revenue", "Margin", "Orders", "FirstOrderDate", "LastOrderDate",
                   "LastProduct", "Refunds")


@dataclass(frozen=True)
class OrderFacts:
    """The orders' facts for one as-of date and margin rate (see the module notes)."""

    as_of: dt.date
    margin_rate: float
    history: pd.DataFrame
    summary: CustomerSummary
    first_purchase_day: int | None
    holdout: Callable[[int, int], HoldoutData]
    recent: pd.DataFrame
    recent_from: dt.date | None = None
    #: how many order rows the facts were made from (for the log and the benchmarks)
    rows: int = 0
    #: the sales not paid in full (see the module notes); None: no Paid anywhere
    unpaid: pd.DataFrame | None = None

    @property
    def has_purchases(self) -> bool:
        return len(self.summary) > 0
