"""What a call outcome means, as a call centre means it — hand-computed scenarios.

Calendar used below (2026): Fri 06-19, Mon 06-22, Fri 06-26, Mon 06-29, Tue 06-30,
Wed 07-01, Fri 07-03. Default settings: MaxAttempts 3, RetryRestDays 7,
NotInterestedRestDays 90, DropAfterDays 30, WorkDays Mon-Fri.
"""

from __future__ import annotations

import datetime as dt

import pytest
from support.books import contact, customer, order, raw_book

from xl_addin.domain.pipeline import run
from xl_addin.domain.schema import parse_inputs

D = dt.date


def _run(as_of, customers, orders=(), contacts=(), **settings):
    return run(parse_inputs(raw_book(customers, orders, contacts, settings), as_of=as_of))


def _listed(out) -> list[str]:
    return out.calllist["CustomerID"].tolist()


def _items(out, cid: str) -> dict[str, str]:
    f = out.followups[out.followups["CustomerID"] == cid]
    return dict(zip(f["Reason"], f["Detail"], strict=True))


# ------------------------------------------------------------------ NoAnswer, Callback
def test_no_answer_closes_nothing_and_the_customer_is_back_the_next_working_day():
    c = [customer("C1")]
    calls = [contact("C1", D(2026, 6, 1), Outcome="Reached", NextFollowUp=D(2026, 6, 20)),
             contact("C1", D(2026, 6, 29), Outcome="NoAnswer")]
    monday = _run(D(2026, 6, 29), c, [], calls)
    assert "FollowUp" in _items(monday, "C1")  # the agreed call is still open …
    assert "1 try unanswered; call again on 2026-06-30" in _items(monday, "C1")["FollowUp"]
    assert _listed(monday) == []  # … and not asked for again the same day
    tuesday = _run(D(2026, 6, 30), c, [], calls)
    assert _listed(tuesday) == ["C1"]  # the next working day it is on the list again
    assert "1 try unanswered" in tuesday.calllist.loc[0, "Why"]


@pytest.mark.parametrize("work_days,back", [("Mon-Fri", D(2026, 6, 29)),
                                            ("Mon-Sat", D(2026, 6, 27)),
                                            ("all", D(2026, 6, 27))])
def test_a_friday_try_comes_back_on_the_next_working_day(work_days, back):
    c = [customer("C1")]
    calls = [contact("C1", D(2026, 6, 1), NextFollowUp=D(2026, 6, 10)),
             contact("C1", D(2026, 6, 26), Outcome="NoAnswer")]
    before = _run(back - dt.timedelta(days=1), c, [], calls, WorkDays=work_days)
    on = _run(back, c, [], calls, WorkDays=work_days)
    assert (_listed(before), _listed(on)) == ([], ["C1"])


def test_a_callback_with_a_date_is_due_that_day_and_the_rest_waits_for_it():
    c = [customer("C1")]
    calls = [contact("C1", D(2026, 5, 1), Outcome="Complaint", Notes="late delivery"),
             contact("C1", D(2026, 6, 29), Outcome="Callback", NextFollowUp=D(2026, 7, 3))]
    out = _run(D(2026, 6, 30), c, [], calls)
    items = _items(out, "C1")
    assert items["Complaint"].startswith("late delivery")  # nothing closed
    due = out.followups.set_index("Reason")["DueDate"]
    assert due["FollowUp"] == pd_ts(D(2026, 7, 3))
    assert _listed(out) == []  # not before the day the customer asked for
    assert _listed(_run(D(2026, 7, 3), c, [], calls)) == ["C1"]


def test_a_callback_without_a_date_is_tried_again_the_next_working_day():
    c = [customer("C1")]
    calls = [contact("C1", D(2026, 6, 1), NextFollowUp=D(2026, 6, 10)),
             contact("C1", D(2026, 6, 29), Outcome="Callback")]
    assert _listed(_run(D(2026, 6, 29), c, [], calls)) == []
    assert _listed(_run(D(2026, 6, 30), c, [], calls)) == ["C1"]


def test_after_max_attempts_unanswered_the_item_rests():
    # post-sale check-in due 06-20 (order 06-17 + 3 days); three tries unanswered
    c = [customer("C1")]
    o = [order("C1", D(2026, 6, 17), 100.0, Product="Kit")]
    calls = [contact("C1", d, Outcome="NoAnswer")
             for d in (D(2026, 6, 22), D(2026, 6, 23), D(2026, 6, 24))]
    out = _run(D(2026, 6, 30), c, o, calls)
    assert "3 tries unanswered: resting until 2026-07-01" in _items(out, "C1")["PostSale"]
    assert _listed(out) == []  # resting: 06-24 + 7 days
    back = _run(D(2026, 7, 1), c, o, calls)
    assert _listed(back) == ["C1"] and "3 tries unanswered" in back.calllist.loc[0, "Why"]
    # two tries are not enough to rest: back the next working day after the second
    two = _run(D(2026, 6, 24), c, o, calls[:2])
    assert _listed(two) == ["C1"] and "2 tries unanswered" in two.calllist.loc[0, "Why"]


