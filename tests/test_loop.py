"""The outcome loop: what staff type on the call list is logged, or kept with a Message —
whatever column was renamed, deleted or left blank."""

from __future__ import annotations

import datetime as dt

import pytest

from xl_addin.domain.loop import take_call_outcomes
from xl_addin.domain.schema import RawTable
from xl_addin.excel.reading import EPOCH_1900
from xl_addin.names import CALLLIST

AS_OF = dt.date(2026, 6, 30)
HEADER = [c.key for c in CALLLIST.columns]
KNOWN = {"C1", "C2", "C3"}


def _row(cid, outcome=None, notes=None, nxt=None, **kw):
    rec = {"Owner": "Ann", "Rank": 1, "CustomerID": cid, "Name": f"Name {cid}",
           "Why": "Complaint, 2 days overdue", "Script": "Hello", "Outcome": outcome,
           "Notes": notes, "NextFollowUp": nxt, **kw}
    return [rec.get(k) for k in HEADER]


def _take(header, rows, lang="en"):
    return take_call_outcomes(RawTable("CallList", 1, header, rows, EPOCH_1900), KNOWN, lang,
                              AS_OF)


def _without(column, header, rows):
    i = header.index(column)
    return header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows]


def test_typed_rows_are_logged_and_untyped_rows_are_not():
    got = _take(HEADER, [_row("C1", "Reached", "all good"), _row("C2"), _row("C3", notes="x")])
    assert got.contacts["CustomerID"].tolist() == ["C1", "C3"]
    assert got.contacts["Notes"].tolist() == ["all good", "x"]
    assert got.pending.empty


def test_a_renamed_id_column_is_found_by_its_ids():
    header = ["Client" if h == "CustomerID" else h for h in HEADER]
    got = _take(header, [_row("C1", "Reached"), _row("C2"), _row("C3", "NoAnswer")])
    assert got.contacts["CustomerID"].tolist() == ["C1", "C3"]
    assert got.pending.empty


@pytest.mark.parametrize("lang,text", [("en", "the CustomerID column was missing"),
                                       ("zh-CN", "呼叫清单缺少“客户编号”列")])
def test_a_deleted_id_column_keeps_every_typed_row_with_a_message(lang, text):
    header, rows = _without("CustomerID", HEADER,
                            [_row("C1", "Reached", "ok"), _row("C2"), _row("C3", notes="call Fri")])
    got = _take(header, rows, lang)
    assert got.contacts.empty
    assert got.pending["Name"].tolist() == ["Name C1", "Name C3"]
    assert got.pending["Notes"].tolist() == ["ok", "call Fri"]
    assert all(text in m for m in got.pending["Message"])


def test_a_typed_row_without_an_id_is_kept_with_a_message():
    got = _take(HEADER, [_row(None, "Reached", "who was this?"), _row("C1", "Reached")])
    assert got.contacts["CustomerID"].tolist() == ["C1"]
    (msg,) = got.pending["Message"]
    assert "no customer ID on this row" in msg and got.pending["Notes"].iloc[0] == "who was this?"


def test_text_in_a_renamed_or_added_column_is_logged_in_the_notes():
    header = ["Comments" if h == "Notes" else h for h in HEADER] + [None]
    rows = [_row("C1", notes="call back Friday") + [None], _row("C2") + [None],
            _row("C3", "Reached") + ["asked for a catalogue"]]
    got = _take(header, rows)
    assert got.contacts["CustomerID"].tolist() == ["C1", "C3"]
    assert got.contacts["Notes"].tolist() == ["Comments: call back Friday",
                                              "column P: asked for a catalogue"]


def test_a_renamed_generated_column_logs_nothing_by_itself():
    header = ["Reason why" if h == "Why" else h for h in HEADER]
    got = _take(header, [_row("C1"), _row("C2"), _row("C3")])
    assert got.contacts.empty and got.pending.empty
