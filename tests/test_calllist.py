"""Call list: priority order, capacity per owner, Do-Not-Contact, scripts."""

from __future__ import annotations

import datetime as dt

import pytest
from support.books import AS_OF, contact, customer, order, raw_book

from xl_addin.domain.calllist import render_script
from xl_addin.domain.pipeline import run
from xl_addin.domain.schema import parse_inputs

D = dt.date


def calls(customers, orders=(), contacts=(), **settings):
    return run(parse_inputs(raw_book(customers, orders, contacts, settings), as_of=AS_OF)).calllist


def test_complaint_outranks_everything_and_reasons_merge():
    out = calls([customer("C1"), customer("C2")],
                [order("C1", D(2025, 6, 1), 5000.0), order("C2", D(2026, 6, 20), 10.0)],
                [contact("C2", D(2026, 6, 29), Outcome="Complaint"),
                 contact("C1", D(2026, 6, 1), Outcome="NoAnswer", NextFollowUp=D(2026, 6, 2))])
    assert out["CustomerID"].tolist() == ["C2", "C1"]
    assert out.loc[0, "Reason"].startswith("Complaint")
    assert out.loc[1, "Reason"] == "FollowUp, Cadence, WinBack"  # one row, reasons merged
    assert out["Rank"].tolist() == [1, 2]


def test_do_not_contact_is_never_listed():
    out = calls([customer("C1", DoNotContact="Y")], [], [
        contact("C1", D(2026, 6, 20), Outcome="Complaint")])
    assert out.empty


def test_capacity_per_owner():
    cust = [customer(f"C{i}", owner="Ann" if i < 5 else "Bob") for i in range(8)]
    cont = [contact(f"C{i}", D(2026, 6, 1), NextFollowUp=D(2026, 6, 1 + i)) for i in range(8)]
    out = calls(cust, [], cont, CallsPerOwnerPerDay=2)
    assert out.groupby("Owner").size().to_dict() == {"Ann": 2, "Bob": 2}
    # within an owner, the longest-waiting first (same reason, same value)
    assert out[out["Owner"] == "Ann"]["CustomerID"].tolist() == ["C0", "C1"]


def test_only_items_due_today_or_overdue_are_called():
    out = calls([customer("C1")], [], [contact("C1", D(2026, 6, 1), NextFollowUp=D(2026, 7, 2))])
    assert out.empty


def test_script_fills_placeholders_and_never_fails():
    assert render_script("Hi {Name}, {Unknown}!", {"Name": "Li"}) == "Hi Li, {Unknown}!"
    assert render_script("broken {", {"Name": "Li"}) == "broken {"
    assert render_script("{Owner} for {Name}", {"Name": None, "Owner": "Ann"}) == "Ann for "


@pytest.mark.parametrize("template", [
    "{Name[first]}", "{Name.__class__}", "{Name:>2000000000}", "{Name!r:^9999999999}",
    "{0}", "{}", "{{Name}}", "{Name", "Name}", "{名字}", "%(Name)s", "${Name}",
], ids=lambda s: s)
def test_a_script_is_text_not_a_format_string(template):
    # only the exact placeholders are filled; anything else stays as the user typed it
    got = render_script(template, {"Name": "Li {Owner}", "Owner": "Ann"})
    expected = template.replace("{Name}", "Li {Owner}")
    assert got == expected and len(got) < 100
    out = calls([customer("C1", "Li Lei")], [order("C1", D(2026, 6, 25), 100.0, Product="Kit")])
    assert out.loc[0, "Reason"] == "PostSale"
    assert out.loc[0, "Script"] == ("Hello Li Lei, this is Ann. How are you getting on with "
                                    "the Kit?")


def test_a_complaint_outranks_a_valuable_customers_follow_up_on_any_book():
    # C1 is worth far more and long overdue; C2's complaint still comes first
    out = calls([customer("C1"), customer("C2")],
                [order("C1", D(2026, 1, 5), 90_000.0), order("C1", D(2026, 3, 5), 90_000.0),
                 order("C1", D(2026, 5, 5), 90_000.0)],
                [contact("C1", D(2026, 4, 1), Outcome="Reached", NextFollowUp=D(2026, 4, 2)),
                 contact("C2", D(2026, 6, 29), Outcome="Complaint")])
    assert out["CustomerID"].tolist()[:2] == ["C2", "C1"]
    assert out.loc[0, "Priority"] < out.loc[1, "Priority"]  # despite a lower priority


def test_why_counts_days_in_good_english():
    """One day overdue is "1 day", more are "days"; Chinese has no plural."""
    from types import SimpleNamespace

    import pandas as pd

    from xl_addin.domain.calllist import _why

    info = pd.Series({"ABCClass": "B", "PurchaseLikelihood": float("nan")})
    for days, said in ((1, "Complaint, 1 day overdue"), (2, "Complaint, 2 days overdue"),
                       (0, "Complaint, due today")):
        row = SimpleNamespace(TopReason="Complaint", DaysOverdue=days, Attempts=0)
        assert _why(row, info, "en").startswith(said + ";")
    row = SimpleNamespace(TopReason="Complaint", DaysOverdue=1, Attempts=0)
    assert _why(row, info, "zh-CN").startswith("投诉，逾期 1 天")
