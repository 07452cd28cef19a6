"""UDFs called the way xlwings calls them on Linux: raw lists, floats, datetimes, None."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from xl_addin import functions as F


def test_abc_over_a_column_with_blanks_returns_one_value_per_row():
    got = F.CB_ABC([[50.0], [30.0], [None], [10.0], [6.0], [4.0]])
    assert got == [["A"], ["A"], [""], ["B"], ["B"], ["C"]]


def test_abc_scalar_and_bad_argument():
    assert F.CB_ABC(100.0) == "A"
    assert F.CB_ABC([1.0, 2.0], 0.9, 0.5) == "#VALUE!"
    assert F.CB_ABC([1.0, 2.0], "lots") == "#VALUE!"


def test_rfm_segment_schemes():
    r, f, m = [10.0, 30.0, 10.0, 30.0], [3.0, 3.0, 1.0, 1.0], [300.0, 300.0, 100.0, 100.0]
    assert F.CB_RFM_SEGMENT(r, f, m) == [["重要价值客户"], ["重要保持客户"], ["一般发展客户"],
                                         ["一般挽留客户"]]
    assert F.CB_RFM_SEGMENT(r, f, m, "CN8_EN")[0] == ["Important value"]
    en = F.CB_RFM_SEGMENT(r, f, m, "EN11")
    assert len(en) == 4 and all(isinstance(v[0], str) and v[0] for v in en)
    assert F.CB_RFM_SEGMENT(r, f, m, "XYZ") == "#VALUE!"
    assert F.CB_RFM_SEGMENT(r, f, [1.0]) == "#VALUE!"


def test_next_follow_up_and_days_overdue():
    last = [dt.datetime(2026, 1, 1), 46023.0, None, "2026/1/1"]  # 46023 = 2026-01-01
    got = F.CB_NEXT_FOLLOWUP(last, ["A", "B", "C", "Z"])
    assert got == [[dt.datetime(2026, 1, 31)], [dt.datetime(2026, 4, 1)], [""], ["#VALUE!"]]
    assert F.CB_NEXT_FOLLOWUP(dt.datetime(2026, 1, 1), "B", None, 60) == dt.datetime(2026, 3, 2)
    assert F.CB_DAYS_OVERDUE([dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1)],
                             dt.datetime(2026, 1, 11)) == [[10], [-21]]
    assert F.CB_DAYS_OVERDUE("not a date", dt.datetime(2026, 1, 1)) == "#VALUE!"


def test_btyd_udfs_return_finite_values_per_row():
    freq = [0.0, 1.0, 2.0, 5.0, 0.0, 3.0]
    rec = [0.0, 30.0, 200.0, 300.0, 0.0, 100.0]
    age = [100.0, 300.0, 300.0, 320.0, 50.0, 400.0]
    palive = F.CB_PALIVE(freq, rec, age)
    assert len(palive) == 6 and all(0 <= v[0] <= 1 for v in palive)
    assert palive[0][0] == 1.0  # no repeat purchase: alive by the model's definition
    exp = F.CB_EXPECTED_PURCHASES(freq, rec, age, 365)
    assert all(v[0] >= 0 and math.isfinite(v[0]) for v in exp)
    spend = F.CB_AVG_SPEND(freq, [0.0, 50.0, 70.0, 40.0, 0.0, 90.0])
    assert all(v[0] > 0 for v in spend)
    clv = F.CB_CLV(freq, rec, age, [0.0, 50.0, 70.0, 40.0, 0.0, 90.0])
    assert all(math.isfinite(v[0]) and v[0] >= 0 for v in clv)


def test_btyd_udf_bad_rows_get_an_error_string_not_an_exception():
    got = F.CB_PALIVE([1.0, "x", 2.0], [10.0, 5.0, 50.0], [5.0, 20.0, 80.0])  # row 1: r > T
    assert got[0] == ["#VALUE!"] and got[1] == ["#VALUE!"] and 0 <= got[2][0] <= 1
    assert F.CB_PALIVE(["a"], ["b"], ["c"]) == "#VALUE!"


@pytest.mark.parametrize("name", F.__all__)
def test_every_udf_has_a_bilingual_short_description(name):
    doc = getattr(F, name).__doc__
    assert doc and len(doc) <= 255 and "/" in doc


def test_a_bad_row_spoils_only_its_own_cell():
    # row 2: no repeat purchase but a recency; row 3: a fractional frequency; row 5: text
    freq = [1.0, 0.0, 1.5, 3.0, "x", 2.0]
    rec = [30.0, 12.0, 40.0, 100.0, 5.0, 200.0]
    age = [300.0, 90.0, 300.0, 400.0, 20.0, 300.0]
    got = F.CB_PALIVE(freq, rec, age)
    assert [v[0] for v in got].count("#VALUE!") == 3
    assert [i for i, v in enumerate(got) if v[0] == "#VALUE!"] == [1, 2, 4]
    good = [i for i in (0, 3, 5)]
    assert all(0 < got[i][0] <= 1 for i in good)
    # the good rows get what a fit on the good rows alone gives
    alone = F.CB_PALIVE([freq[i] for i in good], [rec[i] for i in good], [age[i] for i in good])
    assert [got[i][0] for i in good] == pytest.approx([v[0] for v in alone], rel=1e-12)


def test_options_take_a_column_as_long_as_the_data():
    freq, rec, age = [2.0, 2.0, 2.0, 2.0], [100.0] * 4, [300.0] * 4
    horizons = [30.0, 90.0, "soon", 365.0]
    got = [v[0] for v in F.CB_EXPECTED_PURCHASES(freq, rec, age, horizons)]
    assert got[2] == "#VALUE!"  # that row's horizon is not a number
    assert 0 < got[0] < got[1] < got[3]  # same customer, longer horizon, more purchases
    one = F.CB_EXPECTED_PURCHASES(freq, rec, age, 90.0)
    assert one[1][0] == pytest.approx(got[1], rel=1e-12)
    margins = [0.1, 0.2, 0.4, 2.0]  # 2.0 is no margin rate
    clv = [v[0] for v in F.CB_CLV(freq, rec, age, [50.0] * 4, None, None, margins)]
    assert clv[3] == "#VALUE!"
    assert clv[1] == pytest.approx(2 * clv[0]) and clv[2] == pytest.approx(4 * clv[0])
    assert F.CB_EXPECTED_PURCHASES(freq, rec, age, [30.0, 60.0]) == "#VALUE!"  # 2 for 4 rows


def test_defaults_are_the_settings_defaults():
    from xl_addin.settings import Settings

    s = Settings()
    revenue = [50.0, 30.0, 10.0, 6.0, 4.0]
    assert F.CB_ABC(revenue) == F.CB_ABC(revenue, s.ABC_A_Share, s.ABC_B_Share)
    day = dt.datetime(2026, 1, 1)
    assert F.CB_NEXT_FOLLOWUP(day, "B") == day + dt.timedelta(days=s.Cadence_B_Days)
    freq, rec, age, spend = [1.0, 3.0], [30.0, 100.0], [300.0, 400.0], [40.0, 60.0]
    assert F.CB_CLV(freq, rec, age, spend) == F.CB_CLV(
        freq, rec, age, spend, s.CLV_HorizonMonths, s.DiscountRateAnnual, s.DefaultMarginRate)
