"""The customer history and the receivables, worked out on each order's position on
Customers, against the plain pandas groupby on the text IDs they replace (generated
orders with ties, missing dates and products, refunds, customers without orders, IDs
that differ only in case or a space, and orders of customers not on the list)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xl_addin.domain.receivables import receivables, unpaid
from xl_addin.domain.value import customer_history
from xl_addin.domain.vector import group_ends, scatter
from xl_addin.settings import Settings

AS_OF = dt.date(2026, 6, 30)
IDS = ["C1", "c1", " C1", "C1 ", "C2", "C10", "C3", "none", "C4", "C5"]


def _book(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 400
    customers = pd.DataFrame({"CustomerID": IDS})
    who = rng.choice([i for i in IDS if i != "none"] + ["stranger"], n)
    day = pd.Timestamp(AS_OF) + pd.to_timedelta(rng.integers(-90, 10, n), unit="D")
    day = pd.Series(day).where(rng.random(n) > 0.05)  # a few missing dates
    amount = rng.choice([0.0, 10.0, 19.99, 250.5, -5.0], n)
    orders = pd.DataFrame({
        "CustomerID": who, "OrderDate": day,
        "Amount": amount,
        "Cost": np.where(rng.random(n) > 0.3, amount * 0.6, np.nan),
        "Product": pd.Series(rng.choice(["P1", "P2", "P3"], n)).where(rng.random(n) > 0.2),
        "Paid": np.where(rng.random(n) > 0.5, np.nan, np.abs(amount) * 0.5),
    })
    return customers, orders


def _groupby_history(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """The order columns as the text-keyed groupby worked them out."""
    ids = pd.Index(customers["CustomerID"])
    o = orders[orders["OrderDate"] <= pd.Timestamp(AS_OF)]
    pos = o[o["Amount"] >= 0].sort_values("OrderDate", kind="stable")
    g = pos.groupby("CustomerID")
    return pd.DataFrame({
        "Orders": g.size().reindex(ids, fill_value=0).astype(int),
        "FirstOrderDate": g["OrderDate"].min().reindex(ids),
        "LastOrderDate": g["OrderDate"].max().reindex(ids),
        "LastProduct": g["Product"].last().reindex(ids),
    })


@pytest.mark.parametrize("seed", range(5))
def test_history_by_position_is_the_groupby_on_text_ids(seed):
    customers, orders = _book(seed)
    empty = pd.DataFrame({"CustomerID": [], "ContactDate": pd.Series([], dtype="M8[ns]"),
                          "Outcome": []})
    got = customer_history(customers, orders, empty, Settings(), AS_OF)
    want = _groupby_history(customers, orders)
    assert got["Orders"].tolist() == want["Orders"].tolist()
    for col in ("FirstOrderDate", "LastOrderDate"):
        pd.testing.assert_series_equal(got[col], want[col], check_names=False,
                                       check_index_type=False)
    assert [None if pd.isna(p) else p for p in got["LastProduct"]] == [
        None if pd.isna(p) else p for p in want["LastProduct"]]
    assert got.loc["none", "Orders"] == 0 and pd.isna(got.loc["none", "LastOrderDate"])


@pytest.mark.parametrize("seed", range(5))
def test_receivables_by_position_are_the_groupby_on_text_ids(seed):
    customers, orders = _book(seed)
    ids = pd.Index(customers["CustomerID"])
    got = receivables(customers, orders, AS_OF, 30)
    o = orders[orders["OrderDate"] <= pd.Timestamp(AS_OF)].assign(_owed=lambda f: unpaid(f))
    o = o[o["_owed"] > 0]
    late = o[o["OrderDate"] < pd.Timestamp(AS_OF) - pd.Timedelta(days=30)]
    assert got["Outstanding"].tolist() == (
        o.groupby("CustomerID")["_owed"].sum().reindex(ids, fill_value=0.0).round(2).tolist())
    assert got["PastTerms"].tolist() == (
        late.groupby("CustomerID")["_owed"].sum().reindex(ids, fill_value=0.0).round(2).tolist())
    since = late.groupby("CustomerID")["OrderDate"].min().reindex(ids) + pd.Timedelta(days=31)
    assert got["PastTermsSince"].tolist() == since.tolist()
    # the positions handed in give the same table as those looked up
    at = ids.get_indexer(orders["CustomerID"])
    pd.testing.assert_frame_equal(receivables(customers, orders, AS_OF, 30, at=at), got)


def test_group_ends_and_scatter():
    first, last = group_ends(np.array([2, 2, 5, 7, 7, 7]))
    assert first.tolist() == [0, 2, 3] and last.tolist() == [1, 2, 5]
    assert [a.tolist() for a in group_ends(np.array([], dtype=np.int64))] == [[], []]
    out = scatter(4, np.array([3, 0]), np.array(["x", "y"], dtype=object), np.nan)
    assert out[0] == "y" and out[3] == "x" and np.isnan(out[1]) and np.isnan(out[2])
