"""Calibration/holdout evaluation and model choice, on CDNOW and on hand-computed cases.

CDNOW: ``tests/data/cdnow_sample_transactions.txt`` (see its README), calibration to
1997-09-30 (39 weeks), holdout to 1998-06-30 (weeks 40-78), times in days unless a
test says weeks. Fader, Hardie & Lee (2005, section 5) give the calibration facts
checked here (2,357 customers, 946 repeat buyers, 2,457 repeat purchases). They report
1,788 repeat transactions in weeks 40-78; this transaction file has 1,882 holdout
purchase days (and 1,882 holdout transactions by lifetimes' own
``calibration_and_holdout_data`` with daily periods), so the holdout counts are checked
against lifetimes instead of the paper.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from xl_addin.domain.btyd import (
    MIN_REPEAT_BUYERS_TO_SPLIT,
    MODELS,
    BGNBDFit,
    BTYDInputError,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    choose_model,
    default_holdout_days,
    evaluate_holdout,
    split_calibration_holdout,
)
from xl_addin.domain.btyd.holdout import pick_model as _pick

DATA = __import__("pathlib").Path(__file__).resolve().parents[1] / "data"
CAL_END, HOLDOUT_END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    raw = np.loadtxt(DATA / "cdnow_sample_transactions.txt")
    ids = raw[:, 1].astype(np.int64)
    ymd = raw[:, 2].astype(np.int64)
    dates = np.array(
        [f"{d // 10000}-{d // 100 % 100:02d}-{d % 100:02d}" for d in ymd], dtype="datetime64[D]"
    )
    return ids, dates, raw[:, 4]


@pytest.fixture(scope="module")
def split_days(transactions):
    return split_calibration_holdout(*transactions, CAL_END, HOLDOUT_END)


@pytest.fixture(scope="module")
def reports(split_days):
    return {name: evaluate_holdout(split_days, name) for name in MODELS}


def test_cdnow_calibration_matches_the_paper_and_the_summary_file(transactions, cdnow) -> None:
    weeks = split_calibration_holdout(*transactions, CAL_END, HOLDOUT_END, unit_days=7)
    s = weeks.calibration
    # FHL 2005 section 5: 2,357 customers, 946 repeat buyers, 2,457 repeat purchases
    assert len(s) == 2357 and np.count_nonzero(s.frequency) == 946 and s.frequency.sum() == 2457
    np.testing.assert_array_equal(s.customer_id, cdnow["customer_id"].astype(int))
    np.testing.assert_array_equal(s.frequency, cdnow["frequency"])
    np.testing.assert_allclose(s.recency, cdnow["recency"], atol=0.005)
    np.testing.assert_allclose(s.T, cdnow["T"], atol=0.005)
    assert weeks.holdout_days == 273  # weeks 40-78


def test_cdnow_holdout_purchases_match_lifetimes(transactions, split_days) -> None:
    import pandas as pd
    from lifetimes.utils import calibration_and_holdout_data

    ids, dates, amounts = transactions
    frame = pd.DataFrame({"id": ids, "date": pd.to_datetime(dates), "amount": amounts})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = calibration_and_holdout_data(
            frame,
            "id",
            "date",
            calibration_period_end=CAL_END,
            observation_period_end=HOLDOUT_END,
            monetary_value_col="amount",  # without it lifetimes fails on pandas 3
        )
    theirs = theirs.reindex(split_days.calibration.customer_id)
    np.testing.assert_array_equal(split_days.holdout_purchases, theirs["frequency_holdout"])
    np.testing.assert_array_equal(split_days.calibration.T, theirs["T_cal"])
    assert split_days.holdout_purchases.sum() == 1882


@pytest.mark.parametrize("name", list(MODELS), ids=list(MODELS))
def test_cdnow_report_per_model(reports, split_days, name: str) -> None:
    rep = reports[name]
    assert rep.model == name and rep.customers == 2357 and rep.holdout_days == 273
    assert rep.actual_total == 1882
    s = split_days.calibration
    expected = MODELS[name].expected_purchases(rep.fit, 273.0, s.frequency, s.recency, s.T)
    assert rep.predicted_total == pytest.approx(expected.sum(), rel=1e-12)
    assert rep.error == pytest.approx(rep.predicted_total - 1882)
    assert rep.pct_error == pytest.approx(100 * rep.error / 1882)
    # the check table has bins 0..6 and 7+ that add up to everyone and to the totals
    table = rep.by_frequency
    assert [row.frequency for row in table] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(row.customers for row in table) == 2357
    assert table[0].customers == 2357 - 946
    assert sum(row.customers * row.actual_mean for row in table) == pytest.approx(1882)
    assert sum(row.customers * row.predicted_mean for row in table) == pytest.approx(
        rep.predicted_total
    )
    # heavier calibration buyers buy more in the holdout, in the data and in the forecast
    assert all(np.diff([row.predicted_mean for row in table]) > 0)
    # deciles: ten groups, rising likelihood, observed shares that rise with it overall
    assert [row.decile for row in rep.by_decile] == list(range(1, 11))
    assert sum(row.customers for row in rep.by_decile) == 2357
    predicted = [row.predicted_share for row in rep.by_decile]
    assert all(np.diff(predicted) >= 0)
    assert rep.by_decile[-1].observed_share > 5 * rep.by_decile[0].observed_share
    assert 0 < rep.brier < 0.25


def test_cdnow_forecasts_match_lifetimes_fitters(transactions, reports, split_days) -> None:
    import lifetimes

    s = split_days.calibration
    x, tx, age = s.frequency.astype(float), s.recency, s.T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitters = {
            "BGNBD": lifetimes.BetaGeoFitter().fit(x, tx, age),
            "MBGNBD": lifetimes.ModifiedBetaGeoFitter().fit(x, tx, age),
            "ParetoNBD": lifetimes.ParetoNBDFitter().fit(
                x, tx, age, initial_params=np.ones(4), tol=1e-10, maxiter=20_000
            ),
        }
        for name, fitter in fitters.items():
            theirs = fitter.conditional_expected_number_of_purchases_up_to_time(273, x, tx, age)
            assert reports[name].predicted_total == pytest.approx(float(np.sum(theirs)), rel=1e-4)


def test_weeks_and_days_give_the_same_forecast(transactions, reports) -> None:
    weeks = split_calibration_holdout(*transactions, CAL_END, HOLDOUT_END, unit_days=7)
    for name in MODELS:
        rep = evaluate_holdout(weeks, name)
        assert rep.predicted_total == pytest.approx(reports[name].predicted_total, rel=1e-5)
        assert rep.brier == pytest.approx(reports[name].brier, rel=1e-5)
        assert rep.actual_total == reports[name].actual_total


# --------------------------------------------------------------------------------------
# hand-computed cases
# --------------------------------------------------------------------------------------

# customer, date, amount
TINY = [
    ("a", "2024-01-01", 10.0),
    ("a", "2024-01-11", 5.0),
    ("a", "2024-01-31", 7.0),  # on the calibration end: calibration
    ("a", "2024-02-05", 1.0),  # holdout day 5
    ("a", "2024-02-05", 2.0),  # same day: one purchase
    ("a", "2024-03-20", 3.0),  # holdout day 49
    ("b", "2024-01-21", 4.0),
    ("b", "2024-04-01", 6.0),  # after the holdout end: ignored
    ("c", "2024-01-05", 8.0),
    ("c", "2024-03-01", 9.0),  # holdout day 30
    ("d", "2024-02-10", 1.0),  # first seen in the holdout: not a calibration customer
]


def _tiny() -> tuple[list, list, list]:
    ids, dates, amounts = zip(*TINY, strict=True)
    return list(ids), list(dates), list(amounts)


def test_split_by_hand() -> None:
    data = split_calibration_holdout(*_tiny(), "2024-01-31", "2024-03-31")
    s = data.calibration
    assert list(s.customer_id) == ["a", "b", "c"]
    assert list(s.frequency) == [2, 0, 0]
    np.testing.assert_allclose(s.recency, [30, 0, 0])
    np.testing.assert_allclose(s.T, [30, 10, 26])
    assert list(data.holdout_purchases) == [2, 0, 1]
    assert list(data.first_holdout_day) == [5, -1, 30]
    assert data.holdout_days == 60
    assert data.calibration_end == np.datetime64("2024-01-31")
    assert data.first_purchase == np.datetime64("2024-01-01")


def test_report_mechanics_by_hand() -> None:
    data = split_calibration_holdout(*_tiny(), "2024-01-31", "2024-03-31")
    fit = BGNBDFit(0.5, 10.0, 0.8, 2.0, 0.0, 3, True, "")
    rep = evaluate_holdout(data, "BGNBD", fit=fit, likelihood_days=30)
    s = data.calibration
    per_customer = bgnbd_expected_purchases(fit, 60.0, s.frequency, s.recency, s.T)
    assert rep.actual_total == 3 and rep.customers == 3
    assert rep.predicted_total == pytest.approx(per_customer.sum())
    assert rep.abs_error == pytest.approx(abs(per_customer.sum() - 3))
    # check table: x = 0 holds b (0 holdout purchases) and c (1) -> mean 0.5; x = 2 holds a
    table = {row.frequency: row for row in rep.by_frequency}
    assert table["0"].customers == 2 and table["0"].actual_mean == 0.5
    assert table["2"].customers == 1 and table["2"].actual_mean == 2.0
    assert table["1"].customers == 0 and np.isnan(table["1"].actual_mean)
    # bought within 30 days of the calibration end: a (day 5) and c (day 30), not b
    # P(alive) x (1 - ((alpha+T)/(alpha+T+30))^(r+x)): the chance of at least one purchase
    alive = bgnbd_p_alive(fit, s.frequency, s.recency, s.T)
    likelihood = alive * (1 - ((10.0 + s.T) / (40.0 + s.T)) ** (0.5 + s.frequency))
    bought = np.array([1.0, 0.0, 1.0])
    assert rep.brier == pytest.approx(np.mean((likelihood - bought) ** 2), rel=1e-12)
    # ten deciles of three customers: seven are empty, the others hold one customer each
    filled = [row for row in rep.by_decile if row.customers]
    assert len(filled) == 3
    # likelihood_days cannot exceed the holdout
    assert evaluate_holdout(data, "BGNBD", fit=fit, likelihood_days=90).likelihood_days == 60


def test_brier_of_a_model_that_expects_nothing_is_the_share_that_bought() -> None:
    data = split_calibration_holdout(*_tiny(), "2024-01-31", "2024-03-31")
    nothing = BGNBDFit(0.5, 1e12, 0.8, 2.0, 0.0, 3, True, "")  # purchase rates ~ 0
    rep = evaluate_holdout(data, "BGNBD", fit=nothing, likelihood_days=10)
    # only a bought within 10 days: Brier = (0 - 1)^2 / 3
    assert rep.brier == pytest.approx(1 / 3, abs=1e-9)
    assert rep.predicted_total == pytest.approx(0.0, abs=1e-9)
    assert rep.pct_error == pytest.approx(-100.0, abs=1e-6)


# --------------------------------------------------------------------------------------
# choosing a model
# --------------------------------------------------------------------------------------


def test_choose_model_on_cdnow_picks_the_smallest_absolute_error(transactions) -> None:
    choice = choose_model(*transactions, HOLDOUT_END, holdout_days=273)
    assert not choice.too_small and set(choice.reports) == set(MODELS)
    errors = {name: rep.abs_error for name, rep in choice.reports.items()}
    assert choice.chosen == min(errors, key=errors.get)
    assert MODELS[choice.chosen].label in choice.reason and "1882 actual" in choice.reason
    assert choice.calibration_end == np.datetime64(CAL_END)
    assert choice.repeat_buyers == 946


def test_default_holdout_is_a_third_of_the_span(transactions) -> None:
    # 1997-01-01 .. 1998-06-30 is 545 days: a third is 182 days, so calibration ends
    # 1997-12-30
    choice = choose_model(*transactions, HOLDOUT_END, models=("BGNBD",))
    assert choice.holdout_days == 182
    assert choice.calibration_end == np.datetime64("1997-12-30")
    assert list(choice.reports) == ["BGNBD"] and choice.chosen == "BGNBD"


@pytest.mark.parametrize(
    "span, expected",
    [(10, 30), (90, 30), (300, 100), (600, 200), (3000, 365)],
    ids=["tiny", "short", "medium", "long", "very_long"],
)
def test_default_holdout_days_clamps(span: int, expected: int) -> None:
    assert default_holdout_days(span) == expected


def test_too_small_to_split_names_the_default_model() -> None:
    choice = choose_model(*_tiny(), "2024-03-31")
    assert choice.too_small and choice.chosen == "BGNBD" and not choice.reports
    assert choice.holdout_days == 30  # a third of 90 days, clamped to at least 30
    # a third of 90 days, clamped to 30: calibration to 2024-03-01, where a and c (whose
    # second purchase is on that day) have repeat purchases
    assert choice.repeat_buyers == 2 and choice.calibration_days == 60
    assert f"at least {MIN_REPEAT_BUYERS_TO_SPLIT} needed" in choice.reason
    assert "BG/NBD" in choice.reason


def test_too_short_a_history_is_too_small(transactions) -> None:
    ids, dates, amounts = transactions
    keep = dates <= np.datetime64("1997-03-31")
    choice = choose_model(ids[keep], dates[keep], amounts[keep], "1997-03-31", holdout_days=40)
    assert choice.too_small and choice.calibration_days == 49  # 1997-01-01 .. 1997-02-19


@pytest.mark.parametrize(
    "errors, winner",
    [
        ({"BGNBD": 5.0, "MBGNBD": 5.0, "ParetoNBD": 7.0}, "BGNBD"),
        ({"ParetoNBD": 3.0, "BGNBD": 3.0 + 1e-12}, "BGNBD"),
        ({"MBGNBD": 2.0, "ParetoNBD": 2.0, "BGNBD": 9.0}, "MBGNBD"),
        ({"BGNBD": 4.0, "ParetoNBD": 1.0}, "ParetoNBD"),
    ],
    ids=["tie_goes_to_bgnbd", "near_tie_goes_to_bgnbd", "tie_without_bgnbd", "clear_winner"],
)
def test_tie_breaking(errors: dict, winner: str) -> None:
    assert _pick(errors) == winner


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: split_calibration_holdout(*_tiny(), "2024-03-01", "2024-02-01"), "holdout_end"),
        (
            lambda: split_calibration_holdout(*_tiny(), "2023-01-01", "2024-02-01"),
            "calibration_end",
        ),
        (lambda: choose_model(*_tiny(), "2024-03-31", holdout_days=0), "holdout_days"),
        (lambda: choose_model(*_tiny(), "2024-03-31", models=("NBD",)), "model"),
        (lambda: choose_model(*_tiny(), "2020-01-01"), "as_of"),
    ],
    ids=[
        "holdout_before_calibration",
        "no_calibration_customers",
        "zero_holdout",
        "unknown_model",
        "nothing_before_as_of",
    ],
)
def test_invalid_input(call, field: str) -> None:
    with pytest.raises(BTYDInputError) as info:
        call()
    assert info.value.field == field
