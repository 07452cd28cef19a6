"""Follow-up items: every source of a due date, one row per open item.

Each source is a small function returning a frame with the columns of
:data:`ITEM_COLUMNS` (``CustomerID, Reason, DueDate, Detail``); :func:`follow_ups`
stacks them, applies what the calls since said (:func:`apply_call_outcomes`) and adds
the status:

* **Overdue** — due before the as-of date; **DueToday**; **Upcoming** — due within
  ``UpcomingDays`` after it. Items due later are not listed yet.

Sources (reason words from the contract):

* ``Complaint`` — a contact with outcome Complaint and no later Resolved contact; due at once.
* ``Promise`` — a contact with a Promise and PromiseDue, until a later contact says
  PromiseKept (or Resolved).
* ``FollowUp`` — the NextFollowUp of the customer's latest contact that set one.
* ``Appointment`` — an Appointment contact whose NextFollowUp is the appointment date:
  confirm the day before; gone once the day has passed.
* ``Cadence`` — last reached contact or last order, whichever is later, plus the class
  cadence (A/B/C days; ClassOverride wins; prospects use C).
* ``PostSale`` — ``PostSaleCheckInDays`` after the latest order until the customer is
  reached after it; dropped ``DropAfterDays`` after it was due.
* ``Birthday`` / ``Anniversary`` — ``CareLeadDays`` before the date (lunar birthdays
  converted for each year; 29 February falls on 28 February in other years); dropped
  once the day has passed.
* ``Plan`` — follow-up plans per product (Plans sheet): an offset from the order date
  or from the course end (order date + CourseDays); dropped ``DropAfterDays`` after it
  was due.
* ``Holiday`` — greetings ``CareLeadDays`` before each holiday (Holidays sheet, else the
  built-in calendar) for the classes in its Classes column, else ``HolidayClasses``;
  dropped once the day has passed.
* ``Dormant`` / ``WinBack`` — no purchase for ``DormantDays`` / ``LostDays`` and no
  reached contact in the last ``Cadence_C_Days``.
* ``CheckPhone`` — the last call said WrongNumber: check the number, until the
  customer's Phone cell no longer holds the number that was dialled (or the customer is
  reached). The customer is off the call list meanwhile.
* ``Collect`` (催款) — an unpaid balance older than ``PaymentTermsDays``
  (:mod:`.receivables`): due the day the oldest unpaid order passed the terms; after a
  conversation, due again ``PaymentTermsDays`` later while the balance stays past them.
* ``MemberIdle`` (会员唤醒) — a member with a positive card balance and no visit (order)
  for ``MemberIdleDays`` (:mod:`.members`); after a conversation, due again
  ``MemberIdleDays`` later if they still have not come.

What a call said (the call-centre meaning of each outcome, :func:`apply_call_outcomes`):
a conversation (every outcome but NoAnswer, Callback and WrongNumber) closes each item
that was due when it took place, except complaints (closed by Resolved) and promises
(closed by PromiseKept). NoAnswer and Callback close nothing: the items wait until the
next working day (a Callback with a NextFollowUp until that day), and after
``MaxAttempts`` unanswered tries at an item it rests ``RetryRestDays``. NotInterested
keeps routine calls (cadence, holiday, dormant, win-back) away for
``NotInterestedRestDays``; complaints and promises are never silenced.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from ..names import fold
from ..settings import Settings, parse_classes
from .calendar import default_holidays, lunar_to_solar
from .members import members
from .phones import normalise_phone
from .vector import days_since, group_ends, map_distinct

__all__ = ["ITEM_COLUMNS", "NOT_REACHED", "REASON_WEIGHTS", "ROUTINE", "apply_call_outcomes",
           "days_overdue", "follow_ups", "next_care_date", "next_work_day"]

ITEM_COLUMNS = ["CustomerID", "Reason", "DueDate", "Detail"]
#: how much each reason weighs on the call list (complaints first)
REASON_WEIGHTS = {
    "Complaint": 100, "Promise": 80, "Appointment": 75, "FollowUp": 60, "PostSale": 50,
    "Plan": 50, "Birthday": 45, "Anniversary": 35, "Cadence": 30, "Holiday": 25,
    "Dormant": 20, "WinBack": 15, "CheckPhone": 0, "Collect": 55, "MemberIdle": 40,
}
#: outcomes that do not count as reaching the customer (no conversation took place)
NOT_REACHED = {"NoAnswer", "WrongNumber", "Callback"}
#: routine calls, which "not interested" keeps away for a while
ROUTINE = {"Cadence", "Holiday", "Dormant", "WinBack", "MemberIdle"}
#: items that only their own outcome closes (Resolved, PromiseKept), never silenced
OWN_CLOSE = {"Complaint", "Promise", "CheckPhone"}


def _items(ids, reason: str, due, detail, source=None) -> pd.DataFrame:
    """Items of one reason; ``source``: the time order (``_ord``) of the contact that
    raised each (a later conversation can close it), else -1."""
    frame = pd.DataFrame({"CustomerID": ids, "DueDate": pd.to_datetime(due)})
    frame.insert(1, "Reason", reason)
    frame["Detail"] = detail
    frame["_src"] = -1 if source is None else np.asarray(source, dtype=np.int64)
    return frame[[*ITEM_COLUMNS, "_src"]]


def _lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table[key]`` for each key (missing → NaT/NaN), aligned to ``keys``."""
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def _sorted_contacts(contacts: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Contacts up to the cutoff per customer in time order (a day's contacts in sheet
    order); ``_ord`` numbers them in that order, ``_id`` their customers (0, 1, 2 … in
    the order of the IDs: a customer's contacts stand together)."""
    c = contacts.loc[contacts["ContactDate"] <= cutoff]
    ids, known = pd.factorize(c["CustomerID"], sort=True)
    ids[ids < 0] = len(known)  # a blank ID last, where sorting puts it
    seq = np.lexsort((c["ContactDate"].to_numpy(), ids))  # stable: sheet order on a day
    c = c.iloc[seq].assign(_seq=seq, _ord=np.arange(len(c)), _id=ids[seq])
    return c


def _latest(c: pd.DataFrame) -> pd.DataFrame:
    """Each customer's latest contact of ``c`` (rows of :func:`_sorted_contacts`): the
    last of their rows, which holds the greatest ContactDate and ``_ord``."""
    return c.iloc[group_ends(c["_id"].to_numpy())[1]]


def _latest_by_id(c: pd.DataFrame, column: str = "ContactDate") -> pd.Series:
    """``column`` of each customer's latest contact of ``c``, by ``_id``."""
    last = _latest(c)
    return pd.Series(last[column].to_numpy(), index=last["_id"].to_numpy())


def _ids_of(c: pd.DataFrame, customers: pd.Series) -> pd.Series:
    """The ``_id`` of each of ``customers`` (IDs) in ``c`` (-1: no contact there)."""
    first = group_ends(c["_id"].to_numpy())[0]
    known = pd.Index(c["CustomerID"].to_numpy()[first])  # the customer of each ``_id``
    return pd.Series(known.get_indexer(customers), index=customers.index)


def _complaints(c: pd.DataFrame) -> pd.DataFrame:
    comp = c[c["Outcome"] == "Complaint"]
    if comp.empty:
        return _items([], "Complaint", [], [])
    resolved = _latest_by_id(c[c["Outcome"] == "Resolved"])
    last_res = _lookup(comp["_id"], resolved)
    open_ = comp[last_res.isna() | (last_res < comp["ContactDate"])]
    open_ = open_.drop_duplicates("CustomerID", keep="first")
    detail = open_["Notes"].fillna("").astype(str)
    return _items(open_["CustomerID"], "Complaint", open_["ContactDate"], detail, open_["_ord"])


def _promises(c: pd.DataFrame) -> pd.DataFrame:
    p = c[c["Promise"].notna() & c["PromiseDue"].notna()]
    if p.empty:
        return _items([], "Promise", [], [])
    kept = _latest_by_id(c[c["Outcome"].isin(["PromiseKept", "Resolved"])])
    last_kept = _lookup(p["_id"], kept)
    open_ = p[last_kept.isna() | (last_kept <= p["ContactDate"])]
    return _items(open_["CustomerID"], "Promise", open_["PromiseDue"], open_["Promise"].astype(str),
                  open_["_ord"])


def _explicit(c: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """The NextFollowUp of each customer's latest contact that set one (an Appointment:
    confirm the day before)."""
    last = _latest(c[c["NextFollowUp"].notna()])
    appt = last["Outcome"] == "Appointment"
    follow = _items(last.loc[~appt, "CustomerID"], "FollowUp", last.loc[~appt, "NextFollowUp"],
                    last.loc[~appt, "Notes"].fillna("").astype(str), last.loc[~appt, "_ord"])
    a = last[appt & (last["NextFollowUp"] >= cutoff)]
    confirm = _items(a["CustomerID"], "Appointment", a["NextFollowUp"] - pd.Timedelta(days=1),
                     a["NextFollowUp"].dt.strftime("%Y-%m-%d"), a["_ord"])
    return pd.concat([follow, confirm], ignore_index=True)


def _cadence(classes: pd.Series, history: pd.DataFrame, last_reached: pd.Series,
             settings: Settings) -> pd.DataFrame:
    ids = classes.index
    base = pd.concat([history["LastOrderDate"].reindex(ids), last_reached.reindex(ids)],
                     axis=1).max(axis=1)
    days = map_distinct(classes, lambda k: settings.cadence_days(k or "C")).astype(float)
    has = base.notna()
    due = base[has] + pd.to_timedelta(days[has], unit="D")
    zh = settings.Language == "zh-CN"
    detail = map_distinct(classes[has], lambda k: (
        f"{k or 'C'} 类客户每 {settings.cadence_days(k or 'C')} 天回访一次" if zh
        else f"class {k or 'C'}: a call every {settings.cadence_days(k or 'C')} days"))
    return _items(ids[has], "Cadence", due, detail.to_numpy())


def _post_sale(history: pd.DataFrame, last_reached: pd.Series, settings: Settings,
               cutoff: pd.Timestamp) -> pd.DataFrame:
    last_order = history["LastOrderDate"].dropna()
    reached = last_reached.reindex(last_order.index)
    need = reached.isna() | (reached < last_order)
    due = last_order[need] + pd.Timedelta(days=settings.PostSaleCheckInDays)
    due = due[due >= cutoff - pd.Timedelta(days=settings.DropAfterDays)]
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
    words = ("{} 天未购买" if settings.Language == "zh-CN" else "no purchase for {} days").format
    d = _items(history.index[dormant], "Dormant",
               last[dormant] + pd.Timedelta(days=settings.DormantDays),
               rec[dormant].astype(int).map(words).to_numpy())
    w = _items(history.index[lost], "WinBack", last[lost] + pd.Timedelta(days=settings.LostDays),
               rec[lost].astype(int).map(words).to_numpy())
    return pd.concat([d, w], ignore_index=True)


def _plans(orders: pd.DataFrame | None, plans: pd.DataFrame | None, settings: Settings,
           cutoff: pd.Timestamp) -> pd.DataFrame:
    """Plan calls due from ``DropAfterDays`` ago to ``UpcomingDays`` ahead (a conversation
    on or after the due date closes one: :func:`apply_call_outcomes`)."""
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
    keep = ((due >= cutoff - pd.Timedelta(days=settings.DropAfterDays))
            & (due <= cutoff + pd.Timedelta(days=settings.UpcomingDays)))
    m, due = m[keep], due[keep]
    colon = "：" if settings.Language == "zh-CN" else ": "
    detail = m["Product"].astype(str) + np.where(m["Note"].notna(), colon + m["Note"].astype(str),
                                                 "")
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


def _again_after_talk(start: pd.Series, last_reached: pd.Series, every: int) -> pd.Series:
    """``start`` (when a reason to call began), or ``every`` days after the last
    conversation once the customer was reached on or after it."""
    reached = last_reached.reindex(start.index)
    talked = start.notna() & reached.notna() & (reached >= start)
    return start.where(~talked, reached + pd.Timedelta(days=every))


def _money(v: float) -> str:
    return f"{v:,.2f}"


def _collect(history: pd.DataFrame, last_reached: pd.Series, settings: Settings
             ) -> pd.DataFrame:
    """A Collect call for each customer with an unpaid balance past the payment terms."""
    if "PastTermsSince" not in history:
        return _items([], "Collect", [], [])
    start = history["PastTermsSince"].dropna()
    due = _again_after_talk(start, last_reached, settings.PaymentTermsDays)
    h = history.loc[start.index]
    terms = settings.PaymentTermsDays
    if settings.Language == "zh-CN":
        detail = [f"未回款 {_money(o)} 元，其中超过 {terms} 天的 {_money(p)} 元；"
                  f"最早一笔欠 {int(d)} 天" for o, p, d in
                  zip(h["Outstanding"], h["PastTerms"], h["OverdueDays"], strict=True)]
    else:
        detail = [f"{_money(o)} unpaid, {_money(p)} of it past the {terms}-day terms; "
                  f"oldest unpaid order {int(d)} days" for o, p, d in
                  zip(h["Outstanding"], h["PastTerms"], h["OverdueDays"], strict=True)]
    return _items(start.index, "Collect", due.to_numpy(), detail)


def _member_idle(customers: pd.DataFrame, history: pd.DataFrame, last_reached: pd.Series,
                 settings: Settings, as_of: dt.date, held: pd.DataFrame | None
                 ) -> pd.DataFrame:
    """A MemberIdle call for each member with money on the card who stays away."""
    if "CardBalance" not in customers:
        return _items([], "MemberIdle", [], [])
    m = held if held is not None else members(customers, history["LastOrderDate"], as_of,
                                              settings.MemberIdleDays)
    m = m[m["IdleSince"].notna()]
    start = m["IdleSince"]
    due = _again_after_talk(start, last_reached, settings.MemberIdleDays)
    zh = settings.Language == "zh-CN"
    detail = []
    for level, balance, days in zip(m["MemberLevel"], m["CardBalance"], m["IdleDays"],
                                    strict=True):
        if zh:
            detail.append(f"会员{f'（{level}）' if level else ''}卡余额 {_money(balance)} 元，"
                          f"{int(days)} 天未到店")
        else:
            detail.append(f"member{f' ({level})' if level else ''}, card balance "
                          f"{_money(balance)}, no visit for {int(days)} days")
    return _items(m.index, "MemberIdle", due.to_numpy(), detail)


def days_overdue(due: pd.Series, as_of: dt.date) -> pd.Series:
    """Days past due (negative: not yet due)."""
    return days_since(as_of, pd.to_datetime(due))


def next_work_day(day: dt.date, work_days: frozenset[int]) -> dt.date:
    """The first day after ``day`` that is a working day (weekday numbers, Monday = 0)."""
    for k in range(1, 8):
        d = day + dt.timedelta(days=k)
        if d.weekday() in work_days:
            return d
    return day + dt.timedelta(days=1)  # no working day at all: the next day


#: how a WrongNumber call logged from the call list remembers the number it dialled, in
#: a Contacts sheet without a Phone column: "(dialled 138…)" / "（拨打 138…）"
DIALLED = re.compile(r"[(（](?:dialled|拨打)\s*([^)）]+)[)）]")


def _check_phone(c: pd.DataFrame, customers: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A CheckPhone item for each customer whose last call said WrongNumber, until their
    Phone no longer holds the number dialled (or a later contact reached them)."""
    wrong = _latest(c[c["Outcome"] == "WrongNumber"])
    if wrong.empty:
        return _items([], "CheckPhone", [], [])
    later = _latest_by_id(c[~c["Outcome"].isin(NOT_REACHED)], "_ord")
    reached_after = _lookup(wrong["_id"], later) > wrong["_ord"]
    dialled = (wrong["Phone"] if "Phone" in wrong else pd.Series(None, index=wrong.index,
                                                                  dtype=object))
    from_notes = wrong["Notes"].astype(str).str.extract(DIALLED, expand=False)
    dialled = dialled.where(dialled.notna(), from_notes)
    phone_now = _lookup(wrong["CustomerID"], customers.set_index("CustomerID")["Phone"])

    def key(v: object) -> str | None:
        return normalise_phone(v).key if isinstance(v, str) and v.strip() else None

    key_then, key_now = dialled.map(key), phone_now.map(key)
    unchanged = key_then.isna() | (key_then == key_now)
    open_ = wrong[~reached_after & unchanged]
    shown = dialled[open_.index].where(dialled[open_.index].notna(), phone_now[open_.index])
    zh = lang == "zh-CN"

    def say(v: object) -> str:
        if isinstance(v, str) and v.strip():
            return f"号码 {v} 打不通：请核对" if zh else f"{v} is a wrong number: check it"
        return "号码错误：请核对" if zh else "wrong number: check it"

    return _items(open_["CustomerID"], "CheckPhone", open_["ContactDate"],
                  shown.map(say).to_numpy(), open_["_ord"])


def apply_call_outcomes(items: pd.DataFrame, c: pd.DataFrame, settings: Settings,
                        as_of: dt.date) -> pd.DataFrame:
    """What the calls since each item fell due said about it (see the module docstring).

    Adds ``NotBefore`` (the first day the item may be called about again: the next
    working day after an unanswered try, a Callback's date, the end of a rest),
    ``Attempts`` (unanswered tries since it fell due) and ``Resting`` (it rests after
    ``MaxAttempts`` of them); drops what a conversation closed. ``c`` is the contacts
    up to the as-of date in time order (``_ord``, ``_id``: :func:`_sorted_contacts`).
    """
    items = items.copy()
    items["NotBefore"] = items["DueDate"]
    items["Attempts"] = 0
    items["Resting"] = False
    if items.empty or c.empty:
        return items
    # a conversation on or after the due date closes the item (complaints, promises and
    # wrong numbers: only their own outcome)
    who = _ids_of(c, items["CustomerID"])  # each item's customer, looked up once
    talk = _latest(c[~c["Outcome"].isin(NOT_REACHED)]).set_index("_id")
    talk_day = _lookup(who, talk["ContactDate"])
    talk_ord = _lookup(who, talk["_ord"])
    closed = (~items["Reason"].isin(OWN_CLOSE) & (talk_day >= items["DueDate"])
              & (talk_ord > items["_src"]))
    items, who, talk_ord = items[~closed], who[~closed], talk_ord[~closed]
    # not interested: routine calls rest (complaints and promises never do)
    ni = _latest_by_id(c[c["Outcome"] == "NotInterested"])
    rest_to = (_lookup(who, ni)
               + pd.Timedelta(days=settings.NotInterestedRestDays))
    routine = items["Reason"].isin(ROUTINE) & rest_to.notna()
    items.loc[routine, "NotBefore"] = np.maximum(items.loc[routine, "NotBefore"],
                                                  rest_to[routine])
    # unanswered tries and callbacks since the item fell due and since the last talk
    tries = c.loc[c["Outcome"].isin(["NoAnswer", "Callback"]),
                  ["CustomerID", "ContactDate", "Outcome", "NextFollowUp", "_ord"]]
    if tries.empty:
        return items
    after = np.maximum(talk_ord.fillna(-1), items["_src"])
    pairs = (items[["CustomerID", "DueDate"]].assign(_after=after)
             .rename_axis("_at").reset_index().merge(tries, on="CustomerID"))
    pairs = pairs[(pairs["ContactDate"] >= pairs["DueDate"]) & (pairs["_ord"] > pairs["_after"])]
    if pairs.empty:
        return items
    pairs = pairs.sort_values(["_at", "_ord"], kind="stable")
    work = settings.work_days
    days = pairs["ContactDate"].to_numpy(dtype="datetime64[D]")
    uniq, inv = np.unique(days, return_inverse=True)
    following = np.array([np.datetime64(next_work_day(d.astype(dt.date), work), "D")
                          for d in uniq]).astype("datetime64[ns]")[inv]
    callback_day = pairs["NextFollowUp"].to_numpy(dtype="datetime64[ns]")
    no_answer = (pairs["Outcome"] == "NoAnswer").to_numpy()
    # each try: when the item may be called again (the next working day; a callback's day)
    wait = np.where(~no_answer & ~np.isnat(callback_day), callback_day, following)
    pairs = pairs.assign(_wait=wait, _no=no_answer)
    g = pairs.groupby("_at", sort=False)
    tried = g["_no"].sum()
    last_wait = g["_wait"].last()
    at = tried.index.to_numpy()
    before = items["NotBefore"].copy()  # what the tries add to
    items.loc[at, "Attempts"] = tried.to_numpy().astype(int)
    items.loc[at, "NotBefore"] = np.maximum(items.loc[at, "NotBefore"].to_numpy(),
                                             last_wait.reindex(at).to_numpy())
    # enough unanswered tries: the item rests, then the count starts anew (one by one:
    # the few items tried that often)
    today = pd.Timestamp(as_of)
    first, last = group_ends(pairs["_at"].to_numpy())  # each item's tries, in order
    for k in np.flatnonzero(tried.to_numpy() >= settings.MaxAttempts):
        key, group = at[k], pairs.iloc[first[k]:last[k] + 1]
        count, rest_end, wait_to = 0, None, None
        for day, no, w in zip(group["ContactDate"], group["_no"], group["_wait"], strict=True):
            if rest_end is not None and day < rest_end:
                continue  # tried while the item rested: the rest stands
            wait_to = w
            if no:
                count += 1
                if count >= settings.MaxAttempts:
                    rest_end = wait_to = day + pd.Timedelta(days=settings.RetryRestDays)
                    count = 0
        items.at[key, "Resting"] = rest_end is not None and rest_end > today
        items.at[key, "NotBefore"] = max(before[key], wait_to)
    return items


def follow_ups(
    customers: pd.DataFrame, contacts: pd.DataFrame, history: pd.DataFrame,
    classes: pd.Series, settings: Settings, as_of: dt.date, *,
    orders: pd.DataFrame | None = None, plans: pd.DataFrame | None = None,
    holidays: pd.DataFrame | None = None, held: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All open follow-up items with DaysOverdue and Status, most urgent first, and what
    the calls said (``NotBefore``, ``Attempts``, ``Resting``: :func:`apply_call_outcomes`).

    ``classes`` is the effective A/B/C class per CustomerID (override applied).
    ``history`` is :func:`~xl_addin.domain.value.customer_history`'s frame. ``held``:
    :func:`~.members.members` of the same customers and history, when worked out already.
    """
    cutoff = pd.Timestamp(as_of)
    c = _sorted_contacts(contacts, cutoff)
    talked = _latest(c[~c["Outcome"].isin(NOT_REACHED)])
    reached = pd.Series(talked["ContactDate"].to_numpy(), index=talked["CustomerID"].to_numpy())
    parts = [
        _complaints(c), _promises(c), _explicit(c, cutoff),
        _cadence(classes, history, reached, settings),
        _post_sale(history, reached, settings, cutoff),
        _care(customers, "Birthday", "Birthday", settings, as_of),
        _care(customers, "Anniversary", "Anniversary", settings, as_of),
        _plans(orders, plans, settings, cutoff),
        _holidays(classes, holidays, settings, as_of),
        _dormant(history, reached, settings, cutoff),
        _check_phone(c, customers, settings.Language),
        _collect(history, reached, settings),
        _member_idle(customers, history, reached, settings, as_of, held),
    ]
    items = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else _items([], "", [], [])
    items = apply_call_outcomes(items, c, settings, as_of)
    items["DaysOverdue"] = days_overdue(items["DueDate"], as_of)
    window = settings.UpcomingDays
    items = items[(items["DaysOverdue"] >= -window)
                  & (days_since(as_of, items["NotBefore"]) >= -window)].copy()
    items["Status"] = np.where(items["DaysOverdue"] > 0, "Overdue",
                               np.where(items["DaysOverdue"] == 0, "DueToday", "Upcoming"))
    items["Weight"] = items["Reason"].map(REASON_WEIGHTS).fillna(0)
    items = items.sort_values(["DaysOverdue", "Weight", "CustomerID"],
                              ascending=[False, False, True], kind="stable")
    return items.reset_index(drop=True)
