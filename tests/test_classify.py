"""Classification rules, with hand-computed expectations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_addin.domain.classify import (
    EN11_GRID,
    EN11_ZH,
    abc_class,
    dormancy,
    en11_label,
    rfm_scores,
    rfm_segment_cn8,
    rfm_segment_en11,
    value_tier,
)


def test_abc_boundary_customer_that_crosses_80_percent_is_a():
    # total 100: 50 (0% above) A, 30 (50% above) A, 10 (80% above) B, 6 (90%) B, 4 (96%) C
    rev = pd.Series([10, 50, 4, 30, 6], index=list("abcde"), dtype=float)
    assert abc_class(rev).to_dict() == {"a": "B", "b": "A", "c": "C", "d": "A", "e": "B"}


def test_abc_prospects_and_refund_only_customers_have_no_class():
    rev = pd.Series([100.0, 0.0, -20.0, np.nan])
    assert abc_class(rev).tolist() == ["A", "", "", ""]


def test_abc_ties_share_a_class():
    # total 100; each 40 has 0% above -> A; each 10 has 80% above (< 95%) -> B
    rev = pd.Series([40.0, 40.0, 10.0, 10.0])
    assert abc_class(rev).tolist() == ["A", "A", "B", "B"]
    # total 100; each 45 has 0% above -> A; each 5 has 90% above -> B, even the 95% one
    assert abc_class(pd.Series([45.0, 45.0, 5.0, 5.0])).tolist() == ["A", "A", "B", "B"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-100, max_value=1e6, allow_nan=False), min_size=1,
                max_size=60),
       st.floats(0.05, 0.9), st.floats(0.0, 0.09))
def test_abc_one_class_each_and_monotone_in_revenue(values, a, gap):
    rev = pd.Series(values)
    cls = abc_class(rev, a, a + gap)
    assert cls.isin(["A", "B", "C", ""]).all()
    assert ((cls == "") == (rev <= 0)).all()
    order = {"A": 0, "B": 1, "C": 2}
    buyers = rev[rev > 0].sort_values(ascending=False)
    ranks = [order[c] for c in cls[buyers.index]]
    assert ranks == sorted(ranks)


def test_rfm_scores_quintiles_and_ties():
    recency = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype=float)
    s = rfm_scores(recency, pd.Series([1] * 10), recency)
    assert s["R"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert s["M"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["F"].nunique() == 1  # everybody tied gets one score


def test_rfm_scores_tiny_population():
    s = rfm_scores(pd.Series([3.0]), pd.Series([1.0]), pd.Series([10.0]))
    assert s.iloc[0].tolist() == [5, 5, 5]


def test_every_en11_combination_has_exactly_one_label():
    labels = {}
    for r, f, m in itertools.product(range(1, 6), repeat=3):
        labels[(r, f, m)] = en11_label(r, f, m)
    assert len(labels) == 125
    assert all(isinstance(v, str) and v for v in labels.values())
    # every segment of the map is reachable
    assert set(labels.values()) == set(EN11_ZH)
    assert {x for row in EN11_GRID.values() for x in row} == set(EN11_ZH)
    assert labels[(5, 5, 5)] == "Champions" and labels[(1, 1, 1)] == "Lost"


def test_en11_series_and_language():
    s = pd.DataFrame({"R": [5, 1, np.nan], "F": [5, 1, 1], "M": [5, 1, 1]})
    assert rfm_segment_en11(s, "en").tolist() == ["Champions", "Lost", ""]
    assert rfm_segment_en11(s, "zh-CN").tolist() == ["冠军客户", "已流失客户", ""]


def test_cn8_against_averages():
    # means: recency 20, frequency 2, monetary 200
    r = pd.Series([10.0, 30.0, 10.0, 30.0])
    f = pd.Series([3.0, 3.0, 1.0, 1.0])
    m = pd.Series([300.0, 300.0, 100.0, 100.0])
    labels, flags = rfm_segment_cn8(r, f, m)
    assert labels.tolist() == ["重要价值客户", "重要保持客户", "一般发展客户", "一般挽留客户"]
    assert flags.iloc[1].tolist() == [False, True, True]
    en, _ = rfm_segment_cn8(r, f, m, "en")
    assert en[0] == "Important value"


def test_value_tiers_by_rank():
    v = pd.Series(np.arange(20, 0, -1, dtype=float))  # 20 buyers, distinct values
    tiers = value_tier(v, 0.05, 0.20, 0.70)
    assert tiers.value_counts().to_dict() == {"Key": 1, "Important": 3, "Ordinary": 10,
                                              "Small": 6}
    assert value_tier(pd.Series([0.0, 5.0])).tolist() == ["", "Key"]


@pytest.mark.parametrize("days,expected", [(None, "Prospect"), (10, "Active"),
                                           (180, "Dormant"), (364, "Dormant"), (365, "Lost")])
def test_dormancy(days, expected):
    assert dormancy(pd.Series([days], dtype=float), 180, 365).iloc[0] == expected
