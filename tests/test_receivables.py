"""Receivables (回款): unpaid balances, their age, the Collect call and the checks on Paid.

Every expectation is worked out by hand, as of 2026-06-30 with PaymentTermsDays 30.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from support.books import AS_OF, contact, customer, order, raw_book

from xl_addin.domain.pipeline import run
from xl_addin.domain.receivables import receivables, unpaid
from xl_addin.domain.schema import parse_inputs
from xl_addin.errors import InputErrors, Reason

D = dt.date

CUSTOMERS = [customer("C1"), customer("C2"), customer("C3"), customer("C4", owner="Bob"),
             customer("C5", owner="Bob")]
ORDERS = [
    order("C1", D(2026, 5, 1), 1000.0, Paid=400.0),   # 60 days old: 600 past the terms
    order("C1", D(2026, 6, 10), 300.0, Paid=0.0),     # 20 days old: 300 within them
    order("C1", D(2026, 6, 20), 500.0),               # blank Paid: paid in full
    order("C1", D(2026, 6, 25), -100.0, Paid=0.0),    # a refund owes nothing
    order("C1", D(2026, 7, 5), 200.0, Paid=0.0),      # after the as-of date: not yet
    order("C2", D(2026, 3, 1), 800.0, Paid=800.0),    # paid
    order("C3", D(2026, 6, 29), 50.0, Paid=0.0),      # 1 day old
    order("C4", D(2026, 5, 25), 100.0, Paid=0.0),     # 36 days old, but talked to since
    order("C5", D(2026, 5, 20), 200.0, Paid=50.0),    # 41 days old, 150 owed
]
CONTACTS = [
    contact("C4", D(2026, 6, 27), Outcome="Reached"),   # after it fell due: next in 30 days
    contact("C5", D(2026, 6, 25), Outcome="NoAnswer"),  # no conversation: still due
]


def outputs(orders=ORDERS, contacts=CONTACTS, **settings):
    return run(parse_inputs(raw_book(CUSTOMERS, orders, contacts, settings), as_of=AS_OF))


@pytest.fixture(scope="module")
def out():
    return outputs()


def test_unpaid_part_of_each_order():
    frame = pd.DataFrame({"Amount": [1000.0, 500.0, -100.0, 0.0, 10.0],
                          "Paid": [400.0, np.nan, 0.0, np.nan, 10.004]})
    assert unpaid(frame).tolist() == [600.0, 0.0, 0.0, 0.0, 0.0]


def test_balance_age_and_past_terms_by_hand():
    inputs = parse_inputs(raw_book(CUSTOMERS, ORDERS, CONTACTS), as_of=AS_OF)
    r = receivables(inputs.customers, inputs.orders, AS_OF, 30)
    assert r.loc["C1", "Outstanding"] == 900.0  # 600 + 300; the refund and July left out
    assert r.loc["C1", "OverdueDays"] == 60     # 05-01 to 06-30
    assert r.loc["C1", "PastTerms"] == 600.0
    assert r.loc["C1", "PastTermsSince"] == pd.Timestamp(2026, 6, 1)  # 05-01 + 31
    assert r.loc["C2", "Outstanding"] == 0.0 and np.isnan(r.loc["C2", "OverdueDays"])
    assert (r.loc["C3", "Outstanding"], r.loc["C3", "OverdueDays"], r.loc["C3", "PastTerms"]) \
        == (50.0, 1, 0.0)
    assert pd.isna(r.loc["C3", "PastTermsSince"])
    assert r.loc["C5", "Outstanding"] == 150.0 and r.loc["C5", "PastTerms"] == 150.0
    longer = receivables(inputs.customers, inputs.orders, AS_OF, 45)
    assert longer.loc["C1", "PastTermsSince"] == pd.Timestamp(2026, 6, 16)  # 05-01 + 46
    assert longer.loc["C4", "PastTerms"] == 0.0  # 36 days: within 45


def test_analysis_shows_outstanding_overdue_days_and_keeps_its_column_order(out):
    a = out.analysis.set_index("CustomerID")
    assert list(out.analysis.columns[-3:]) == ["Outstanding", "OverdueDays", "Referrals"]
    assert list(out.analysis.columns[:3]) == ["CustomerID", "Name", "Owner"]
    assert a.loc["C1", "Outstanding"] == 900.0 and a.loc["C1", "OverdueDays"] == 60
    assert a.loc["C2", "Outstanding"] == 0.0 and np.isnan(a.loc["C2", "OverdueDays"])
    # screening on safety: the Why says what is past the terms
    assert a.loc["C1", "Why"].endswith("receivables: 600.00 unpaid past the 30-day terms")
    assert "receivables" not in a.loc["C3", "Why"]


def test_collect_is_due_the_day_the_oldest_unpaid_order_passed_the_terms(out):
    fu = out.followups[out.followups["Reason"] == "Collect"].set_index("CustomerID")
    assert set(fu.index) == {"C1", "C5"}  # C3 within the terms, C4 talked to since
    assert fu.loc["C1", "DueDate"] == pd.Timestamp(2026, 6, 1)
    assert fu.loc["C1", "DaysOverdue"] == 29
    assert fu.loc["C1", "Detail"] == ("900.00 unpaid, 600.00 of it past the 30-day terms; "
                                      "oldest unpaid order 60 days")
    assert fu.loc["C5", "DueDate"] == pd.Timestamp(2026, 6, 20)  # 05-20 + 31


def test_collect_calls_carry_the_amount_in_why_and_the_script(out):
    calls = out.calllist.set_index("CustomerID")
    assert calls.loc["C1", "Reason"].split(", ")[0] == "Collect"
    assert "900 unpaid (600 past terms)" in calls.loc["C1", "Why"]
    assert "900 is still unpaid" in calls.loc["C1", "Script"]
    assert "150 unpaid (150 past terms)" in calls.loc["C5", "Why"]
    assert "1 try unanswered" in calls.loc["C5", "Why"]
    assert "C4" not in calls.index or "Collect" not in calls.loc["C4", "Reason"]


def test_a_conversation_puts_the_next_collect_call_terms_later():
    # C4 was reached on 06-27, after its Collect fell due on 06-25: due again 07-27
    late = outputs(contacts=CONTACTS, PaymentTermsDays=30, UpcomingDays=30)
    fu = late.followups[late.followups["Reason"] == "Collect"].set_index("CustomerID")
    assert fu.loc["C4", "DueDate"] == pd.Timestamp(2026, 7, 27)
    assert fu.loc["C4", "Status"] == "Upcoming"


def test_receivables_at_risk_by_owner_on_the_dashboard(out):
    dash = out.dashboard
    # Ann: C1 900 + C3 50 outstanding, 600 past the terms; Bob: C4 100 + C5 150, all past
    assert dash.receivables == [("Ann", 950.0, 600.0, pytest.approx(600 / 950)),
                                ("Bob", 250.0, 250.0, 1.0)]
    assert dash.figures["outstanding"] == 1200.0 and dash.figures["past_terms"] == 850.0
    by_tier = {k: (n, late) for k, n, late, _share in dash.screening}
    assert sum(n for n, _ in by_tier.values()) == 5
    assert sum(late for _, late in by_tier.values()) == 850.0


@pytest.mark.parametrize("paid,code,said", [
    (1200.0, Reason.PAID_ABOVE_AMOUNT, "received 1,200 is more than the order's amount 1,000"),
    (-5.0, Reason.PAID_NEGATIVE, "received -5 is below 0"),
], ids=["above", "negative"])
def test_paid_outside_zero_and_the_amount_is_named_at_its_cell(paid, code, said):
    rows = [order("C1", D(2026, 5, 1), 1000.0, Paid=500.0),
            order("C1", D(2026, 5, 2), 1000.0, Paid=paid)]
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw_book([customer("C1")], rows), as_of=AS_OF)
    (err,) = info.value.errors
    assert (err.sheet, err.row, err.column, err.code) == ("Orders", 3, "Paid", code)
    assert said in err.render("en") and "已回款" in err.render("zh-CN")


def test_blank_paid_cent_rounding_and_refunds_are_accepted():
    rows = [order("C1", D(2026, 5, 1), 1000.0), order("C1", D(2026, 5, 2), 10.0, Paid=10.004),
            order("C1", D(2026, 5, 3), -50.0, Paid=0.0)]
    inputs = parse_inputs(raw_book([customer("C1")], rows), as_of=AS_OF)
    assert receivables(inputs.customers, inputs.orders, AS_OF).loc["C1", "Outstanding"] == 0.0
