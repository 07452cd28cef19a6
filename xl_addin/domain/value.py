"""Customer value: history (revenue, margin, profit) and predictive CLV.

Every order counts: an order with Amount >= 0 is a purchase (a free item or a service
visit at 0 too: it counts in Orders, LastOrderDate and the models' frequency); a refund
(negative amount) is not an order but nets its customer's spend. Historical value uses
every order up to the as-of date. Where an order's Cost is blank its cost is
``Amount × (1 − DefaultMarginRate)``. Profit is margin minus cost to serve
(contacts × ``CostPerContact``) — the 80/20/30 view.

Predictive value: the purchase model of :mod:`.scores` (chosen on the book's own
history, Settings ``Model``/``HoldoutDays``) and Gamma-Gamma spend per purchase, in
days, with the BTYD conventions (frequency = repeat purchase days). A customer's
average repeat spend is scaled by their net/gross ratio, so refunds net it.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..settings import Settings
from . import btyd
from .facts import OrderFacts
from .followups import NOT_REACHED
from .receivables import RECEIVABLE_COLUMNS, receivables
from .scores import ModelCheck, score
from .vector import days_since, group_ends, scatter

__all__ = ["ValueResult", "customer_history", "money_by_customer", "predict_value",
           "referral_counts", "refunds_by_customer", "score_purchases"]

_DAY = np.timedelta64(1, "D")


def customer_history(
    customers: pd.DataFrame, orders: pd.DataFrame, contacts: pd.DataFrame,
    settings: Settings, as_of: dt.date, *, facts: OrderFacts | None = None,
    order_at: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per customer (index = CustomerID) with the historical value columns.

    Required columns — customers: CustomerID; orders: CustomerID, OrderDate, Amount,
    Cost, Product, Paid (optional); contacts: CustomerID, ContactDate, Outcome. With
    ``facts`` (orders kept outside the sheet: :mod:`.facts`) the order columns come from
    them and ``orders`` is not read. ``order_at``: each order's position on ``customers``
    where it is known already (:attr:`~.schema.Inputs.order_at`).
    Besides the value columns: ``Contacts`` and ``ContactsReached`` (contacts that were a
    conversation: every outcome but NoAnswer, WrongNumber and Callback), ``Referrals``
    (:func:`referral_counts`) and the receivables of :mod:`.receivables`.
    """
    ids = pd.Index(customers["CustomerID"], name="CustomerID")
    out = pd.DataFrame(index=ids)
    if facts is not None:
        order_at = None
        _check_facts(facts, settings, as_of)
        h = facts.history.reindex(ids)
        out["Revenue"] = h["Revenue"].fillna(0.0).to_numpy(dtype=float)
        out["Margin"] = h["Margin"].fillna(0.0).to_numpy(dtype=float)
        out["Orders"] = h["Orders"].fillna(0).to_numpy().astype(int)
        out["FirstOrderDate"] = h["FirstOrderDate"].to_numpy(dtype="datetime64[ns]")
        out["LastOrderDate"] = h["LastOrderDate"].to_numpy(dtype="datetime64[ns]")
        out["LastProduct"] = h["LastProduct"].to_numpy(dtype=object)
    else:
        if order_at is None or len(order_at) != len(orders):  # found once for every column
            order_at = ids.get_indexer(orders["CustomerID"])
        _order_history(out, ids, orders, settings, as_of, order_at)
    cutoff = pd.Timestamp(as_of)
    out["RecencyDays"] = days_since(as_of, out["LastOrderDate"])
    out["TenureDays"] = days_since(as_of, out["FirstOrderDate"])
    out["AvgOrderValue"] = out["Revenue"] / out["Orders"].replace(0, np.nan)  # net of refunds
    c = contacts.loc[contacts["ContactDate"] <= cutoff]
    at = ids.get_indexer(c["CustomerID"])
    out["Contacts"] = np.bincount(at[at >= 0], minlength=len(ids))
    said = c["Outcome"] if "Outcome" in c else pd.Series(None, index=c.index, dtype=object)
    talked = at[(at >= 0) & ~said.isin(NOT_REACHED).to_numpy()]
    out["ContactsReached"] = np.bincount(talked, minlength=len(ids))
    out["CostToServe"] = out["Contacts"] * settings.CostPerContact
    out["Profit"] = out["Margin"] - out["CostToServe"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(out["Revenue"] > 0, out["Margin"] / out["Revenue"],
                        settings.DefaultMarginRate)
    out["MarginRate"] = np.clip(np.nan_to_num(rate, nan=settings.DefaultMarginRate), 0.0, 1.0)
    out["Referrals"] = referral_counts(customers).to_numpy()
    if facts is None or facts.unpaid is None:
        owed = receivables(customers, orders, as_of, settings.PaymentTermsDays,
                           at=order_at)
    else:
        owed = receivables(customers, facts.unpaid, as_of, settings.PaymentTermsDays)
    for col in RECEIVABLE_COLUMNS:
        out[col] = owed[col].to_numpy()
    return out


def _exact(units: np.ndarray, by: pd.Series) -> pd.Series:
    """Whole millionths added up per group of ``by`` (exact), back as money."""
    sums = btyd.add_units(pd.Series(units, index=by.index, copy=False), by, sort=False)
    return pd.Series(sums.to_numpy().astype(np.float64) / 10.0**btyd.MONEY_DIGITS,
                     index=sums.index)


def money_by_customer(o: pd.DataFrame, margin_rate: float) -> tuple[pd.Series, pd.Series]:
    """Revenue and margin per ``_at`` (a customer's position) from order rows with
    ``Amount``, ``Cost`` and ``_at``. Money is added up exactly, in whole millionths
    (:func:`~.btyd.money_units`): the same total in any row order and on any engine (the
    aggregation SQL of :mod:`xl_addin.sources.aggregate` adds up a source's orders the
    same way). A blank Cost is ``Amount × (1 − margin_rate)``."""
    amount = o["Amount"].to_numpy(np.float64)
    cost = o["Cost"].to_numpy(np.float64)
    filled = np.where(np.isnan(cost), amount * (1.0 - margin_rate), cost)
    return (_exact(btyd.money_units(amount), o["_at"]),
            _exact(btyd.money_units(amount - filled), o["_at"]))


def refunds_by_customer(customer: pd.Series, amount: pd.Series) -> pd.Series:
    """The sum of the negative amounts per customer (exact, as :func:`money_by_customer`)."""
    neg = (amount < 0).to_numpy()
    return _exact(btyd.money_units(amount.to_numpy(np.float64)[neg]), customer[neg])


def _check_facts(facts: OrderFacts, settings: Settings, as_of: dt.date) -> None:
    if facts.as_of != as_of or facts.margin_rate != settings.DefaultMarginRate:
        raise ValueError(f"order facts made for {facts.as_of} at margin {facts.margin_rate}, "
                         f"used for {as_of} at {settings.DefaultMarginRate}")


def _order_history(out: pd.DataFrame, ids: pd.Index, orders: pd.DataFrame,
                   settings: Settings, as_of: dt.date, at: np.ndarray) -> None:
    """The order columns of :func:`customer_history`, from the order rows; ``at``: each
    order's position in ``ids`` (-1: not a listed customer)."""
    n = len(ids)
    date = orders["OrderDate"]
    keep = ((date <= pd.Timestamp(as_of)).to_numpy() & (at >= 0))
    amount = orders["Amount"].to_numpy(np.float64)
    o = pd.DataFrame({"Amount": amount[keep], "Cost": orders["Cost"].to_numpy(np.float64)[keep],
                      "_at": at[keep]})
    revenue, margin = money_by_customer(o, settings.DefaultMarginRate)
    out["Revenue"] = scatter(n, revenue.index.to_numpy(), revenue.to_numpy(), 0.0)
    out["Margin"] = scatter(n, margin.index.to_numpy(), margin.to_numpy(), 0.0)
    # every order: in customer order, then date order (a day's orders in row order)
    rows = np.flatnonzero(keep & (amount >= 0))
    days = date.to_numpy()
    rows = rows[np.lexsort((days[rows], at[rows]))]
    first, last = group_ends(at[rows])
    who = at[rows[first]]
    out["Orders"] = scatter(n, who, last - first + 1, 0)
    out["FirstOrderDate"] = scatter(n, who, days[rows[first]], np.datetime64("NaT"))
    out["LastOrderDate"] = scatter(n, who, days[rows[last]], np.datetime64("NaT"))
    product = orders["Product"].to_numpy(dtype=object)
    named = rows[orders["Product"].notna().to_numpy()[rows]]  # the last that names one
    last_named = group_ends(at[named])[1]
    out["LastProduct"] = scatter(n, at[named[last_named]], product[named[last_named]], np.nan)


def referral_counts(customers: pd.DataFrame) -> pd.Series:
    """How many customers name each customer in ReferredBy (推荐人), by CustomerID in the
    Customers order (0 for none; a customer never counts itself)."""
    ids = pd.Index(customers["CustomerID"], name="CustomerID")
    if "ReferredBy" not in customers:
        return pd.Series(0, index=ids)
    ref = customers["ReferredBy"].where(customers["ReferredBy"] != customers["CustomerID"])
    return ref.dropna().value_counts().reindex(ids, fill_value=0).astype(int)


@dataclass(frozen=True)
class ValueResult:
    """Per-customer predictions plus how the models went."""

    frame: pd.DataFrame  # index CustomerID: PAlive, ExpectedPurchases, CLV, PurchaseLikelihood
    note: str            # the fitted parameters (English, for the log)
    check: ModelCheck | None = None  # None: no purchases, nothing to predict


#: what the purchase model made of the orders: (:class:`.scores.Scores`, the summary) or
#: None when there is no purchase to predict from
Scored = tuple[Any, Any] | None


def score_purchases(orders: pd.DataFrame, settings: Settings, as_of: dt.date,
                    likelihood_days: int = 30, facts: OrderFacts | None = None) -> Scored:
    """Choose, check and fit the purchase model (:func:`.scores.score`) on the orders up
    to ``as_of`` that are purchases (with ``facts``, orders kept outside the sheet: on
    their purchases). Needs the orders only, so it can run beside the rest of the
    analysis (see :func:`predict_value`'s ``scored``)."""
    buys: pd.DataFrame | OrderFacts
    if facts is not None:
        _check_facts(facts, settings, as_of)
        if not facts.has_purchases:
            return None
        buys = facts
    else:
        cutoff = pd.Timestamp(as_of)
        buys = orders.loc[(orders["OrderDate"] <= cutoff) & (orders["Amount"] >= 0),
                          ["CustomerID", "OrderDate", "Amount"]]  # what the model reads
        if buys.empty:
            return None
    return score(buys, as_of, settings.Model, settings.HoldoutDays,
                 horizon_days=settings.CLV_HorizonMonths * 30, likelihood_days=likelihood_days)


def predict_value(
    customers: pd.DataFrame, orders: pd.DataFrame, history: pd.DataFrame,
    settings: Settings, as_of: dt.date, likelihood_days: int = 30, *,
    scored: Future | None = None, facts: OrderFacts | None = None,
) -> ValueResult:
    """P(alive), expected purchases and the purchase likelihood (:func:`.scores.score`),
    Gamma-Gamma spend and discounted CLV on margin.

    Horizon for ExpectedPurchases: ``CLV_HorizonMonths`` × 30 days. PurchaseLikelihood is
    the chance of at least one purchase in the next ``likelihood_days`` days (at most
    99%). When the scores are uncertain (see :mod:`.scores`) the four are blank.
    ``scored``: :func:`score_purchases` of the same orders, already under way. With
    ``facts`` (orders kept outside the sheet) the purchases come from them.
    """
    ids = pd.Index(customers["CustomerID"], name="CustomerID")
    out = pd.DataFrame(index=ids, columns=["PAlive", "ExpectedPurchases", "ExpectedSpend", "CLV",
                                           "PurchaseLikelihood"], dtype=float)
    done = (scored.result() if scored is not None
            else score_purchases(orders, settings, as_of, likelihood_days, facts))
    if done is None:
        return ValueResult(out, "no purchases: nothing to predict")
    scores, summary = done
    sid = pd.Index(summary.customer_id)
    pred = scores.frame.reindex(columns=out.columns)
    fits = scores.scorer.fit if scores.scorer else None
    note = _fit_note(fits) if fits is not None else "scores uncertain: " + ", ".join(
        d.code for d in scores.check.doubts)
    if scores.scorer is not None:
        f, r, t = summary.frequency.astype(float), summary.recency, summary.T
        at = history.index.get_indexer(sid)  # one look-up of the buyers for every column

        def column(name: str) -> np.ndarray:
            values = history[name].to_numpy(dtype=float)
            return np.where(at >= 0, values[np.maximum(at, 0)], np.nan)

        gross = column("Revenue")
        if facts is not None:
            refunds = facts.history["Refunds"].reindex(sid, fill_value=0.0).to_numpy(float)
        else:
            mo = orders.loc[orders["OrderDate"] <= pd.Timestamp(as_of)]
            refunds = refunds_by_customer(mo["CustomerID"], mo["Amount"]).reindex(
                sid, fill_value=0.0).to_numpy()
        paid = gross - refunds  # what the customer's purchases came to before refunds
        with np.errstate(divide="ignore", invalid="ignore"):
            net_share = np.where(paid > 0, np.clip(gross / paid, 0.0, 1.0), 0.0)
        m = summary.monetary_value * net_share
        gg = btyd.fit_gamma_gamma(f, m)
        margin = column("MarginRate")
        # CLV is linear in the margin rate: value the revenue stream once, then apply each
        # customer's own historical margin rate
        pred["ExpectedSpend"] = btyd.gamma_gamma_expected_spend(gg, f, m)
        pred["CLV"] = margin * scores.scorer.clv(
            gg, f, r, t, m, time_unit_days=1, horizon_months=settings.CLV_HorizonMonths,
            discount_rate_annual=settings.DiscountRateAnnual, margin=1.0)
        note += f"; Gamma-Gamma p={gg.p:.2f} q={gg.q:.2f} v={gg.v:.1f} (n={gg.n})"
        if not gg.converged:
            note += f" ({gg.message})"
    return ValueResult(pred.reindex(ids), note, scores.check)


def _fit_note(fit) -> str:
    params = " ".join(f"{k}={v:.4g}" for k, v in fit.params.items())
    return f"{btyd.model_of(fit).label} {params} (days, n={fit.n})"