def test_max_attempts_and_rest_days_are_settings():
    c = [customer("C1")]
    o = [order("C1", D(2026, 6, 17), 100.0)]
    calls = [contact("C1", D(2026, 6, 22), Outcome="NoAnswer"),
             contact("C1", D(2026, 6, 23), Outcome="NoAnswer")]
    out = _run(D(2026, 6, 25), c, o, calls, MaxAttempts=2, RetryRestDays=5)
    assert "2 tries unanswered: resting until 2026-06-28" in _items(out, "C1")["PostSale"]
    assert _listed(out) == []


# ------------------------------------------------------------------ WrongNumber
def test_a_wrong_number_takes_the_customer_off_the_list_until_the_phone_changes():
    calls = [contact("C1", D(2026, 6, 1), Outcome="Complaint"),
             contact("C1", D(2026, 6, 29), Outcome="WrongNumber",
                     Notes="no such person (dialled 138 0000 0001)")]
    old = _run(D(2026, 6, 30), [customer("C1", Phone="13800000001")], [], calls)
    assert "CheckPhone" in _items(old, "C1") and "138 0000 0001" in _items(old, "C1")[
        "CheckPhone"]
    assert _listed(old) == []  # not dialled again, complaint or not
    fixed = _run(D(2026, 6, 30), [customer("C1", Phone="13900000009")], [], calls)
    assert "CheckPhone" not in _items(fixed, "C1") and _listed(fixed) == ["C1"]
    same = _run(D(2026, 6, 30), [customer("C1", Phone="+86 138-0000-0001")], [], calls)
    assert "CheckPhone" in _items(same, "C1")  # the same number, written another way


def test_check_phone_speaks_the_books_language():
    calls = [contact("C1", D(2026, 6, 29), Outcome="WrongNumber", Notes="（拨打 13800000001）")]
    out = run(parse_inputs(raw_book([customer("C1", Phone="13800000001")], [], calls,
                                    {"Language": "zh-CN"}), as_of=D(2026, 6, 30)))
    f = out.followups
    assert f["Reason"].tolist() == ["核对号码"]
    assert f["Detail"].tolist() == ["号码 13800000001 打不通：请核对"]


# ------------------------------------------------------------------ NotInterested
def test_not_interested_rests_routine_calls_but_never_complaints_or_promises():
    # C1: a class-C customer whose cadence call (180 days) is long overdue
    o = [order("C1", D(2025, 6, 1), 100.0), order("C2", D(2025, 6, 1), 100.0)]
    calls = [contact("C1", D(2026, 6, 10), Outcome="NotInterested"),
             contact("C2", D(2026, 6, 10), Outcome="NotInterested"),
             contact("C2", D(2026, 6, 20), Outcome="Complaint", Notes="rude caller"),
             contact("C2", D(2026, 6, 21), Promise="refund", PromiseDue=D(2026, 6, 25),
                     Outcome="Reached")]
    c = [customer("C1"), customer("C2")]
    out = _run(D(2026, 6, 30), c, o, calls)
    assert _listed(out) == ["C2"]
    assert set(_items(out, "C2")) == {"Complaint", "Promise"}
    assert _items(out, "C1") == {}  # routine calls kept away …
    later = _run(D(2026, 9, 8), c, o, calls)  # … for 90 days (06-10 + 90 = 09-08)
    assert "C1" in _listed(later)


# ------------------------------------------------------------------ closing post-sale/plans
def test_only_a_conversation_closes_a_post_sale_call():
    c = [customer("C1")]
    o = [order("C1", D(2026, 6, 17), 100.0, Product="Kit")]  # check-in due 06-20
    tried = _run(D(2026, 6, 24), c, o, [contact("C1", D(2026, 6, 22), Outcome="NoAnswer")])
    assert "PostSale" in _items(tried, "C1")
    talked = _run(D(2026, 6, 24), c, o, [contact("C1", D(2026, 6, 22), Outcome="Reached")])
    assert "PostSale" not in _items(talked, "C1")


def test_a_post_sale_call_is_dropped_drop_after_days_after_it_was_due():
    c = [customer("C1")]
    o = [order("C1", D(2026, 4, 28), 100.0)]  # check-in due 05-01, 60 days before 06-30
    assert "PostSale" not in _items(_run(D(2026, 6, 30), c, o), "C1")
    assert "PostSale" in _items(_run(D(2026, 6, 30), c, o, DropAfterDays=90), "C1")


def test_a_conversation_before_an_agreed_date_does_not_cancel_it():
    c = [customer("C1")]
    calls = [contact("C1", D(2026, 6, 1), Outcome="Reached", NextFollowUp=D(2026, 6, 28)),
             contact("C1", D(2026, 6, 15), Outcome="Reached", Notes="asked about prices")]
    assert "FollowUp" in _items(_run(D(2026, 6, 30), c, [], calls), "C1")
    calls.append(contact("C1", D(2026, 6, 29), Outcome="Reached"))
    assert "FollowUp" not in _items(_run(D(2026, 6, 30), c, [], calls), "C1")


def pd_ts(day: dt.date):
    import pandas as pd

    return pd.Timestamp(day)
