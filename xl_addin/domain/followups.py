"""Follow-up items: every source of a due date, one row per open item.

Each source is a small function returning a frame with the columns of
:data:`ITEM_COLUMNS` (``CustomerID, Reason, DueDate, Detail``); :func:`follow_ups`
stacks them and adds the status:

* **Overdue** — due before the as-of date; **DueToday**; **Upcoming** — due within
  ``UpcomingDays`` after it. Items due later are not listed yet.

Sources (reason words from the contract):

* ``Complaint`` — a contact with outcome Complaint and no later Resolved contact; due at once.
* ``Promise`` — a contact with a Promise and PromiseDue, until a later contact says
  PromiseKept (or Resolved).
* ``FollowUp`` — the NextFollowUp of the customer's *latest* contact (a later contact
  without a date supersedes an earlier date).
* ``Appointment`` — an Appointment contact whose NextFollowUp is the appointment date:
  confirm the day before; gone once the day has passed.
* ``Cadence`` — last reached contact or last order, whichever is later, plus the class
  cadence (A/B/C days; ClassOverride wins; prospects use C).
* ``PostSale`` — ``PostSaleCheckInDays`` after the latest order when nobody has
  contacted the customer since; dropped 30 days after it was due.
* ``Birthday`` / ``Anniversary`` — ``CareLeadDays`` before the date (lunar birthdays
  converted for each year; 29 February falls on 28 February in other years); dropped
  once the day has passed.
* ``Plan`` — follow-up plans per product (Plans sheet): an offset from the order date
  or from the course end (order date + CourseDays); open until the customer is reached
  on or after the due date; dropped 30 days after it was due.
* ``Holiday`` — greetings ``CareLeadDays`` before each holiday (Holidays sheet, else the
  built-in calendar) for the classes in its Classes column, else ``HolidayClasses``;
  dropped once the day has passed.
* ``Dormant`` / ``WinBack`` — no purchase for ``DormantDays`` / ``LostDays`` and no
  reached contact in the last ``Cadence_C_Days``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..names import fold
from ..settings import Settings, parse_classes
from .calendar import default_holidays, lunar_to_solar
from .vector import days_since, map_distinct

__all__ = ["ITEM_COLUMNS", "REASON_WEIGHTS", "days_overdue", "follow_ups", "next_care_date"]

ITEM_COLUMNS = ["CustomerID", "Reason", "DueDate", "Detail"]
#: how much each reason weighs on the call list (complaints first)
REASON_WEIGHTS = {
    "Complaint": 100, "Promise": 80, "Appointment": 75, "FollowUp": 60, "PostSale": 50,
    "Plan": 50, "Birthday": 45, "Anniversary": 35, "Cadence": 30, "Holiday": 25,
    "Dormant": 20, "WinBack": 15,
}
#: outcomes that do not count as reaching the customer
NOT_REACHED = {"NoAnswer", "WrongNumber", "Callback"}
POST_SALE_GRACE_DAYS = 30


def _items(ids, reason: str, due, detail) -> pd.DataFrame:
    frame = pd.DataFrame({"CustomerID": ids, "DueDate": pd.to_datetime(due)})
    frame.insert(1, "Reason", reason)
    frame["Detail"] = detail
    return frame[ITEM_COLUMNS]


def _lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table[key]`` for each key (missing → NaT/NaN), aligned to ``keys``."""
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def _sorted_contacts(contacts: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    c = contacts.loc[contacts["ContactDate"] <= cutoff].copy()
    c["_seq"] = np.arange(len(c))
    return c.sort_values(["CustomerID", "ContactDate", "_seq"], kind="stable")


def _complaints(c: pd.DataFrame) -> pd.DataFrame:
    comp = c[c["Outcome"] == "Complaint"]
    if comp.empty:
        return _items([], "Complaint", [], [])
    resolved = c[c["Outcome"] == "Resolved"].groupby("CustomerID")["ContactDate"].max()
    last_res = _lookup(comp["CustomerID"], resolved)
    open_ = comp[last_res.isna() | (last_res < comp["ContactDate"])]
    open_ = open_.drop_duplicates("CustomerID", keep="first")
    detail = open_["Notes"].fillna("").astype(str)
    return _items(open_["CustomerID"], "Complaint", open_["ContactDate"], detail)


def _promises(c: pd.DataFrame) -> pd.DataFrame:
    p = c[c["Promise"].notna() & c["PromiseDue"].notna()]
    if p.empty:
        return _items([], "Promise", [], [])
    kept = c[c["Outcome"].isin(["PromiseKept", "Resolved"])].groupby("CustomerID")["ContactDate"].max()
    last_kept = _lookup(p["CustomerID"], kept)
    open_ = p[last_kept.isna() | (last_kept <= p["ContactDate"])]
    return _items(open_["CustomerID"], "Promise", open_["PromiseDue"], open_["Promise"].astype(str))


def _explicit(c: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    last = c.drop_duplicates("CustomerID", keep="last")
    nxt = last[last["NextFollowUp"].notna()]
    appt = nxt["Outcome"] == "Appointment"
    follow = _items(nxt.loc[~appt, "CustomerID"], "FollowUp", nxt.loc[~appt, "NextFollowUp"],
                    nxt.loc[~appt, "Notes"].fillna("").astype(str))
    a = nxt[appt & (nxt["NextFollowUp"] >= cutoff)]
    confirm = _items(a["CustomerID"], "Appointment", a["NextFollowUp"] - pd.Timedelta(days=1),
                     a["NextFollowUp"].dt.strftime("%Y-%m-%d"))
    return pd.concat([follow, confirm], ignore_index=True)


def _cadence(classes: pd.Series, history: pd.DataFrame, last_reached: pd.Series,
             settings: Settings) -> pd.DataFrame:
    ids = classes.index
    base = pd.concat([history["LastOrderDate"].reindex(ids), last_reached.reindex(ids)],
                     axis=1).max(axis=1)
    days = map_distinct(classes, lambda k: settings.cadence_days(k or "C")).astype(float)
    has = base.notna()
    due = base[has] + pd.to_timedelta(days[has], unit="D")
    detail = map_distinct(classes[has],
                          lambda k: f"{k or 'C'}:{settings.cadence_days(k or 'C')}")
    return _items(ids[has], "Cadence", due, detail.to_numpy())


def _post_sale(history: pd.DataFrame, last_contact: pd.Series, settings: Settings,
               cutoff: pd.Timestamp) -> pd.DataFrame:
    last_order = history["LastOrderDate"].dropna()
    contacted = last_contact.reindex(last_order.index)
    need = contacted.isna() | (contacted < last_order)
    due = last_order[need] + pd.Timedelta(days=settings.PostSaleCheckInDays)
    due = due[due >= cutoff - pd.Timedelta(days=POST_SALE_GRACE_DAYS)]
    product = history["LastProduct"].reindex(due.index).fillna("").astype(str)
    return _items(due.index, "PostSale", due.to_numpy(), product.to_numpy())


def next_care_date(month: int, day: int, on_or_after: dt.date,
                   lunar: bool = False) -> dt.date | None:
    """The next date on or after ``on_or_after`` that falls on ``month``/``day``.

    Solar 29 February falls on 28 February in common years. Lunar dates are converted
    per year (:func:`~xl_addin.domain.calendar.lunar_to_solar`: day 30 in a 29-day lunar
    month falls on day 29); ``None`` when the lunar calendar does not reach that far.
    """
    for year in (on_or_after.year - 1, on_or_after.year, on_or_after.year + 1):
        if lunar:
            d = lunar_to_solar(year, month, day)
            if d is None:
                continue
        else:
            try:
                d = dt.date(year, month, day)
            except ValueError:
                d = dt.date(year, month, 28)
        if d >= on_or_after:
            return d
    return None


def _care(customers: pd.DataFrame, column: str, reason: str, settings: Settings,
          as_of: dt.date) -> pd.DataFrame:
    rows = customers[customers[column].notna()]
    dates = pd.to_datetime(rows[column])
    lunar = (rows["LunarBirthday"].fillna(False).astype(bool).to_numpy()
             if reason == "Birthday" and "LunarBirthday" in rows else np.zeros(len(rows), bool))
    keys = pd.DataFrame({"m": dates.dt.month.to_numpy(), "d": dates.dt.day.to_numpy(),
                         "l": lunar})
    # the next date depends only on (month, day, lunar): work it out once per distinct one
    distinct = keys.drop_duplicates().reset_index(drop=True)
    distinct["next"] = [next_care_date(int(m), int(d), as_of, lunar=bool(lu))
                        for m, d, lu in distinct.itertuples(index=False)]
    day = keys.merge(distinct, on=["m", "d", "l"], how="left")["next"].to_numpy()
    horizon = as_of + dt.timedelta(days=settings.CareLeadDays + settings.UpcomingDays)
    soon = np.fromiter((d is not None and d <= horizon for d in day), bool, len(day))
    lead = dt.timedelta(days=settings.CareLeadDays)
    lunar_word = "农历" if settings.Language == "zh-CN" else "lunar"
    details = [d.isoformat() + (f" ({lunar_word} {m}/{dd})" if lu else "")
               for d, m, dd, lu in zip(day[soon], keys["m"][soon], keys["d"][soon],
                                       keys["l"][soon], strict=True)]
    return _items(rows["CustomerID"].to_numpy()[soon], reason,
                  [d - lead for d in day[soon]], details)


def _dormant(history: pd.DataFrame, last_reached: pd.Series, settings: Settings,
             cutoff: pd.Timestamp) -> pd.DataFrame:
    rec = history["RecencyDays"]
    reached = last_reached.reindex(history.index)
    quiet = reached.isna() | (reached < cutoff - pd.Timedelta(days=settings.Cadence_C_Days))
    lost = (rec >= settings.LostDays) & quiet
    dormant = (rec >= settings.DormantDays) & (rec < settings.LostDays) & quiet
    last = history["LastOrderDate"]
    d = _items(history.index[dormant], "Dormant",
               last[dormant] + pd.Timedelta(days=settings.DormantDays),
               rec[dormant].astype(int).astype(str).to_numpy())
    w = _items(history.index[lost], "WinBack", last[lost] + pd.Timedelta(days=settings.LostDays),
               rec[lost].astype(int).astype(str).to_numpy())
    return pd.concat([d, w], ignore_index=True)


def _plans(orders: pd.DataFrame | None, plans: pd.DataFrame | None, last_reached: pd.Series,
           cutoff: pd.Timestamp, window: int) -> pd.DataFrame:
    if orders is None or plans is None or plans.empty or orders.empty:
        return _items([], "Plan", [], [])
    o = orders.loc[(orders["OrderDate"] <= cutoff) & (orders["Amount"] > 0)
                   & orders["Product"].notna(), ["CustomerID", "OrderDate", "Product"]]
    o = o.assign(_key=o["Product"].map(fold))
    p = plans.dropna(subset=["Product", "OffsetDays"])
    p = p.assign(_key=p["Product"].map(fold))
    m = o.merge(p[["_key", "OffsetDays", "From", "CourseDays", "Note"]], on="_key")
    if m.empty:
        return _items([], "Plan", [], [])
    start = m["OrderDate"] + pd.to_timedelta(
        np.where(m["From"] == "End", m["CourseDays"].fillna(0), 0), unit="D")
    due = start + pd.to_timedelta(m["OffsetDays"], unit="D")
    reached = _lookup(m["CustomerID"], last_reached)
    keep = ((due >= cutoff - pd.Timedelta(days=POST_SALE_GRACE_DAYS))
            & (due <= cutoff + pd.Timedelta(days=window))
            & (reached.isna() | (reached < due)))
    m, due = m[keep], due[keep]
    detail = m["Product"].astype(str) + np.where(m["Note"].notna(), "：" + m["Note"].astype(str), "")
    out = _items(m["CustomerID"], "Plan", due, detail.to_numpy())
    return out.drop_duplicates(["CustomerID", "DueDate"])


def _holidays(classes: pd.Series, holidays: pd.DataFrame | None, settings: Settings,
              as_of: dt.date) -> pd.DataFrame:
    cal = holidays if holidays is not None else default_holidays(
        [as_of.year, as_of.year + 1], settings.Language)
    start = pd.Timestamp(as_of)
    end = start + pd.Timedelta(days=settings.CareLeadDays + settings.UpcomingDays)
    soon = cal[(cal["Date"] >= start) & (cal["Date"] <= end)]
    default = parse_classes(settings.HolidayClasses) or ("A", "B")
    parts = []
    for date, name, wanted in zip(soon["Date"], soon["Holiday"], soon["Classes"], strict=True):
        greet = (parse_classes(wanted) if wanted else None) or default
        ids = classes.index[classes.isin(greet)]
        parts.append(_items(ids, "Holiday", [date - pd.Timedelta(days=settings.CareLeadDays)]
                            * len(ids), [f"{name} {date:%Y-%m-%d}"] * len(ids)))
    return pd.concat(parts, ignore_index=True) if parts else _items([], "Holiday", [], [])


def days_overdue(due: pd.Series, as_of: dt.date) -> pd.Series:
    """Days past due (negative: not yet due)."""
    return days_since(as_of, pd.to_datetime(due))


def follow_ups(
    customers: pd.DataFrame, contacts: pd.DataFrame, history: pd.DataFrame,
    classes: pd.Series, settings: Settings, as_of: dt.date, *,
    orders: pd.DataFrame | None = None, plans: pd.DataFrame | None = None,
    holidays: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All open follow-up items with DaysOverdue and Status, most urgent first.

    ``classes`` is the effective A/B/C class per CustomerID (override applied).
    ``history`` is :func:`~xl_addin.domain.value.customer_history`'s frame.
    """
    cutoff = pd.Timestamp(as_of)
    c = _sorted_contacts(contacts, cutoff)
    reached = c[~c["Outcome"].isin(NOT_REACHED)].groupby("CustomerID")["ContactDate"].max()
    last_contact = c.groupby("CustomerID")["ContactDate"].max()
    parts = [
        _complaints(c), _promises(c), _explicit(c, cutoff),
        _cadence(classes, history, reached, settings),
        _post_sale(history, last_contact, settings, cutoff),
        _care(customers, "Birthday", "Birthday", settings, as_of),
        _care(customers, "Anniversary", "Anniversary", settings, as_of),
        _plans(orders, plans, reached, cutoff, settings.UpcomingDays),
        _holidays(classes, holidays, settings, as_of),
        _dormant(history, reached, settings, cutoff),
    ]
    items = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else _items([], "", [], [])
    items["DaysOverdue"] = days_overdue(items["DueDate"], as_of)
    window = settings.UpcomingDays
    items = items[items["DaysOverdue"] >= -window].copy()
    items["Status"] = np.where(items["DaysOverdue"] > 0, "Overdue",
                               np.where(items["DaysOverdue"] == 0, "DueToday", "Upcoming"))
    items["Weight"] = items["Reason"].map(REASON_WEIGHTS).fillna(0)
    items = items.sort_values(["DaysOverdue", "Weight", "CustomerID"],
                              ascending=[False, False, True], kind="stable")
    return items.reset_index(drop=True)
