"""Prepaid members (会员, 会员卡余额): who is a member, with what balance, and who has
stopped coming.

The optional Customers columns Member (会员) and CardBalance (卡余额) say it. Member holds
Y / N or a level name (金卡, VIP …): a customer is a member when Member is Y or a level,
or when Member is blank and they hold a positive card balance (a prepaid card is a
membership); N means not a member whatever the balance. A visit is an order (a sale or a
service deducted from the card: any order of amount 0 or more).

A member with a positive balance who has not visited for ``MemberIdleDays`` is idle
(会员唤醒): their money is on the card and they are the first to win back.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..names import fold

__all__ = ["MEMBER_COLUMNS", "NO_WORDS", "YES_WORDS", "members"]

MEMBER_COLUMNS = ["IsMember", "MemberLevel", "CardBalance", "IdleDays", "IdleSince"]
#: Member cells that mean "a member, no level named" / "not a member" (folded)
YES_WORDS = frozenset({"y", "yes", "true", "1", "是", "会员", "√", "✓", "x", "member"})
NO_WORDS = frozenset({"n", "no", "false", "0", "否", "不是", "非会员", "nonmember"})


def _level(v: object) -> tuple[bool | None, str]:
    """(member?, level) of one Member cell; ``None`` when blank."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None, ""
    text = str(v).strip()
    key = fold(text)
    if not key:
        return None, ""
    if key in NO_WORDS:
        return False, ""
    if key in YES_WORDS:
        return True, ""
    return True, text


def members(customers: pd.DataFrame, last_visit: pd.Series, as_of: dt.date,
            idle_days: int = 60) -> pd.DataFrame:
    """One row per customer (index CustomerID) with :data:`MEMBER_COLUMNS`:
    ``IsMember``, ``MemberLevel`` (the level typed, "" for Y), ``CardBalance`` (0 when
    blank), ``IdleDays`` (days since the last visit, for members with a positive
    balance; blank otherwise or without any visit) and ``IdleSince`` (the last visit +
    ``idle_days``: when a member with money on the card who stays away becomes idle).

    ``last_visit``: the last order date per CustomerID (NaT without one).
    """
    ids = pd.Index(customers["CustomerID"], name="CustomerID")
    member_col = customers["Member"] if "Member" in customers else pd.Series(None, index=
                                                                               customers.index)
    parsed = [_level(v) for v in member_col]
    balance = (pd.to_numeric(customers["CardBalance"], errors="coerce").fillna(0.0)
               if "CardBalance" in customers else pd.Series(0.0, index=customers.index))
    said = np.array([m for m, _ in parsed], dtype=object)
    is_member = np.where(said == None, balance.to_numpy() > 0, said == True)  # noqa: E711,E712
    out = pd.DataFrame(index=ids)
    out["IsMember"] = is_member.astype(bool)
    out["MemberLevel"] = [lv for _, lv in parsed]
    out["CardBalance"] = balance.round(2).to_numpy()
    visit = pd.to_datetime(last_visit.reindex(ids))
    days = (np.datetime64(as_of, "D") - visit.to_numpy(dtype="datetime64[D]")).astype(float)
    days[np.isnat(visit.to_numpy(dtype="datetime64[D]"))] = np.nan
    holds = out["IsMember"].to_numpy() & (out["CardBalance"].to_numpy() > 0)
    out["IdleDays"] = np.where(holds, days, np.nan)
    since = visit + pd.Timedelta(days=idle_days)
    out["IdleSince"] = since.where(holds).to_numpy()
    return out
