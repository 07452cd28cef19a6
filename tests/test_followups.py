"""Every due-date source, checked against dates computed by hand (as of 2026-06-30)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from support.books import AS_OF, contact, customer, order, raw_book

from xl_addin.domain.followups import _latest, _latest_by_id, _sorted_contacts, next_care_date
from xl_addin.domain.pipeline import run
from xl_addin.domain.schema import parse_inputs

D = dt.date


def items(customers, orders=(), contacts=(), **settings):
    out = run(parse_inputs(raw_book(customers, orders, contacts, settings), as_of=AS_OF))
    fu = out.followups
    return {(r.CustomerID, r.Reason): (r.DueDate.date(), r.DaysOverdue, r.Status)
            for r in fu.itertuples()}, out


def test_cadence_from_the_later_of_last_reached_contact_and_last_order():
    # C1 is class A (only buyer): last order 03-10, last reached contact 04-01 -> 04-01 + 30
    got, _ = items([customer("C1")], [order("C1", D(2026, 3, 10), 100.0)],
                   [contact("C1", D(2026, 4, 1), Outcome="Reached"),
                    contact("C1", D(2026, 5, 1), Outcome="NoAnswer")])
    assert got[("C1", "Cadence")] == (D(2026, 5, 1), 60, "Overdue")


def test_class_override_changes_the_cadence():
    got, _ = items([customer("C1", ClassOverride="B")], [order("C1", D(2026, 3, 10), 100.0)])
    assert got[("C1", "Cadence")][0] == D(2026, 6, 8)  # 03-10 + 90


def test_explicit_next_follow_up_from_the_latest_contact_only():
    got, _ = items([customer("C1"), customer("C2")], [], [
        contact("C1", D(2026, 6, 1), NextFollowUp=D(2026, 6, 25)),
        contact("C2", D(2026, 5, 1), NextFollowUp=D(2026, 5, 20)),
        contact("C2", D(2026, 6, 1), Outcome="Reached"),  # supersedes C2's earlier date
    ])
    assert got[("C1", "FollowUp")] == (D(2026, 6, 25), 5, "Overdue")
    assert ("C2", "FollowUp") not in got


def test_promise_open_until_a_later_contact_marks_it_kept():
    got, _ = items([customer("C1"), customer("C2")], [], [
        contact("C1", D(2026, 6, 1), Promise="send samples", PromiseDue=D(2026, 6, 10)),
        contact("C2", D(2026, 6, 1), Promise="invoice", PromiseDue=D(2026, 6, 10)),
        contact("C2", D(2026, 6, 9), Outcome="PromiseKept"),
    ])
    assert got[("C1", "Promise")] == (D(2026, 6, 10), 20, "Overdue")
    assert ("C2", "Promise") not in got


def test_open_complaint_is_due_at_once_and_resolved_closes_it():
    got, out = items([customer("C1"), customer("C2")], [], [
        contact("C1", D(2026, 6, 20), Outcome="Complaint"),
        contact("C2", D(2026, 6, 20), Outcome="Complaint"),
        contact("C2", D(2026, 6, 22), Outcome="Resolved"),
    ])
    assert got[("C1", "Complaint")] == (D(2026, 6, 20), 10, "Overdue")
    assert ("C2", "Complaint") not in got
    assert out.calllist.iloc[0]["CustomerID"] == "C1"


def test_post_sale_check_in_and_upcoming_window():
    got, _ = items([customer("C1")], [order("C1", D(2026, 6, 29), 100.0)])
    assert got[("C1", "PostSale")] == (D(2026, 7, 2), -2, "Upcoming")


def test_post_sale_not_due_when_contacted_since_the_order():
    got, _ = items([customer("C1")], [order("C1", D(2026, 6, 20), 100.0)],
                   [contact("C1", D(2026, 6, 21), Outcome="Reached")])
    assert ("C1", "PostSale") not in got


def test_appointment_is_confirmed_the_day_before():
    got, _ = items([customer("C1")], [], [
        contact("C1", D(2026, 6, 28), Outcome="Appointment", NextFollowUp=D(2026, 7, 2))])
    assert got[("C1", "Appointment")] == (D(2026, 7, 1), -1, "Upcoming")


def test_solar_birthday_with_lead_days():
    got, _ = items([customer("C1", Birthday=D(1990, 7, 2))])
    assert got[("C1", "Birthday")] == (D(2026, 6, 29), 1, "Overdue")  # 07-02 minus 3 days


def test_lunar_birthday_converted_for_the_year():
    # lunar 5/5 is the Dragon Boat Festival: 2026-06-19 (published calendar) -> too far back
    # from 06-30; lunar 5/18 is 2026-07-02 -> due 06-29
    got, _ = items([customer("C1", Birthday=D(1980, 5, 18), LunarBirthday="Y")])
    assert got[("C1", "Birthday")][0] == D(2026, 6, 29)


@pytest.mark.parametrize("month,day,lunar,after,expected", [
    (5, 5, True, D(2026, 1, 1), D(2026, 6, 19)),     # 端午 2026
    (8, 15, True, D(2026, 1, 1), D(2026, 9, 25)),    # 中秋 2026
    (1, 1, True, D(2026, 12, 30), D(2027, 2, 6)),    # 春节 2027, across the year boundary
    (2, 29, False, D(2026, 12, 30), D(2027, 2, 28)),  # no 29 Feb in 2027
    (2, 29, False, D(2027, 12, 30), D(2028, 2, 29)),
    (12, 31, False, D(2026, 12, 31), D(2026, 12, 31)),
], ids=["duanwu", "zhongqiu", "chunjie-2027", "feb29-common", "feb29-leap", "same-day"])
def test_next_care_date(month, day, lunar, after, expected):
    assert next_care_date(month, day, after, lunar=lunar) == expected


def test_dormant_and_winback():
    got, _ = items([customer("C1"), customer("C2"), customer("C3")],
                   [order("C1", D(2025, 12, 1), 100.0), order("C2", D(2025, 5, 1), 100.0),
                    order("C3", D(2026, 6, 1), 10.0)])
    assert got[("C1", "Dormant")] == (D(2026, 5, 30), 31, "Overdue")  # 12-01 + 180
    assert got[("C2", "WinBack")] == (D(2026, 5, 1), 60, "Overdue")  # 2025-05-01 + 365


def test_items_due_beyond_the_window_are_not_listed():
    got, _ = items([customer("C1")], [], [
        contact("C1", D(2026, 6, 1), NextFollowUp=D(2026, 7, 20))], UpcomingDays=7)
    assert ("C1", "FollowUp") not in got


def test_lunar_day_30_always_finds_a_date():
    """Every lunar month/day on as-of dates across the lunar calendar's years gives the
    next birthday: day 30 of a month that has 29 days that year falls on day 29.

    The date found is read back into the lunar calendar it was computed with
    (lunardate), and checked against an independent calendar (borax) wherever the two
    calendars agree about that day (their tables differ on a few months, e.g. 1933 and
    2097: under 2% of the points here)."""
    from borax.calendars.lunardate import LunarDate as Oracle
    from lunardate import LunarDate

    rng = np.random.default_rng(11)
    days = rng.integers(0, (dt.date(2098, 6, 1) - dt.date(1901, 2, 1)).days, 300)
    checked = differ = 0
    for offset in days:
        as_of = dt.date(1901, 2, 1) + dt.timedelta(days=int(offset))
        for month in range(1, 13):
            for day in (1, 15, 29, 30):
                got = next_care_date(month, day, as_of, lunar=True)
                assert got is not None and as_of <= got < as_of + dt.timedelta(days=400)
                ours = LunarDate.from_solar_date(got.year, got.month, got.day)
                assert (ours.month, ours.is_leap_month) == (month, False)
                assert ours.day == day or (day == 30 and ours.day == 29), (as_of, month, day)
                other = Oracle.from_solar_date(got.year, got.month, got.day)
                if (other.month, other.day, bool(other.leap)) != (ours.month, ours.day,
                                                                  ours.is_leap_month):
                    differ += 1
                    continue
                checked += 1
    assert checked > 14_000 and differ / (checked + differ) < 0.02


def test_lunar_dates_beyond_the_calendar_are_left_out():
    assert next_care_date(8, 15, dt.date(2150, 1, 1), lunar=True) is None
    assert next_care_date(8, 15, dt.date(2150, 1, 1)) == dt.date(2150, 8, 15)


def test_contacts_in_time_order_and_latest_per_customer_match_the_sort_on_text_ids():
    # generated contacts: several a day, IDs that differ only in case or a space
    rng = np.random.default_rng(7)
    n = 300
    contacts = pd.DataFrame({
        "CustomerID": rng.choice(["C1", "c1", " C1", "C1 ", "C2", "C10", "C3"], n),
        "ContactDate": pd.Timestamp(AS_OF) + pd.to_timedelta(rng.integers(-20, 5, n), "D"),
        "Outcome": rng.choice(["Reached", "NoAnswer", "Resolved"], n),
    }, index=rng.permutation(n) + 1000)
    cutoff = pd.Timestamp(AS_OF)
    c = _sorted_contacts(contacts, cutoff)
    want = contacts[contacts["ContactDate"] <= cutoff].assign(
        _seq=lambda f: np.arange(len(f))).sort_values(
        ["CustomerID", "ContactDate", "_seq"], kind="stable")
    assert c.index.tolist() == want.index.tolist()
    assert c["_seq"].tolist() == want["_seq"].tolist()
    reached = c[c["Outcome"] == "Reached"]
    latest = _latest(reached)
    assert latest.index.tolist() == reached.drop_duplicates(
        "CustomerID", keep="last").index.tolist()
    by_text = reached.groupby("CustomerID")["ContactDate"].max()
    by_id = _latest_by_id(reached)
    assert dict(zip(latest["CustomerID"], by_id.reindex(latest["_id"]), strict=True)) == (
        by_text.to_dict())
