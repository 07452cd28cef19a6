"""Value tiers as the sources define them (客户价值区间): TierBasis Score, worked out by hand.

Four buyers and three prospects as of 2026-06-30 (margin from Cost, no cost to serve).
Each input is scored by the share of the *other* buyers with a lower value:

======  =======  ======  ==============  =========  ===============  =======
buyer   revenue  profit  tenure, repeat  referrals  reached          score
======  =======  ======  ==============  =========  ===============  =======
B1      1000 1   100 ⅓   29 d ⅓, 0 0     0 0        0 of 2: 0        0.4167
B2      600 ⅔    300 1   365 d 1, 2 1    2 1        1 of 1: 1        0.9000
B3      300 ⅓    200 ⅔   181 d ⅔, 1 ⅔    1 ⅔        1 of 2: ½        0.5417
B4      100 0    10 0    1 d 0, 0 0      0 0        never: ½         0.0750
======  =======  ======  ==============  =========  ===============  =======

(loyalty = the mean of the tenure and repeat-rate scores; responsiveness ranks the
contacted buyers, ½ for one never contacted; score = Σ weight × input with the default
weights 0.30 / 0.25 / 0.20 / 0.10 / 0.15.) With the tier cut-offs at 25% / 50% / 75% of
the buyers: B2 Key, B3 Important, B1 Ordinary, B4 Small — while revenue alone would put
B1 first.
"""

from __future__ import annotations

import datetime as dt

import pytest
from support.books import AS_OF, contact, customer, order, raw_book

from xl_addin.domain.classify import rank_share, value_score
from xl_addin.domain.pipeline import run
from xl_addin.domain.schema import parse_inputs
from xl_addin.errors import InputErrors, Reason

D = dt.date

CUSTOMERS = [customer("B1"), customer("B2"), customer("B3"), customer("B4"),
             customer("P1", ReferredBy="B2"), customer("P2", ReferredBy="B2"),
             customer("P3", ReferredBy="B3")]
ORDERS = [
    order("B1", D(2026, 6, 1), 1000.0, Cost=900.0),
    order("B2", D(2025, 6, 30), 200.0, Cost=100.0), order("B2", D(2026, 1, 1), 200.0, Cost=100.0),
    order("B2", D(2026, 6, 1), 200.0, Cost=100.0),
    order("B3", D(2025, 12, 31), 150.0, Cost=50.0), order("B3", D(2026, 3, 31), 150.0, Cost=50.0),
    order("B4", D(2026, 6, 29), 100.0, Cost=90.0),
]
CONTACTS = [
    contact("B1", D(2026, 6, 5), Outcome="NoAnswer"), contact("B1", D(2026, 6, 8),
                                                              Outcome="NoAnswer"),
    contact("B2", D(2026, 6, 5), Outcome="Reached"),
    contact("B3", D(2026, 6, 5), Outcome="Reached"), contact("B3", D(2026, 6, 8),
                                                             Outcome="NoAnswer"),
]
CUTS = {"Tier_Key_Share": 0.25, "Tier_Important_Share": 0.5, "Tier_Ordinary_Share": 0.75}


def analysis(**settings):
    raw = raw_book(CUSTOMERS, ORDERS, CONTACTS, {**CUTS, **settings})
    return run(parse_inputs(raw, as_of=AS_OF)).analysis.set_index("CustomerID")


def test_rank_share_is_the_share_of_the_others_below():
    import pandas as pd

    v = pd.Series([5.0, 5.0, 1.0, None, 9.0])
    ok = pd.Series([True, True, True, True, False])
    got = rank_share(v, ok)
    assert got.iloc[:3].tolist() == [0.5, 0.5, 0.0]  # ties share; the 9 is not eligible
    assert got.iloc[3:].isna().all()


def test_score_by_hand():
    inputs = parse_inputs(raw_book(CUSTOMERS, ORDERS, CONTACTS), as_of=AS_OF)
    from xl_addin.domain.value import customer_history

    hist = customer_history(inputs.customers, inputs.orders, inputs.contacts, inputs.settings,
                            AS_OF)
    score, parts = value_score(hist, inputs.settings.tier_weights, hist["Orders"] > 0)
    assert score["B1"] == pytest.approx(0.3 + 0.25 / 3 + 0.2 / 6)
    assert score["B2"] == pytest.approx(0.9)
    assert score["B3"] == pytest.approx(0.1 + 0.25 * 2 / 3 + 0.2 * 2 / 3 + 0.1 * 2 / 3 + 0.075)
    assert score["B4"] == pytest.approx(0.075)
    assert score[["P1", "P2", "P3"]].isna().all()
    assert parts.loc["B1", "Loyalty"] == pytest.approx(1 / 6)
    assert parts.loc["B4", "Responsiveness"] == 0.5  # never contacted: neutral
    assert parts.loc["B3", "Responsiveness"] == 0.5  # between B1 (0) and B2 (1)


def test_score_tiers_and_their_why():
    a = analysis(TierBasis="Score")
    assert a["ValueTier"].to_dict() == {"B1": "Ordinary", "B2": "Key", "B3": "Important",
                                        "B4": "Small", "P1": "", "P2": "", "P3": ""}
    assert a.loc["B2", "Why"].endswith(
        "Key: score 0.90, mostly profit (above 100% of the other buyers) and revenue "
        "(above 67% of the other buyers)")
    assert ": score" not in a.loc["P1", "Why"]


def test_the_default_basis_stays_clv_and_the_weights_are_settings():
    default = analysis()
    assert default.loc["B1", "ValueTier"] != "Ordinary"  # CLV (else revenue) keeps B1 up
    assert ": score" not in default.loc["B2", "Why"]
    by_revenue = analysis(TierBasis="综合得分", TierWeight_Revenue=1, TierWeight_Profit=0,
                          TierWeight_Loyalty=0, TierWeight_Referrals=0,
                          TierWeight_Responsiveness=0)
    assert by_revenue["ValueTier"].loc[["B1", "B2", "B3", "B4"]].tolist() == [
        "Key", "Important", "Ordinary", "Small"]


@pytest.mark.parametrize("settings,code", [
    ({"TierBasis": "Profit"}, Reason.UNKNOWN_SETTING_VALUE),
    ({"TierBasis": "Score", **{f"TierWeight_{k}": 0 for k in
                               ("Revenue", "Profit", "Loyalty", "Referrals", "Responsiveness")}},
     Reason.SETTINGS_INCONSISTENT),
    ({"TierWeight_Loyalty": -1}, Reason.SETTING_OUT_OF_RANGE),
], ids=["unknown-basis", "all-weights-zero", "negative-weight"])
def test_bad_tier_settings_are_named(settings, code):
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw_book(CUSTOMERS, ORDERS, CONTACTS, settings), as_of=AS_OF)
    assert [e.code for e in info.value.errors] == [code]
