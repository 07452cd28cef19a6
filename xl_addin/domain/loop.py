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

from ..errors import Reason, render_message
from ..names import CALLLIST, OUTCOMES, fold, word
from .schema import RawTable, blank, parse_date, parse_text

__all__ = ["CallOutcomes", "take_call_outcomes"]

_OUTCOME_KEYS = {fold(k): k for k in OUTCOMES} | {fold(v): k for k, v in OUTCOMES.items()}


class CallOutcomes:
    """``contacts``: new Contacts rows (canonical columns, dates as Timestamps);
    ``pending``: CallList rows kept with a Message; ``logged``: how many were logged."""

    def __init__(self, contacts: pd.DataFrame, pending: pd.DataFrame) -> None:
        self.contacts = contacts
        self.pending = pending

    @property
    def logged(self) -> int:
        return len(self.contacts)


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
        if all(blank(v) for v in typed) or blank(row.get("CustomerID")):
            continue
        cid = parse_text(row["CustomerID"])
        problems = []
        outcome = None
        if not blank(row.get("Outcome")):
            outcome = _OUTCOME_KEYS.get(fold(row["Outcome"]))
            if outcome is None:
                problems.append(render_message(Reason.CALL_UNKNOWN_OUTCOME, lang,
                                                value=row["Outcome"], choices=choices))
        nxt = None
        if not blank(row.get("NextFollowUp")):
            try:
                nxt = parse_date(row["NextFollowUp"], raw.epoch)
            except ValueError:
                problems.append(render_message(Reason.CALL_BAD_DATE, lang,
                                                value=row["NextFollowUp"]))
        if cid not in known_ids:
            problems.append(render_message(Reason.CALL_UNKNOWN_CUSTOMER, lang, value=cid))
        if problems:
            keep = {k: row.get(k) for k in idx}
            keep["CustomerID"] = cid
            keep["Message"] = "; ".join(problems)
            pending.append(keep)
            continue
        owner = None if blank(row.get("Owner")) else parse_text(row["Owner"])
        contacts.append({
            "CustomerID": cid,
            "ContactDate": pd.Timestamp(as_of),
            "Channel": channel,
            "Staff": owner,
            "Outcome": outcome,
            "NextFollowUp": pd.Timestamp(nxt) if nxt else pd.NaT,
            "Promise": None,
            "PromiseDue": pd.NaT,
            "Notes": None if blank(row.get("Notes")) else parse_text(row["Notes"]),
        })
    return CallOutcomes(pd.DataFrame(contacts), pd.DataFrame(pending))
