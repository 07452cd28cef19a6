"""The outcome loop: what staff typed on the call list becomes contact history.

A CallList row whose Outcome, NextFollowUp or Notes is filled is logged as one new
Contacts row (dated the as-of date, Channel = phone, Staff = the row's Owner). A row
that cannot be logged — unknown customer, unknown outcome word, a NextFollowUp that is
not a date — is *not* dropped: it comes back on the new call list with a Message.

Exactly-once: logged rows leave the call list in the same write that appends them to
Contacts, so running refresh again finds nothing to log.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..names import CALLLIST, OUTCOMES, fold, word
from .schema import RawTable, _blank, _parse_text, parse_date

__all__ = ["CallOutcomes", "take_call_outcomes"]

_OUTCOME_KEYS = {fold(k): k for k in OUTCOMES} | {fold(v): k for k, v in OUTCOMES.items()}
_MESSAGES = {
    "outcome": ("Unknown outcome {value!r}: use one of {choices}",
                "无法识别的结果“{value}”：请使用 {choices}"),
    "date": ("NextFollowUp {value!r} is not a date", "下次跟进“{value}”不是日期"),
    "customer": ("Customer {value!r} is not on the Customers sheet", "客户“{value}”不在客户表中"),
}


class CallOutcomes:
    """``contacts``: new Contacts rows (canonical columns, dates as Timestamps);
    ``pending``: CallList rows kept with a Message; ``logged``: how many were logged."""

    def __init__(self, contacts: pd.DataFrame, pending: pd.DataFrame) -> None:
        self.contacts = contacts
        self.pending = pending

    @property
    def logged(self) -> int:
        return len(self.contacts)


def _msg(key: str, lang: str, **kw: object) -> str:
    en, zh = _MESSAGES[key]
    return (zh if lang == "zh-CN" else en).format(**kw)


def take_call_outcomes(
    raw: RawTable | None, known_ids: set[str], lang: str, as_of: dt.date
) -> CallOutcomes:
    """Read the typed columns of the existing CallList sheet (if any)."""
    contacts: list[dict] = []
    pending: list[dict] = []
    if raw is None:
        return CallOutcomes(pd.DataFrame(contacts), pd.DataFrame(pending))
    wanted = {name: c.key for c in CALLLIST.columns for name in c.names()}
    idx = {}
    for i, h in enumerate(raw.header):
        key = wanted.get(fold(h))
        if key and key not in idx:
            idx[key] = i
    if "CustomerID" not in idx:
        return CallOutcomes(pd.DataFrame(contacts), pd.DataFrame(pending))
    channel = "电话" if lang == "zh-CN" else "Phone"
    choices = " / ".join(word(OUTCOMES, k, lang) for k in OUTCOMES)
    for r in raw.rows:
        row = {k: (r[i] if i < len(r) else None) for k, i in idx.items()}
        typed = [row.get(k) for k in ("Outcome", "NextFollowUp", "Notes")]
        if all(_blank(v) for v in typed) or _blank(row.get("CustomerID")):
            continue
        cid = _parse_text(row["CustomerID"])
        problems = []
        outcome = None
        if not _blank(row.get("Outcome")):
            outcome = _OUTCOME_KEYS.get(fold(row["Outcome"]))
            if outcome is None:
                problems.append(_msg("outcome", lang, value=row["Outcome"], choices=choices))
        nxt = None
        if not _blank(row.get("NextFollowUp")):
            try:
                nxt = parse_date(row["NextFollowUp"])
            except ValueError:
                problems.append(_msg("date", lang, value=row["NextFollowUp"]))
        if cid not in known_ids:
            problems.append(_msg("customer", lang, value=cid))
        if problems:
            keep = {k: row.get(k) for k in idx}
            keep["CustomerID"] = cid
            keep["Message"] = "; ".join(problems)
            pending.append(keep)
            continue
        owner = None if _blank(row.get("Owner")) else _parse_text(row["Owner"])
        contacts.append({
            "CustomerID": cid,
            "ContactDate": pd.Timestamp(as_of),
            "Channel": channel,
            "Staff": owner,
            "Outcome": outcome,
            "NextFollowUp": pd.Timestamp(nxt) if nxt else pd.NaT,
            "Promise": None,
            "PromiseDue": pd.NaT,
            "Notes": None if _blank(row.get("Notes")) else _parse_text(row["Notes"]),
        })
    return CallOutcomes(pd.DataFrame(contacts), pd.DataFrame(pending))
