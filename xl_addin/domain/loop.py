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


#: the CallList columns staff type into
TYPED = ("Outcome", "NextFollowUp", "Notes")


def take_call_outcomes(
    raw: RawTable | None, known_ids: set[str], lang: str, as_of: dt.date
) -> CallOutcomes:
    """Read what staff typed on the existing CallList sheet (if any).

    A row counts as typed when its Outcome, NextFollowUp or Notes is filled, or when it
    has text in a column CallList does not have (a renamed or added column): that text
    is kept as ``header: text`` in the Notes it is logged with. A typed row that cannot
    be logged — no CustomerID column or a blank ID, an unknown customer, an unknown
    outcome word, a NextFollowUp that is not a date — comes back with a Message.
    """
    contacts: list[dict] = []
    pending: list[dict] = []
    if raw is None:
        return CallOutcomes(pd.DataFrame(contacts), pd.DataFrame(pending))
    wanted = {name: c.key for c in CALLLIST.columns for name in c.names()}
    idx: dict[str, int] = {}
    for i, h in enumerate(raw.header):
        key = wanted.get(fold(h))
        if key and key not in idx:
            idx[key] = i
    width = max([len(raw.header), *map(len, raw.rows)], default=0)
    if "CustomerID" not in idx:  # renamed: the column that holds the customers' IDs
        found = _id_column(raw, width, set(idx.values()), known_ids)
        if found is not None:
            idx["CustomerID"] = found
    known_at = set(idx.values())
    others = [(i, _label(raw.header, i, lang)) for i in range(width) if i not in known_at]
    # a column of text on every row is one of ours, renamed (Why, Script …); a column
    # filled on some rows only holds what staff typed
    typed_others = {i for i, _l in others if any(blank(_cell(r, i)) for r in raw.rows)}
    channel = "电话" if lang == "zh-CN" else "Phone"
    choices = " / ".join(word(OUTCOMES, k, lang) for k in OUTCOMES)
    for r in raw.rows:
        row = {k: (r[i] if i < len(r) else None) for k, i in idx.items()}
        extra = [f"{label}: {parse_text(r[i])}" for i, label in others
                 if not blank(_cell(r, i))]
        if all(blank(row.get(k)) for k in TYPED) and not any(
                not blank(_cell(r, i)) for i in typed_others):
            continue
        notes = "; ".join([*([] if blank(row.get("Notes")) else [parse_text(row["Notes"])]),
                           *extra]) or None
        problems = []
        cid = None if blank(row.get("CustomerID")) else parse_text(row["CustomerID"])
        if cid is None:
            problems.append(render_message(
                Reason.CALL_NO_CUSTOMER_ID if "CustomerID" in idx else Reason.CALL_NO_ID_COLUMN,
                lang))
        elif cid not in known_ids:
            problems.append(render_message(Reason.CALL_UNKNOWN_CUSTOMER, lang, value=cid))
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
        if problems:
            keep = {k: row.get(k) for k in idx}
            keep["CustomerID"] = cid
            keep["Notes"] = notes
            keep["Message"] = "; ".join(problems)
            pending.append(keep)
            continue
        owner = None if blank(row.get("Owner")) else parse_text(row["Owner"])
        if outcome == "WrongNumber" and not blank(row.get("Phone")):
            # the number that was dialled: CheckPhone stays open until Phone differs
            dialled = f"（拨打 {parse_text(row['Phone'])}）" if lang == "zh-CN" else (
                f"(dialled {parse_text(row['Phone'])})")
            notes = f"{notes} {dialled}" if notes else dialled
        contacts.append({
            "CustomerID": cid,
            "ContactDate": pd.Timestamp(as_of),
            "Channel": channel,
            "Staff": owner,
            "Outcome": outcome,
            "NextFollowUp": pd.Timestamp(nxt) if nxt else pd.NaT,
            "Promise": None,
            "PromiseDue": pd.NaT,
            "Notes": notes,
        })
    return CallOutcomes(pd.DataFrame(contacts), pd.DataFrame(pending))


def _cell(row: list, i: int) -> object:
    return row[i] if i < len(row) else None


def _id_column(raw: RawTable, width: int, taken: set[int], known_ids: set[str]) -> int | None:
    """The column that holds customer IDs under another name: nearly all its values
    (at least 90%, and at least one) are IDs from the Customers sheet."""
    best = None
    for i in range(width):
        if i in taken:
            continue
        values = [parse_text(v) for r in raw.rows if not blank(v := _cell(r, i))]
        hits = sum(v in known_ids for v in values)
        if values and hits >= 0.9 * len(values) and (best is None or hits > best[1]):
            best = (i, hits)
    return best[0] if best else None


def _label(header: list, i: int, lang: str) -> str:
    """A column's name as the user sees it: its header, else its letter."""
    if i < len(header) and not blank(header[i]):
        return parse_text(header[i])
    n, letters = i + 1, ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters} 列" if lang == "zh-CN" else f"column {letters}"
