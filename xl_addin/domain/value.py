"""Customer value: history (revenue, margin, profit) and predictive CLV.

Historical value uses every order up to the as-of date; refunds (negative amounts)
reduce revenue. Where an order's Cost is blank its cost is
``Amount × (1 − DefaultMarginRate)``. Profit is margin minus cost to serve
(contacts × ``CostPerContact``) — the 80/20/30 view.

Predictive value uses BG/NBD + Gamma-Gamma (:mod:`xl_addin.domain.btyd`) in days, on
positive orders, with the BTYD conventions (frequency = repeat purchase days).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..settings import Settings
from . import btyd
from .vector import days_since

__all__ = ["ValueResult", "customer_history", "predict_value"]

_DAY = np.timedelta64(1, "D")


def customer_history(
    customers: pd.DataFrame, orders: pd.DataFrame, contacts: pd.DataFrame,
    settings: Settings, as_of: dt.date,
) -> pd.DataFrame:
    """One row per customer (index = CustomerID) with the historical value columns.

    Required columns — customers: CustomerID; orders: CustomerID, OrderDate, Amount,
    Cost, Product; contacts: CustomerID, ContactDate.
    """
    ids = pd.Index(customers["CustomerID"], name="CustomerID")
    cutoff = pd.Timestamp(as_of)
    o = orders.loc[orders["OrderDate"] <= cutoff, ["CustomerID", "OrderDate", "Amount", "Cost",
                                                    "Product"]].copy()
    o["CostFilled"] = o["Cost"].where(o["Cost"].notna(),
                                      o["Amount"] * (1.0 - settings.DefaultMarginRate))
    o["MarginAmt"] = o["Amount"] - o["CostFilled"]
    # group on each order's position in the customer list: one hash lookup per order
    # instead of one per aggregate, and the results line up with ``ids`` by position
    o["_at"] = ids.get_indexer(o["CustomerID"])
    o = o[o["_at"] >= 0]
    g = o.groupby("_at", sort=False)
    pos = o[o["Amount"] > 0].sort_values(["OrderDate"], kind="stable")
    gp = pos.groupby("_at", sort=False)
    where = pd.RangeIndex(len(ids))

    def per_customer(s: pd.Series, fill: float = np.nan) -> np.ndarray:
        return s.reindex(where, fill_value=fill).to_numpy()

    out = pd.DataFrame(index=ids)
    out["Revenue"] = per_customer(g["Amount"].sum(), 0.0)
    out["Margin"] = per_customer(g["MarginAmt"].sum(), 0.0)
    out["Orders"] = per_customer(gp.size(), 0).astype(int)
    out["FirstOrderDate"] = per_customer(gp["OrderDate"].min())
    out["LastOrderDate"] = per_customer(gp["OrderDate"].max())
    out["LastProduct"] = per_customer(gp["Product"].last())
    out["RecencyDays"] = days_since(as_of, out["LastOrderDate"])
    out["TenureDays"] = days_since(as_of, out["FirstOrderDate"])
    out["AvgOrderValue"] = (per_customer(gp["Amount"].sum())
                            / out["Orders"].replace(0, np.nan).to_numpy())
    c = contacts.loc[contacts["ContactDate"] <= cutoff, "CustomerID"]
    at = ids.get_indexer(c)
    out["Contacts"] = np.bincount(at[at >= 0], minlength=len(ids))
    out["CostToServe"] = out["Contacts"] * settings.CostPerContact
    out["Profit"] = out["Margin"] - out["CostToServe"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(out["Revenue"] > 0, out["Margin"] / out["Revenue"],
                        settings.DefaultMarginRate)
    out["MarginRate"] = np.clip(np.nan_to_num(rate, nan=settings.DefaultMarginRate), 0.0, 1.0)
    return out


@dataclass(frozen=True)
class ValueResult:
    """Per-customer predictions plus a note on how the models went."""

    frame: pd.DataFrame  # index CustomerID: PAlive, ExpectedPurchases, ExpectedSpend, CLV,
    #                       PurchaseLikelihood, Frequency, RecencyT, AgeT, AvgRepeatSpend
    note: str


def predict_value(
    customers: pd.DataFrame, orders: pd.DataFrame, history: pd.DataFrame,
    settings: Settings, as_of: dt.date, likelihood_days: int = 30,
) -> ValueResult:
    """BG/NBD P(alive) and expected purchases, Gamma-Gamma spend, discounted CLV on margin.

    Horizon for ExpectedPurchases: ``CLV_HorizonMonths`` × 30 days. PurchaseLikelihood is
    the chance of at least one purchase in the next ``likelihood_days`` days,
    ``1 − exp(−E[X(likelihood_days)])``, times nothing else (P(alive) is inside E[X]).
    """
    ids = pd.Index(customers["CustomerID"], name="CustomerID")
    cutoff = pd.Timestamp(as_of)
    pos = orders.loc[(orders["OrderDate"] <= cutoff) & (orders["Amount"] > 0)]
    out = pd.DataFrame(index=ids, columns=["PAlive", "ExpectedPurchases", "ExpectedSpend", "CLV",
                                           "PurchaseLikelihood"], dtype=float)
    if pos.empty:
        return ValueResult(out, "no purchases: nothing to predict")
    summary = btyd.summary_from_transactions(
        pos["CustomerID"].to_numpy(), pos["OrderDate"].to_numpy(), pos["Amount"].to_numpy(),
        np.datetime64(as_of), unit_days=1,
    ).as_dict()
    sid = pd.Index(summary["customer_id"])
    f, r, t, m = (summary[k] for k in ("frequency", "recency", "T", "monetary_value"))
    notes = []
    bg = btyd.fit_bgnbd(f, r, t)
    if not bg.converged:
        notes.append(f"BG/NBD: {bg.message}")
    gg = btyd.fit_gamma_gamma(f, m)
    if not gg.converged:
        notes.append(f"Gamma-Gamma: {gg.message}")
    horizon = settings.CLV_HorizonMonths * 30
    palive = btyd.bgnbd_p_alive(bg, f, r, t)
    expected = btyd.bgnbd_expected_purchases(bg, horizon, f, r, t)
    near = btyd.bgnbd_expected_purchases(bg, likelihood_days, f, r, t)
    spend = btyd.gamma_gamma_expected_spend(gg, f, m)
    margin = history["MarginRate"].reindex(sid).to_numpy(dtype=float)
    # CLV is linear in the margin rate: value the revenue stream once, then apply each
    # customer's own historical margin rate
    clv = margin * btyd.clv(bg, gg, f, r, t, m, time_unit_days=1,
                            horizon_months=settings.CLV_HorizonMonths,
                            discount_rate_annual=settings.DiscountRateAnnual, margin=1.0)
    pred = pd.DataFrame({
        "PAlive": palive, "ExpectedPurchases": expected, "ExpectedSpend": spend, "CLV": clv,
        "PurchaseLikelihood": 1.0 - np.exp(-np.asarray(near, dtype=float)),
    }, index=sid)
    out = pred.reindex(ids)
    note = "; ".join(notes) or (
        f"BG/NBD r={bg.r:.3f} alpha={bg.alpha:.2f} a={bg.a:.3f} b={bg.b:.3f} (days, n={bg.n}); "
        f"Gamma-Gamma p={gg.p:.2f} q={gg.q:.2f} v={gg.v:.1f} (n={gg.n})"
    )
    return ValueResult(out, note)
