"""Plans per product, holiday greetings, editable scripts, reactivation cap, routing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from support.books import contact, customer, order, raw_book

from xl_addin.domain.calendar import default_holidays, default_plans
from xl_addin.domain.pipeline import run
from xl_addin.domain.schema import RawTable, parse_inputs

D = dt.date


def _plans_table(rows):
    return RawTable("Plans", 1, ["Product", "OffsetDays", "From", "CourseDays", "Note"], rows)


def _run(raw, as_of):
    return run(parse_inputs(raw, as_of=as_of))


def test_clinic_two_month_course_plan_days():
    # 2-month course bought 2026-03-01: calls on day 3, 21, 42 and 3 days before the end
    # (03-01 + 60 = 04-30 -> 04-27). As of 03-22 the day-21 call (03-22) is due today.
    raw = raw_book([customer("C1")], [order("C1", D(2026, 3, 1), 900.0, Product="Deep Care")])
    raw["Plans"] = _plans_table([["deep care", 3, "Order", 60, "day 3"],
                                 ["Deep Care", 21, "下单日", 60, "day 21"],
                                 ["Deep Care", 42, None, 60, "day 42"],
                                 ["Deep Care", -3, "疗程结束", 60, "before end"]])
    fu = _run(raw, D(2026, 3, 22)).followups
    plan = fu[fu["Reason"] == "Plan"].sort_values("DueDate")
    assert [d.date() for d in plan["DueDate"]] == [D(2026, 3, 4), D(2026, 3, 22)]
    assert plan["Status"].tolist() == ["Overdue", "DueToday"]
    fu = _run(raw, D(2026, 4, 25)).followups
    plan = fu[fu["Reason"] == "Plan"].sort_values("DueDate")
    assert [d.date() for d in plan["DueDate"]] == [D(2026, 4, 12), D(2026, 4, 27)]


def test_plan_call_closed_once_the_customer_is_reached_after_it_was_due():
    raw = raw_book([customer("C1")], [order("C1", D(2026, 3, 1), 900.0, Product="Deep Care")],
                   [contact("C1", D(2026, 3, 5), Outcome="Reached")])
    raw["Plans"] = _plans_table([["Deep Care", 3, "Order", 60, None]])
    fu = _run(raw, D(2026, 3, 6)).followups
    assert "Plan" not in set(fu["Reason"])


def test_plan_sheet_errors_name_the_cell():
    raw = raw_book([customer("C1")])
    raw["Plans"] = _plans_table([["X", 3, "whenever", None, None], ["Y", -3, "End", None, None]])
    try:
        parse_inputs(raw)
    except ValueError as exc:
        got = {(e.row, e.column, e.code) for e in exc.errors}
    assert got == {(2, "From", "not_in_choices"), (3, "CourseDays", "required_blank")}


def test_default_plans_encode_the_clinic_standard():
    plans = default_plans("zh-CN")
    deep = plans[plans["Product"] == "深度护理疗程"]
    assert deep["OffsetDays"].tolist() == [3, 21, 42, -3]
    assert set(deep["CourseDays"]) == {60}


def test_holiday_greeting_for_chosen_classes():
    # Mid-Autumn Festival 2026 falls on 2026-09-25 (lunar 8/15); greet 3 days ahead
    cal = default_holidays([2026], "en")
    assert cal.set_index("Holiday").loc["Mid-Autumn Festival", "Date"] == pd.Timestamp(2026, 9, 25)
    raw = raw_book([customer("C1"), customer("C2"), customer("C3")],
                   [order("C1", D(2026, 9, 1), 900.0), order("C2", D(2026, 9, 1), 80.0),
                    order("C3", D(2026, 9, 1), 20.0)])
    fu = _run(raw, D(2026, 9, 20)).followups
    hol = fu[fu["Reason"] == "Holiday"]
    assert sorted(hol["CustomerID"]) == ["C1", "C2"]  # A and B, not C (HolidayClasses A,B)
    assert {d.date() for d in hol["DueDate"]} == {D(2026, 9, 22)}
    assert hol["Detail"].iloc[0] == "Mid-Autumn Festival 2026-09-25"


def test_holidays_sheet_overrides_calendar_and_classes():
    raw = raw_book([customer("C1"), customer("C2")],
                   [order("C1", D(2026, 1, 1), 900.0), order("C2", D(2026, 1, 1), 10.0)])
    raw["Holidays"] = RawTable("Holidays", 1, ["Date", "Holiday", "Classes"],
                               [[D(2026, 7, 4), "Store anniversary", "all"]])
    fu = _run(raw, D(2026, 7, 1)).followups
    hol = fu[fu["Reason"] == "Holiday"]
    assert sorted(hol["CustomerID"]) == ["C1", "C2"] and set(hol["Status"]) == {"DueToday"}


def test_scripts_sheet_segment_row_wins_over_generic_and_builtin():
    raw = raw_book([customer("C1", "Ann Lee"), customer("C2", "Bo")],
                   [order("C1", D(2026, 6, 25), 900.0, Product="Kit"),
                    order("C2", D(2026, 6, 25), 10.0, Product="Kit")])
    raw["Scripts"] = RawTable("Scripts", 1, ["Reason", "Segment", "Language", "Script"], [
        ["售后回访", "A", "en", "VIP {Name}: how is the {LastProduct}?"],
        ["PostSale", None, None, "Hi {Name}, all good with the {LastProduct}?"],
    ])
    calls = _run(raw, D(2026, 6, 30)).calllist.set_index("CustomerID")
    assert calls.loc["C1", "Script"] == "VIP Ann Lee: how is the Kit?"
    assert calls.loc["C2", "Script"] == "Hi Bo, all good with the Kit?"


def test_reactivation_is_rate_limited_per_owner():
    cust = [customer(f"C{i}") for i in range(6)]
    orders = [order(f"C{i}", D(2025, 10, 1 + i), 100.0) for i in range(6)]
    contacts = [contact(f"C{i}", D(2026, 6, 1), Outcome="NoAnswer") for i in range(6)]
    raw = raw_book(cust, orders, contacts, {"ReactivationPerOwnerPerDay": 2,
                                            "Cadence_A_Days": 400, "Cadence_B_Days": 400,
                                            "Cadence_C_Days": 400})
    calls = _run(raw, D(2026, 6, 30)).calllist
    assert len(calls) == 2 and set(calls["Reason"]) == {"Dormant"}


def test_rows_run_in_rank_order_and_group_by_region_on_request():
    cust = [customer("C1", Region="West"), customer("C2", Region="East"),
            customer("C3", Region="West")]
    cont = [contact(c, D(2026, 6, 1), NextFollowUp=D(2026, 6, d))
            for c, d in (("C1", 1), ("C2", 2), ("C3", 3))]
    calls = _run(raw_book(cust, [], cont), D(2026, 6, 30)).calllist
    assert calls["CustomerID"].tolist() == ["C1", "C2", "C3"]  # most overdue first
    assert calls["Rank"].tolist() == [1, 2, 3]  # down the page, in order
    grouped = _run(raw_book(cust, [], cont, {"GroupByRegion": "Y"}), D(2026, 6, 30)).calllist
    # the region of the most urgent call first; ranks still run 1, 2, 3 down the page
    assert grouped["Region"].tolist() == ["West", "West", "East"]
    assert grouped["CustomerID"].tolist() == ["C1", "C3", "C2"]
    assert grouped["Rank"].tolist() == [1, 2, 3]
