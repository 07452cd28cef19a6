"""Prepaid members (会员, 卡余额), preferences and referrals (推荐人), worked out by hand as of
2026-06-30 with MemberIdleDays 60."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from support.books import AS_OF, contact, customer, order, raw_book

from xl_addin.domain.calllist import PLACEHOLDERS, render_script
from xl_addin.domain.members import members
from xl_addin.domain.pipeline import run
from xl_addin.domain.schema import parse_inputs
from xl_addin.errors import InputErrors, Reason

D = dt.date

CUSTOMERS = [
    customer("M1", Member="金卡", CardBalance=500.0, Preferences="green tea"),
    customer("M2", Member="Y", CardBalance=0.0, ReferredBy="M1"),
    customer("M3", Member="N", CardBalance=300.0, ReferredBy="M1"),  # not a member
    customer("M4", CardBalance=200.0, ReferredBy="M5"),  # blank Member, a prepaid card
    customer("M5", Member="Y", CardBalance=1000.0),
    customer("M6", Member="VIP", CardBalance=800.0),
    customer("M7", Member="Y", CardBalance=50.0),  # never came: no visit to count from
]
ORDERS = [
    order("M1", D(2026, 4, 1), 300.0),   # 90 days ago
    order("M2", D(2026, 3, 1), 300.0),
    order("M3", D(2026, 3, 1), 300.0),
    order("M4", D(2026, 4, 15), 300.0),  # 76 days ago
    order("M5", D(2026, 6, 1), 300.0),   # 29 days ago: not idle yet
    order("M6", D(2026, 3, 1), 300.0),   # 121 days ago, but reached since it became idle
]
CONTACTS = [contact("M6", D(2026, 6, 10), Outcome="Reached")]


@pytest.fixture(scope="module")
def out():
    return run(parse_inputs(raw_book(CUSTOMERS, ORDERS, CONTACTS), as_of=AS_OF))


def test_who_is_a_member_and_who_is_idle():
    inputs = parse_inputs(raw_book(CUSTOMERS, ORDERS, CONTACTS), as_of=AS_OF)
    last = inputs.orders.groupby("CustomerID")["OrderDate"].max()
    m = members(inputs.customers, last, AS_OF, 60)
    assert m["IsMember"].to_dict() == {"M1": True, "M2": True, "M3": False, "M4": True,
                                       "M5": True, "M6": True, "M7": True}
    assert m["MemberLevel"].to_dict() == {"M1": "金卡", "M2": "", "M3": "", "M4": "",
                                          "M5": "", "M6": "VIP", "M7": ""}
    idle = m["IdleDays"].dropna().to_dict()
    assert idle == {"M1": 90, "M4": 76, "M5": 29, "M6": 121}  # members holding a balance
    assert m.loc["M1", "IdleSince"] == pd.Timestamp(2026, 5, 31)  # 04-01 + 60


def test_member_idle_calls_by_hand(out):
    fu = out.followups[out.followups["Reason"] == "MemberIdle"].set_index("CustomerID")
    # M1 and M4 idle; M2 holds nothing, M3 is no member, M5 came 29 days ago, M6 was
    # reached on 06-10 (next call 08-09), M7 never came
    assert set(fu.index) == {"M1", "M4"}
    assert fu.loc["M1", "DueDate"] == pd.Timestamp(2026, 5, 31)
    assert fu.loc["M1", "DaysOverdue"] == 30
    assert fu.loc["M1", "Detail"] == "member (金卡), card balance 500.00, no visit for 90 days"
    assert fu.loc["M4", "DueDate"] == pd.Timestamp(2026, 6, 14)  # 04-15 + 60
    assert fu.loc["M4", "Detail"] == "member, card balance 200.00, no visit for 76 days"


def test_the_balance_and_preferences_are_in_the_script_and_why(out):
    calls = out.calllist.set_index("CustomerID")
    assert calls.loc["M1", "Reason"].split(", ")[0] == "MemberIdle"
    script = calls.loc["M1", "Script"]
    assert "You still have 500 on your member card" in script and "(green tea)" in script
    assert "card balance 500" in calls.loc["M1", "Why"]
    # no preferences recorded: the built-in script reads without an empty "()"
    assert "()" not in calls.loc["M4", "Script"] and "200" in calls.loc["M4", "Script"]


def test_placeholders_are_filled_only_where_known():
    assert {"Preferences", "CardBalance", "Outstanding"} <= set(PLACEHOLDERS)
    text = render_script("{Name}: {CardBalance} left, likes {Preferences}; {Balance} {0}",
                         {"Name": "Li", "CardBalance": "500", "Preferences": "tea"})
    assert text == "Li: 500 left, likes tea; {Balance} {0}"


def test_referral_counts_in_analysis(out):
    a = out.analysis.set_index("CustomerID")["Referrals"].to_dict()
    assert a == {"M1": 2, "M2": 0, "M3": 0, "M4": 0, "M5": 1, "M6": 0, "M7": 0}


def test_members_and_balances_on_the_dashboard(out):
    assert out.dashboard.members == [
        ("members", 6, 2550.0, 1.0),                     # all but M3
        ("with_balance", 5, 2550.0, pytest.approx(5 / 6)),  # all but M2
        ("idle", 3, 1500.0, pytest.approx(3 / 6)),       # M1, M4, M6: 60 days or more
    ]


@pytest.mark.parametrize("row,code", [
    (customer("C2", ReferredBy="X9"), Reason.UNKNOWN_REFERRER),
    (customer("C2", ReferredBy="C2"), Reason.SELF_REFERRAL),
    (customer("C2", CardBalance=-10.0), Reason.NEGATIVE_BALANCE),
], ids=["unknown-referrer", "self", "negative-balance"])
def test_bad_member_and_referral_cells_are_named(row, code):
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw_book([customer("C1"), row]), as_of=AS_OF)
    (err,) = info.value.errors
    column = "CardBalance" if code == Reason.NEGATIVE_BALANCE else "ReferredBy"
    assert (err.sheet, err.row, err.column, err.code) == ("Customers", 3, column, code)
    assert err.render("zh-CN").startswith("工作表「Customers」第 3 行")


def test_chinese_headers_are_read():
    rows = [["客户编号", "客户名称", "会员", "卡余额", "偏好", "推荐人"],
            ["K1", "李娜", "金卡", "1,200元", "喜欢绿茶", None],
            ["K2", "王芳", "否", None, None, "K1"]]
    raw = raw_book([])
    raw["Customers"].header, raw["Customers"].rows = rows[0], rows[1:]
    inputs = parse_inputs(raw, as_of=AS_OF)
    c = inputs.customers.set_index("CustomerID")
    assert c.loc["K1", "CardBalance"] == 1200.0 and c.loc["K2", "ReferredBy"] == "K1"
    assert c.loc["K1", "Preferences"] == "喜欢绿茶"
