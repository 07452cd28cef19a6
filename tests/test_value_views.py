"""Profit view (80/20/30), key-customer faces, Pareto figures, the editable RFM map."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
from support.books import AS_OF, contact, customer, order, raw_book

from xl_addin.domain.classify import (
    en11_grid,
    en11_label,
    key_face,
    pareto,
    rfm_scores,
    rfm_segment_en11,
    share_of_customers_for,
)
from xl_addin.domain.pipeline import run
from xl_addin.domain.schema import RawTable, parse_inputs
from xl_addin.errors import InputErrors
from xl_addin.excel.dashboard import DASHBOARD_ROWS, dashboard_rows
from xl_addin.names import REASONS

D = dt.date


def test_key_faces_follow_the_thresholds():
    abc = pd.Series(["A", "B", "A", "C", "A"])
    rate = pd.Series([0.5, 0.45, 0.10, 0.9, 0.3])
    per_year = pd.Series([2.0, 6.0, 30.0, 1.0, 3.0])
    strategic = pd.Series([False, False, False, False, True])
    assert key_face(abc, rate, per_year, strategic).tolist() == [
        "Red", "", "White", "", "Black"]  # B buys too often for red; C is not key


def test_pareto_curve_and_share_for_80_percent():
    v = pd.Series([50.0, 30.0, 10.0, 6.0, 4.0, -5.0, 0.0, 0.0, 0.0, 0.0])
    curve = pareto(v, points=10)
    assert curve["ValueShare"].tolist()[:3] == pytest.approx([0.5, 0.8, 0.9])
    assert curve["ValueShare"].iloc[-1] == pytest.approx(1.0)
    assert share_of_customers_for(v) == pytest.approx(0.2)  # 2 of 10 make 80%
    assert np.isnan(share_of_customers_for(pd.Series([0.0, -1.0])))


def test_profit_after_cost_to_serve_flags_loss_makers():
    raw = raw_book([customer("C1"), customer("C2")],
                   [order("C1", D(2026, 5, 1), 100.0, Cost=90.0),
                    order("C2", D(2026, 5, 1), 1000.0, Cost=500.0)],
                   [contact("C1", D(2026, 5, 2 + i), Outcome="Reached") for i in range(3)],
                   {"CostPerContact": 5})
    a = run(parse_inputs(raw, as_of=AS_OF)).analysis.set_index("CustomerID")
    assert a.loc["C1", "Margin"] == 10.0 and a.loc["C1", "CostToServe"] == 15.0
    assert a.loc["C1", "Profit"] == -5.0 and a.loc["C1", "LossMaking"] == "Y"
    assert a.loc["C2", "LossMaking"] == "" and "loss-making" in a.loc["C1", "Why"]


def test_override_and_faces_are_explained():
    raw = raw_book([customer("C1", ClassOverride="C", Strategic="Y"), customer("C2")],
                   [order("C1", D(2026, 5, 1), 900.0), order("C2", D(2026, 5, 1), 100.0)])
    a = run(parse_inputs(raw, as_of=AS_OF)).analysis.set_index("CustomerID")
    assert a.loc["C1", "ABCClass"] == "C" and a.loc["C1", "KeyFace"] == "Black"
    assert a.loc["C1", "Why"].startswith("C: set by hand (computed A)")


def test_edited_rfm_rules_label_every_combination_once():
    grid = en11_grid("en")
    edited = {r: tuple(f"R{r}-FM{i}" for i in range(1, 6)) for r in grid}
    seen = {}
    for r, f, m in itertools.product(range(1, 6), repeat=3):
        seen[(r, f, m)] = en11_label(r, f, m, edited)
    assert len(seen) == 125 and len(set(seen.values())) == 25
    scores = rfm_scores(pd.Series([1.0, 9.0]), pd.Series([9.0, 1.0]), pd.Series([9.0, 1.0]))
    # two customers: percentile ranks 1.0 and 0.5 -> quintile scores 5 and 3
    assert rfm_segment_en11(scores, grid=edited).tolist() == ["R5-FM5", "R3-FM3"]


def _rules_table(rows):
    return RawTable("RFMRules", 1, ["R", "FM1", "FM2", "FM3", "FM4", "FM5"], rows)


def test_rfm_rules_sheet_is_read_and_used():
    raw = raw_book([customer("C1"), customer("C2")],
                   [order("C1", D(2026, 6, 1), 100.0), order("C2", D(2025, 1, 1), 10.0)],
                   settings={"RFMScheme": "EN11"})
    raw["RFMRules"] = _rules_table([[r, *(f"S{r}{i}" for i in range(1, 6))]
                                    for r in (5, 4, 3, 2, 1)])
    out = run(parse_inputs(raw, as_of=AS_OF))
    assert set(out.analysis["RFMSegment"]) <= {f"S{r}{i}" for r in range(1, 6)
                                               for i in range(1, 6)}
    first, _ = DASHBOARD_ROWS["segments"]
    assert dashboard_rows(out.dashboard, "en")[first - 1][0] == "S51"


def test_rfm_rules_sheet_with_a_gap_is_refused():
    raw = raw_book([customer("C1")], settings={"RFMScheme": "EN11"})
    raw["RFMRules"] = _rules_table([[5, "a", "b", "c", "d", ""], [4, *"abcde"], [4, *"abcde"]])
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    codes = [(e.row, e.column, e.code) for e in info.value.errors]
    assert (2, "FM5", "required_blank") in codes and (4, "R", "not_in_choices") in codes


def test_dashboard_blocks_keep_their_place():
    raw = raw_book([customer(f"C{i}") for i in range(5)],
                   [order(f"C{i}", D(2026, 5, 1), 10.0 * (i + 1)) for i in range(5)])
    dash = dashboard_rows(run(parse_inputs(raw, as_of=AS_OF)).dashboard, "en")
    first, count = DASHBOARD_ROWS["classes"]
    assert [dash[first - 1 + i][0] for i in range(count)] == ["A", "B", "C", "Prospects"]
    first, count = DASHBOARD_ROWS["pareto"]
    assert [round(dash[first - 1 + i][0], 2) for i in (0, count - 1)] == [0.05, 1.0]
    assert dash[first - 2][1] == "Cumulative revenue share"
    first, count = DASHBOARD_ROWS["figures"]
    labels = [dash[first - 1 + i][0] for i in range(count)]
    assert "Share of customers making 80% of revenue" in labels


def test_dashboard_owner_and_reason_blocks():
    raw = raw_book([customer("C1", owner="Ann"), customer("C2", owner="Bob")], [],
                   [contact("C1", D(2026, 6, 1), NextFollowUp=D(2026, 6, 10)),
                    contact("C2", D(2026, 6, 20), Outcome="Complaint")])
    dash = dashboard_rows(run(parse_inputs(raw, as_of=AS_OF)).dashboard, "en")
    first, count = DASHBOARD_ROWS["owners"]
    block = [r[:3] for r in dash[first - 1:first - 1 + count]]
    assert block[:2] == [["Ann", 1, 1], ["Bob", 1, 1]] and block[2] == [None, None, None]
    first, count = DASHBOARD_ROWS["reasons"]
    reasons = {r[0]: r[1:3] for r in dash[first - 1:first - 1 + count]}
    assert len(reasons) == len(REASONS)  # one row per reason word
    assert reasons["Complaint"] == [1, 0] and reasons["FollowUp"] == [1, 0]
