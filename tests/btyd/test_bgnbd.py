"""BG/NBD (Fader, Hardie & Lee 2005): known values on CDNOW, extreme cases, robustness.

Known values come from the papers (cited next to each test) and are checked on the
CDNOW sample in ``tests/data/cdnow_summary.csv`` (see ``tests/data/README_cdnow.md``).
``test_matches_lifetimes`` uses ``lifetimes`` (the test extra installs it).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from btyd_helpers import PAPER_BGNBD, PAPER_BGNBD_LL, PAPER_GG_FIT, finite_non_negative
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_addin.domain.btyd import (
    BGNBDFit,
    GammaGammaFit,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    clv,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)

# --------------------------------------------------------------------------------------
# known values
# --------------------------------------------------------------------------------------


def test_cdnow_data_shape(cdnow: dict[str, np.ndarray]) -> None:
    # FHL 2005 section 5: 2,357 customers, 2,457 repeat purchases, 946 repeat buyers
    assert cdnow["frequency"].size == 2357
    assert cdnow["frequency"].sum() == 2457
    assert np.count_nonzero(cdnow["frequency"]) == 946


@pytest.mark.parametrize("name", ["r", "alpha", "a", "b"])
def test_bgnbd_cdnow_parameters_match_paper(cdnow_fit: BGNBDFit, name: str) -> None:
    # Fader, Hardie & Lee (2005), Marketing Science 24(2), section 5:
    # r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 (published to 3 decimals)
    assert getattr(cdnow_fit, name) == pytest.approx(PAPER_BGNBD[name], abs=1e-3)
    assert cdnow_fit.converged
    assert cdnow_fit.n == 2357


def test_bgnbd_cdnow_log_likelihood_matches_note(cdnow_fit: BGNBDFit) -> None:
    # Fader & Hardie, "Implementing the BG/NBD Model ... in Excel": LL = -9582.4
    assert cdnow_fit.log_likelihood == pytest.approx(PAPER_BGNBD_LL, abs=0.1)


def test_bgnbd_paper_conditional_expectation(cdnow_fit: BGNBDFit) -> None:
    # FHL 2005 section 5 worked example (also lifetimes'
    # test_conditional_expectation_returns_same_value_as_Hardie_excel_sheet):
    # x = 2, t_x = 30.43, T = 38.86 -> 1.226 purchases in the next 39 weeks
    value = bgnbd_expected_purchases(cdnow_fit, 39, 2, 30.43, 38.86)
    assert float(value) == pytest.approx(1.226, abs=1e-3)


def test_bgnbd_p_alive_matches_closed_form(cdnow_fit: BGNBDFit, cdnow: dict) -> None:
    # Fader, Hardie & Lee, "Computing P(alive) Using the BG/NBD Model" (note 021), eq. 2,
    # evaluated independently with the math module for the first ten CDNOW customers
    f = cdnow_fit
    x, tx, age = cdnow["frequency"][:10], cdnow["recency"][:10], cdnow["T"][:10]
    expected = [
        1.0
        if xi == 0
        else 1.0 / (1.0 + f.a / (f.b + xi - 1) * ((f.alpha + Ti) / (f.alpha + ti)) ** (f.r + xi))
        for xi, ti, Ti in zip(x, tx, age, strict=True)
    ]
    got = bgnbd_p_alive(f, x, tx, age)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # and the values lifetimes 0.11.3 gives for customers 1 and 2 with its CDNOW fit
    np.testing.assert_allclose(got[:2], [0.72660914, 0.21222739], atol=1e-6)
    assert np.all(got[x == 0] == 1.0)


# Reference values of eq. (10) computed with mpmath at 60 digits: eq. (10) itself where its
# 2F1 series converges; for "c_zero" (a+b+x-1 = 0, where eq. 10 is 0/0) tanh-sinh
# quadrature of the equivalent Beta-mixture integral; for "tiny_a_x_10000" (eq. 10's
# series does not converge in mpmath's term limit) the Euler-transformed 2F1.
HYP2F1_CASES = {
    # name: (r, alpha, a, b, t, x, t_x, T, expected)
    "paper_params": (0.243, 4.414, 0.793, 2.426, 39, 2, 30.43, 38.86, 1.2260281747671444),
    "lifetimes_issue_302": (0.11, 2.24, 0.31, 0.50, 30, 0, 0, 1, 0.56458861553278473),
    "x_5000": (0.243, 4.414, 0.793, 2.426, 52, 5000, 38.86, 38.86, 4286.5925197639303),
    "t_1e6": (0.243, 4.414, 0.793, 2.426, 1e6, 3, 10.0, 38.86, 21.252282549985964),
    "a_is_1": (0.5, 2.0, 1.0, 3.0, 26, 4, 20.0, 30.0, 1.5328662471822387),
    "c_zero": (0.3, 1.0, 0.4, 0.6, 10, 0, 0, 5, 0.37886005523016742),
    "tiny_a_x_10000": (0.0385, 10.4, 0.042, 0.026, 40.8, 10000, 26.15, 26.15, 10967.46186701128),
}


@pytest.mark.parametrize("case", list(HYP2F1_CASES), ids=list(HYP2F1_CASES))
def test_expected_purchases_extreme_cases_are_finite_and_exact(case: str) -> None:
    # lifetimes' eq. (10) overflows (inf/NaN) or takes log of a negative 2F1 in some of
    # these (its issue #302); ours must stay finite and accurate
    r, alpha, a, b, t, x, tx, age, expected = HYP2F1_CASES[case]
    fit = BGNBDFit(r, alpha, a, b, 0.0, 1, True, "")
    value = float(bgnbd_expected_purchases(fit, t, x, tx, age))
    assert math.isfinite(value)
    assert value == pytest.approx(expected, rel=1e-8)


def test_expected_purchases_vectorised_and_monotone(cdnow_fit: BGNBDFit, cdnow: dict) -> None:
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    horizons = [0.0, 1.0, 13.0, 39.0, 520.0]
    values = np.stack([bgnbd_expected_purchases(cdnow_fit, h, x, tx, age) for h in horizons])
    assert values.shape == (5, x.size)
    assert np.all(values[0] == 0.0)
    assert np.all(np.diff(values, axis=0) >= -1e-12)
    one = bgnbd_expected_purchases(cdnow_fit, 39.0, x[5], tx[5], age[5])
    assert float(one) == pytest.approx(values[3, 5], rel=1e-12)


# --------------------------------------------------------------------------------------
# invariances and equivalences
# --------------------------------------------------------------------------------------


def test_time_unit_invariance(cdnow: dict, cdnow_fit: BGNBDFit, cdnow_gg: GammaGammaFit) -> None:
    x, tx, age, m = cdnow["frequency"], cdnow["recency"], cdnow["T"], cdnow["monetary_value"]
    days = fit_bgnbd(x, tx * 7, age * 7)
    assert days.alpha == pytest.approx(cdnow_fit.alpha * 7, rel=1e-6)
    for name in ("r", "a", "b"):
        assert getattr(days, name) == pytest.approx(getattr(cdnow_fit, name), rel=1e-6)
    # the likelihood is a density in time: LL_days = LL_weeks - sum(x) * ln 7
    assert days.log_likelihood == pytest.approx(
        cdnow_fit.log_likelihood - x.sum() * np.log(7), abs=1e-6
    )
    np.testing.assert_allclose(
        bgnbd_p_alive(days, x, tx * 7, age * 7), bgnbd_p_alive(cdnow_fit, x, tx, age), rtol=1e-6
    )
    np.testing.assert_allclose(
        bgnbd_expected_purchases(days, 39 * 7, x, tx * 7, age * 7),
        bgnbd_expected_purchases(cdnow_fit, 39, x, tx, age),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        clv(days, cdnow_gg, x, tx * 7, age * 7, m, time_unit_days=1),
        clv(cdnow_fit, cdnow_gg, x, tx, age, m, time_unit_days=7),
        rtol=1e-6,
    )


def test_weights_equal_repeated_rows(cdnow: dict, cdnow_fit: BGNBDFit) -> None:
    rows = np.column_stack([cdnow["frequency"], cdnow["recency"], cdnow["T"]])
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    assert unique.shape[0] < rows.shape[0]
    fit = fit_bgnbd(unique[:, 0], unique[:, 1], unique[:, 2], weights=counts)
    assert fit.n == 2357
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit, name) == pytest.approx(getattr(cdnow_fit, name), rel=1e-6)
    assert fit.log_likelihood == pytest.approx(cdnow_fit.log_likelihood, abs=1e-6)


def test_matches_lifetimes(cdnow: dict, cdnow_fit: BGNBDFit, cdnow_gg: GammaGammaFit) -> None:
    """Peer comparison with lifetimes 0.11.3 (in the test extra; never a runtime need)."""
    import warnings

    import lifetimes
    import pandas as pd
    from lifetimes.utils import _customer_lifetime_value

    x, tx, age, m = (pd.Series(cdnow[k]) for k in ("frequency", "recency", "T", "monetary_value"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bgf = lifetimes.BetaGeoFitter().fit(x, tx, age)
        ggf = lifetimes.GammaGammaFitter().fit(x[x > 0], m[x > 0])
        their_alive = np.asarray(bgf.conditional_probability_alive(x.values, tx.values, age.values))
        their_e39 = np.asarray(
            bgf.conditional_expected_number_of_purchases_up_to_time(39, x, tx, age)
        )
        their_spend = np.asarray(ggf.conditional_expected_average_profit(x, m))
    ours = np.array([cdnow_fit.r, cdnow_fit.alpha, cdnow_fit.a, cdnow_fit.b])
    np.testing.assert_allclose(
        ours, bgf.params_[["r", "alpha", "a", "b"]].to_numpy(float), rtol=1e-4
    )
    np.testing.assert_allclose(
        [cdnow_gg.p, cdnow_gg.q, cdnow_gg.v],
        ggf.params_[["p", "q", "v"]].to_numpy(float),
        rtol=1e-4,
    )
    np.testing.assert_allclose(bgnbd_p_alive(cdnow_fit, x, tx, age), their_alive, atol=1e-5)
    np.testing.assert_allclose(
        bgnbd_expected_purchases(cdnow_fit, 39, x, tx, age), their_e39, atol=1e-4
    )
    np.testing.assert_allclose(gamma_gamma_expected_spend(cdnow_gg, x, m), their_spend, atol=1e-3)

    # CLV: lifetimes with freq="D" steps 30 days at a time and discounts by month index,
    # which is ours with time_unit_days=1, margin=1 and the monthly rate converted
    days_fit = fit_bgnbd(x, tx * 7, age * 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bgf_days = lifetimes.BetaGeoFitter().fit(x, tx * 7, age * 7)
        theirs = _customer_lifetime_value(
            bgf_days,
            x,
            tx * 7,
            age * 7,
            pd.Series(their_spend),
            time=12,
            discount_rate=1.1 ** (1 / 12) - 1,
            freq="D",
        )
    ours_clv = clv(days_fit, cdnow_gg, x, tx * 7, age * 7, m, time_unit_days=1, margin=1.0)
    np.testing.assert_allclose(ours_clv, np.asarray(theirs, dtype=float), rtol=1e-3, atol=1e-3)


# --------------------------------------------------------------------------------------
# robustness
# --------------------------------------------------------------------------------------


def test_all_one_time_buyers() -> None:
    x = np.zeros(50)
    tx = np.zeros(50)
    age = np.linspace(1, 40, 50)
    fit = fit_bgnbd(x, tx, age)
    assert not fit.converged
    assert "repeat purchase" in fit.message
    assert all(math.isfinite(v) and v > 0 for v in (fit.r, fit.alpha, fit.a, fit.b))
    assert math.isfinite(fit.log_likelihood)
    assert np.all(bgnbd_p_alive(fit, x, tx, age) == 1.0)
    expected = bgnbd_expected_purchases(fit, 52, x, tx, age)
    assert finite_non_negative(expected) and expected.max() < 1e-3
    gg = fit_gamma_gamma(x, np.zeros(50))
    assert gg.n == 0 and not gg.converged and gg.message
    spend = gamma_gamma_expected_spend(gg, x, np.zeros(50))
    assert np.all(spend == 0.0)
    values = clv(fit, gg, x, tx, age, np.zeros(50), time_unit_days=7)
    assert np.all(values == 0.0)


@pytest.mark.parametrize(
    "x, tx, age",
    [
        ([3], [20.0], [30.0]),
        ([0], [0.0], [10.0]),
        ([2, 0], [5.0, 0.0], [10.0, 3.0]),
        ([1, 1], [4.0, 4.0], [4.0, 4.0]),
        ([5, 7, 0], [0.5, 1.0, 0.0], [1.0, 1.0, 1.0]),
    ],
    ids=["one_repeat_buyer", "one_single_buyer", "two_mixed", "two_identical", "three"],
)
def test_tiny_populations(x: list, tx: list, age: list) -> None:
    fit = fit_bgnbd(x, tx, age)
    assert all(math.isfinite(v) and v > 0 for v in (fit.r, fit.alpha, fit.a, fit.b))
    assert math.isfinite(fit.log_likelihood)
    assert "Only" in fit.message
    alive = bgnbd_p_alive(fit, x, tx, age)
    assert np.all((alive >= 0) & (alive <= 1))
    for horizon in (0.5, 10.0, 1000.0):
        assert finite_non_negative(bgnbd_expected_purchases(fit, horizon, x, tx, age))
    m = [10.0 * xi for xi in x]
    gg = fit_gamma_gamma(x, m)
    assert all(math.isfinite(v) for v in (gg.p, gg.q, gg.v, gg.population_mean, gg.log_likelihood))
    assert finite_non_negative(gamma_gamma_expected_spend(gg, x, m))
    assert finite_non_negative(clv(fit, gg, x, tx, age, m, time_unit_days=7))


def test_non_convergence_returns_usable_fit(cdnow: dict) -> None:
    x, tx, age, m = cdnow["frequency"], cdnow["recency"], cdnow["T"], cdnow["monetary_value"]
    fit = fit_bgnbd(x, tx, age, maxiter=1)
    assert not fit.converged
    assert "did not converge" in fit.message
    assert all(math.isfinite(v) and v > 0 for v in (fit.r, fit.alpha, fit.a, fit.b))
    alive = bgnbd_p_alive(fit, x, tx, age)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    assert finite_non_negative(bgnbd_expected_purchases(fit, 39, x, tx, age))
    gg = fit_gamma_gamma(x, m, maxiter=1)
    assert not gg.converged and "did not converge" in gg.message
    assert finite_non_negative(gamma_gamma_expected_spend(gg, x, m))
    assert finite_non_negative(clv(fit, gg, x, tx, age, m, time_unit_days=7))


# --------------------------------------------------------------------------------------
# property tests
# --------------------------------------------------------------------------------------


@st.composite
def populations(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 30))
    x = np.array(draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)), dtype=float)
    age = np.array(
        draw(st.lists(st.floats(0.0, 500.0, allow_nan=False), min_size=n, max_size=n)), dtype=float
    )
    frac = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)), dtype=float)
    tx = np.where(x > 0, age * frac, 0.0)
    m = np.array(
        draw(st.lists(st.floats(-100.0, 1e5, allow_nan=False), min_size=n, max_size=n)), dtype=float
    )
    m = np.where(x > 0, m, 0.0)
    return x, tx, age, m


_PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@_PROPERTY
@given(populations())
def test_property_fitted_predictions_are_sane(pop) -> None:
    x, tx, age, m = pop
    fit = fit_bgnbd(x, tx, age)
    gg = fit_gamma_gamma(x, m)
    alive = bgnbd_p_alive(fit, x, tx, age)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    for horizon in (0.0, 1.0, 52.0, 1e4):
        assert finite_non_negative(bgnbd_expected_purchases(fit, horizon, x, tx, age))
    assert finite_non_negative(gamma_gamma_expected_spend(gg, x, m))
    assert finite_non_negative(clv(fit, gg, x, tx, age, m, time_unit_days=7))


_log_param = st.floats(-8.0, 8.0).map(math.exp)


@_PROPERTY
@given(populations(), _log_param, _log_param, _log_param, _log_param, st.floats(0.0, 1e5))
def test_property_predictions_finite_for_any_parameters(pop, r, alpha, a, b, horizon) -> None:
    x, tx, age, m = pop
    fit = BGNBDFit(r, alpha, a, b, 0.0, x.size, True, "")
    alive = bgnbd_p_alive(fit, x, tx, age)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    expected = bgnbd_expected_purchases(fit, horizon, x, tx, age)
    assert finite_non_negative(expected)
    # E[Y(t) | alive] <= (r + x) t / (alpha + T): the mean Poisson count without dropout
    assert np.all(expected <= (r + x) * horizon / (alpha + age) * (1 + 1e-9) + 1e-300)
    assert finite_non_negative(clv(fit, PAPER_GG_FIT, x, tx, age, m, time_unit_days=1))
