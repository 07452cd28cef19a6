"""Transactions to the RFM summary: CDNOW rows and the conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_addin.domain.btyd import (
    MONEY_DIGITS,
    BTYDInputError,
    add_units,
    money_units,
    summary_from_transactions,
)

# The first ten customers of the CDNOW sample (CDNOW_sample.txt in lifetimes 0.11.3:
# sample id, date, amount); their summary at 1997-09-30 in weeks is rows 1-10 of
# cdnow_summary.csv.
CDNOW_TRANSACTIONS = """
1 19970101 29.33; 1 19970118 29.73; 1 19970802 14.96; 1 19971212 26.48;
2 19970101 63.34; 2 19970113 11.77; 3 19970101 6.79; 4 19970101 13.97; 5 19970101 23.94;
6 19970101 35.99; 6 19970111 32.99; 6 19970315 77.96; 6 19970416 59.30; 6 19970424 134.98;
6 19970623 91.92; 6 19970722 47.08; 6 19970726 71.96; 6 19971025 78.47; 6 19971206 83.47;
6 19980118 84.46; 6 19980215 123.96; 6 19980221 32.98; 6 19980226 23.06; 6 19980510 72.99;
6 19980620 55.47; 7 19970101 11.77; 7 19970205 11.77; 8 19970101 32.91; 8 19980304 15.27;
8 19980307 11.49; 9 19970101 16.36; 9 19970501 28.13; 9 19970908 22.97; 9 19980210 28.49;
9 19980211 28.98; 10 19970101 30.32
"""


def _cdnow_transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [r.split() for r in CDNOW_TRANSACTIONS.replace("\n", " ").split(";")]
    ids = np.array([int(r[0]) for r in rows])
    dates = np.array([f"{r[1][:4]}-{r[1][4:6]}-{r[1][6:]}" for r in rows], dtype="datetime64[D]")
    amounts = np.array([float(r[2]) for r in rows])
    return ids, dates, amounts


def test_summary_reproduces_cdnow_rows(cdnow: dict) -> None:
    ids, dates, amounts = _cdnow_transactions()
    summary = summary_from_transactions(ids, dates, amounts, "1997-09-30", unit_days=7)
    np.testing.assert_array_equal(summary.customer_id, np.arange(1, 11))
    np.testing.assert_array_equal(summary.frequency, cdnow["frequency"][:10])
    np.testing.assert_allclose(summary.recency, cdnow["recency"][:10], atol=0.005)
    np.testing.assert_allclose(summary.T, cdnow["T"][:10], atol=0.005)
    np.testing.assert_allclose(summary.monetary_value, cdnow["monetary_value"][:10], atol=0.005)
    assert set(summary.as_dict()) == {"customer_id", "frequency", "recency", "T", "monetary_value"}
    assert len(summary) == 10


def test_summary_conventions() -> None:
    ids = ["b", "a", "a", "a", "a", "c", "a"]
    dates = [
        "2024-01-05",
        "2024-01-01 09:00",
        "2024-01-01 17:30",
        "2024-01-11",
        "2024-01-21",
        "2024-03-01",
        "2024-02-15",
    ]
    amounts = [50.0, 10.0, 5.0, 20.0, -8.0, 7.0, 99.0]
    s = summary_from_transactions(ids, dates, amounts, "2024-01-31")
    assert list(s.customer_id) == ["a", "b"]  # c bought only after as_of
    # a: days 1 (two purchases merged), 11, 21; 2024-02-15 is after as_of
    assert list(s.frequency) == [2, 0]
    np.testing.assert_allclose(s.recency, [20.0, 0.0])
    np.testing.assert_allclose(s.T, [30.0, 26.0])
    np.testing.assert_allclose(s.monetary_value, [(20.0 - 8.0) / 2, 0.0])
    # numeric dates are day numbers (e.g. Excel serials); unit_days rescales times
    numeric = summary_from_transactions(
        [1, 1, 2], [45000, 45014.7, 45007], [1.0, 2.0, 3.0], 45028, unit_days=7
    )
    np.testing.assert_allclose(numeric.recency, [2.0, 0.0])
    np.testing.assert_allclose(numeric.T, [4.0, 3.0])
    np.testing.assert_allclose(numeric.monetary_value, [2.0, 0.0])


@pytest.mark.parametrize(
    "ids, dates, amounts, field",
    [
        ([1, 2], ["2024-01-01", "2024-01-02"], [1.0, np.nan], "amounts"),
        ([1, None], ["2024-01-01", "2024-01-02"], [1.0, 2.0], "customer_ids"),
        ([1, 2], ["2024-01-01", None], [1.0, 2.0], "dates"),
        ([1, 2], ["2024-01-01", "not a date"], [1.0, 2.0], "dates"),
        ([1, 2, 3], ["2024-01-01", "2024-01-02"], [1.0, 2.0], "customer_ids/dates/amounts"),
    ],
)
def test_summary_invalid_input(ids, dates, amounts, field: str) -> None:
    with pytest.raises(BTYDInputError) as info:
        summary_from_transactions(ids, dates, amounts, "2024-02-01")
    assert info.value.field == field


# ------------------------------------------------------------------ money added up exactly
_cents = st.integers(-10**9, 10**9)  # up to ten million in cents, refunds too


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6), _cents), min_size=1,
                max_size=40), st.randoms(use_true_random=False))
def test_exact_money_is_the_same_in_any_row_order(rows, rnd) -> None:
    """Money added up in whole millionths: the summary is the same to the last bit
    whichever way the rows come (the sheet's order, a source's, another engine's), and
    it is the exact sum of the amounts, to the nearest float."""
    from decimal import Decimal

    ids = np.array([r[0] for r in rows])
    days = np.array([r[1] for r in rows], dtype=np.int64)
    amounts = np.array([r[2] / 100 for r in rows])
    buy = amounts >= 0
    if not buy.any():
        return
    s = summary_from_transactions(ids[buy], days[buy], amounts[buy], 10,
                                  money_digits=MONEY_DIGITS)
    order = list(range(int(buy.sum())))
    rnd.shuffle(order)
    t = summary_from_transactions(ids[buy][order], days[buy][order], amounts[buy][order], 10,
                                  money_digits=MONEY_DIGITS)
    np.testing.assert_array_equal(s.monetary_value, t.monetary_value)
    # each customer's total: the decimal sum of its cents, to the nearest float
    at = pd.Series(units := money_units(amounts[buy]))
    sums = add_units(at, ids[buy])
    for cid, total in sums.items():
        exact = sum(Decimal(c) for i, (k, _d, c) in enumerate(rows) if k == cid and c >= 0)
        assert float(total) / 10**MONEY_DIGITS == float(exact / 100)
    assert units.dtype == np.int64


def test_exact_money_past_64_bits_is_added_up_with_python_integers() -> None:
    units = money_units(np.array([4e12, 4e12, 4e12, 1.5]))  # 1.2e19 millionths: past 2**63
    sums = add_units(pd.Series(units), np.array([1, 1, 1, 2]))
    assert sums[1] == 12 * 10**18 and sums[2] == 1_500_000


def test_money_units_round_half_up_as_the_sql_does() -> None:
    assert money_units(np.array([0.0000005, -0.0000005, 1.23, -1.23, 0.1 + 0.2])).tolist() \
        == [1, 0, 1_230_000, -1_230_000, 300_000]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-3, 12), _cents), min_size=1,
                max_size=40), st.booleans())
def test_one_key_per_customer_day_groups_as_the_pair_does(rows, exact) -> None:
    """A customer's day is grouped on one whole number (customer × days + day); where
    that number would not fit, on the pair. A far-off extra customer forces the pair:
    everyone else's summary stays the same to the last bit."""
    ids = np.array([r[0] for r in rows])
    days = np.array([r[1] for r in rows], dtype=np.int64)
    amounts = np.abs(np.array([r[2] / 100 for r in rows]))
    digits = MONEY_DIGITS if exact else None
    one = summary_from_transactions(ids, days, amounts, 10, money_digits=digits)
    far = summary_from_transactions(np.r_[ids, 99], np.r_[days, -(2**62)], np.r_[amounts, 1.0],
                                    10, money_digits=digits)
    assert far.customer_id[-1] == 99
    for got, want in zip(far.as_dict().values(), one.as_dict().values(), strict=True):
        np.testing.assert_array_equal(got[:-1], want)
